/**
 * The engine shared by the request floods (GET, POST, IPv6 rotation): requests built by the caller,
 * spread round-robin over source addresses (one undici Agent each), paced by {@link runPaced}, each
 * classified into an {@link AttackOutcome}. Loopback targets only.
 */
import { undici } from '../../runtime/undici-modules.ts';
import { resolveLoopbackTarget } from '../loopback-guard.ts';
import { createSourcePool, requireIPv4Target, sourceAddress, type SourcePool, type SourceRange } from '../source-pool.ts';
import { checkBounds, type AttackBounds } from './bounds.ts';
import { runPaced } from './paced-runner.ts';
import { createAttackRecorder, outcomeOfAnswer, outcomeOfError, type AttackResult, type ChallengeDetector } from './attack-result.ts';
import { createRandom, type Random } from './traffic-shapes.ts';

/** One request an attacker wants sent. */
export interface FloodRequest {
  /** Path with query, starting with `/`. */
  readonly path: string;
  readonly method: 'GET' | 'POST' | 'HEAD' | 'PUT';
  /** Flat `[name, value, …]` list, in wire order. */
  readonly headers: string[];
  readonly body?: string | Buffer;
}

/** Options common to every request flood. */
export interface FloodOptions {
  /** Base URL of the target (loopback only), e.g. `http://127.0.0.1:8080`. */
  readonly target: string;
  /** A count of sources (addresses from `sourceRange`) or the exact source addresses. Default 1. */
  readonly sources?: number | readonly string[];
  /** Default: per_address spread in the attacker block. */
  readonly sourceRange?: SourceRange;
  /** Overall target rate in requests/s; omitted (and no per-source rate) = as fast as concurrency allows. */
  readonly ratePerS?: number;
  /** Rate per source; the overall rate is this × the number of sources. */
  readonly ratePerSourcePerS?: number;
  /** Requests in flight at most. Default min(64, maxSockets). */
  readonly concurrency?: number;
  /** Keep connections alive between requests. Default true; false sends `Connection: close`. */
  readonly keepAlive?: boolean;
  /** `Host` header to send instead of the target's. */
  readonly hostHeader?: string;
  /** Deadline for the response headers, and for each idle gap in the body (undici). Default 5000 ms. */
  readonly requestTimeoutMs?: number;
  /** Seed of the traffic's randomness (same seed, same paths and headers). */
  readonly seed?: number;
  readonly isChallenge?: ChallengeDetector;
  /** A pool to share (its agents are not closed); by default the flood makes and closes its own. */
  readonly pool?: SourcePool;
  readonly bounds: AttackBounds;
  readonly signal?: AbortSignal;
}

/** Runs a flood whose requests come from `build`; resolves with its result once it stopped by itself. */
export async function runHttpFlood(
  attack: string,
  options: FloodOptions,
  build: (i: number, random: Random) => FloodRequest,
): Promise<AttackResult> {
  const bounds = checkBounds(options.bounds);
  const target = await resolveLoopbackTarget(options.target);
  requireIPv4Target(target);
  const sources = typeof options.sources === 'object' ? [...options.sources] : Array.from({ length: options.sources ?? 1 }, (_, i) => sourceAddress(i, options.sourceRange));
  const perAgent = Math.max(1, Math.floor(bounds.maxSockets / Math.max(1, Math.min(sources.length, bounds.maxSockets))));
  const pool = options.pool ?? createSourcePool({ maxAgents: Math.min(sources.length, bounds.maxSockets), connectionsPerAgent: perAgent });
  const recorder = createAttackRecorder(attack);
  const random = createRandom(options.seed);
  const timeoutMs = options.requestTimeoutMs ?? 5000;
  const rate = options.ratePerS ?? (options.ratePerSourcePerS === undefined ? undefined : options.ratePerSourcePerS * sources.length);
  const send = async (i: number, runSignal: AbortSignal): Promise<void> => {
    const spec = build(i, random);
    const headers = options.hostHeader ? ['host', options.hostHeader, ...spec.headers] : spec.headers;
    const started = performance.now();
    recorder.sent(Date.now());
    try {
      const res = await undici().request(new URL(spec.path, target), {
        method: spec.method,
        headers,
        body: spec.body,
        dispatcher: pool.agentFor(sources[i % sources.length]),
        signal: runSignal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        reset: options.keepAlive === false,
      });
      await res.body.dump({ limit: 1024 * 1024 });
      const outcome = outcomeOfAnswer({ status: res.statusCode, headers: res.headers }, options.isChallenge);
      recorder.answer(res.statusCode, outcome, performance.now() - started);
    } catch (err) {
      recorder.error(err, outcomeOfError(err, runSignal.aborted));
    }
  };
  try {
    const run = await runPaced({ bounds, signal: options.signal, ratePerS: rate, concurrency: options.concurrency ?? Math.min(64, bounds.maxSockets), send });
    return recorder.result({ durationMs: run.durationMs, stoppedBy: run.stoppedBy, sources: sources.length, nowMs: Date.now() });
  } finally {
    if (!options.pool) await pool.destroy();
  }
}
