/**
 * Sends the malformed-request corpus over raw sockets (one connection per case) and judges each answer
 * against the case's expectation. Used by the proxy's tests ("every case refused as expected, nothing
 * forwarded") and by the drill's malformed scenario. Loopback only; bounded by the corpus size, a
 * per-case read deadline, and an overall duration.
 */
import { resolveLoopbackTarget } from '../loopback-guard.ts';
import { exchangeRaw, type RawAnswer } from '../raw-client.ts';
import { checkBounds, startBoundedRun, type AttackBounds, type StoppedBy } from './bounds.ts';
import { MALFORMED_CORPUS, type ExpectedAnswer, type MalformedCase, type MalformedCategory } from './malformed-corpus.ts';

export { MALFORMED_CORPUS, malformedCase, type ExpectedAnswer, type MalformedCase, type MalformedCategory } from './malformed-corpus.ts';

/**
 * How a server answered one case: `status` (first status line), `close` (closed without answering),
 * `reset` (RST without answering), `timeout` (no answer and still open at the deadline),
 * `connect_failed`.
 */
export type ObservedAnswer = number | 'close' | 'reset' | 'timeout' | 'connect_failed';

/** The judged outcome of one case. */
export interface MalformedOutcome {
  readonly name: string;
  readonly category: MalformedCategory;
  readonly expect: readonly ExpectedAnswer[];
  readonly observed: ObservedAnswer;
  /** Every status line seen: more than one means a second (smuggled) message was parsed. */
  readonly statuses: readonly number[];
  /** The server closed the connection (after answering or not) before the deadline. */
  readonly closedByServer: boolean;
  readonly asExpected: boolean;
  readonly firstLine: string;
  readonly elapsedMs: number;
}

/** What an answer counts as, from the raw exchange. */
export function observedAnswer(answer: RawAnswer): ObservedAnswer {
  if (answer.connectError !== undefined) return 'connect_failed';
  if (answer.status !== undefined) return answer.status;
  if (answer.reset) return 'reset';
  if (answer.closedByServer) return 'close';
  return 'timeout';
}

/**
 * Whether the observation matches the case: one answer only, and its status is listed — or no answer,
 * the connection closed (or reset), and `close` is listed.
 */
export function judgeMalformed(c: MalformedCase, observed: ObservedAnswer, statuses: readonly number[]): boolean {
  if (statuses.length > 1) return false;
  if (typeof observed === 'number') return (c.expect as readonly (number | string)[]).includes(observed);
  return (observed === 'close' || observed === 'reset') && c.expect.includes('close');
}

/** Options of {@link runMalformedCorpus}. */
export interface MalformedRunOptions {
  /** Loopback URL of the target (only host and port are used). */
  readonly target: string;
  /** Host header value. Default the target's host. */
  readonly hostHeader?: string;
  /** Cases to send. Default the whole corpus. */
  readonly cases?: readonly MalformedCase[];
  readonly localAddress?: string;
  /** Deadline per case for the server to answer or close. Default 2000 ms. */
  readonly readTimeoutMs?: number;
  /** Default: as many requests as cases, 2 minutes, 1 socket. */
  readonly bounds?: AttackBounds;
  readonly signal?: AbortSignal;
}

/** The corpus run's result. */
export interface MalformedRunResult {
  readonly outcomes: readonly MalformedOutcome[];
  readonly asExpected: number;
  readonly unexpected: number;
  readonly durationMs: number;
  readonly stoppedBy: StoppedBy;
}

/** Sends each case in turn and judges the answers. */
export async function runMalformedCorpus(options: MalformedRunOptions): Promise<MalformedRunResult> {
  const cases = options.cases ?? MALFORMED_CORPUS;
  const bounds = checkBounds(options.bounds ?? { maxRequests: Math.max(1, cases.length), maxDurationMs: 120_000, maxSockets: 1 });
  const target = await resolveLoopbackTarget(options.target);
  const host = options.hostHeader ?? target.host;
  const run = startBoundedRun(bounds, options.signal);
  const outcomes: MalformedOutcome[] = [];
  try {
    for (const c of cases.slice(0, bounds.maxRequests)) {
      if (run.signal.aborted) break;
      outcomes.push(await sendMalformedCase(c, { ...options, hostIp: target.hostname.replace(/^\[|\]$/g, ''), port: Number(target.port || 80), host }));
    }
    if (!run.signal.aborted) run.finish();
  } finally {
    run.dispose();
  }
  const asExpected = outcomes.filter((o) => o.asExpected).length;
  return { outcomes, asExpected, unexpected: outcomes.length - asExpected, durationMs: Math.round(run.elapsedMs()), stoppedBy: run.stoppedBy() };
}

/** Sends one case on a fresh connection and judges the answer. */
export async function sendMalformedCase(
  c: MalformedCase,
  options: { hostIp: string; port: number; host: string; localAddress?: string; readTimeoutMs?: number },
): Promise<MalformedOutcome> {
  const answer = await exchangeRaw({
    host: options.hostIp,
    port: options.port,
    localAddress: options.localAddress,
    payload: c.bytes(options.host),
    readTimeoutMs: options.readTimeoutMs ?? 2000,
    afterAnswerMs: 300,
  });
  const observed = observedAnswer(answer);
  return {
    name: c.name,
    category: c.category,
    expect: c.expect,
    observed,
    statuses: answer.statuses,
    closedByServer: answer.closedByServer,
    asExpected: judgeMalformed(c, observed, answer.statuses),
    firstLine: answer.firstLine,
    elapsedMs: Math.round(answer.elapsedMs),
  };
}
