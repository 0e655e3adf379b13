/**
 * How a simulated visitor sends a *logical request* (a page, an asset, an API call): one HTTP exchange
 * from its own source address, following same-origin redirects (at most 5), keeping cookies when it has
 * a jar, and — when the answer is a challenge — calling the visitor's solver hook and retrying once.
 * The result says whether the visitor was served (2xx/3xx, not a challenge) and how long it took.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { undici } from '../../runtime/undici-modules.ts';
import { outcomeOfAnswer, outcomeOfError, defaultChallengeDetector, type AnswerOutcome, type ChallengeDetector } from '../answer-outcome.ts';
import type { HeaderList } from '../attackers/traffic-shapes.ts';
import type { CookieJar } from './cookie-jar.ts';
import { sleep } from '../attackers/bounds.ts';

/** An answer as a visitor saw it (body cut at the client's `maxBodyBytes`). */
export interface VisitorResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as text, up to the client's keep limit (256 KiB by default). */
  readonly body: string;
  readonly bodyBytes: number;
}

/** A request a visitor (or a challenge solver on its behalf) sends. */
export interface VisitorRequest {
  /** Absolute URL, or a path resolved against the site. */
  readonly url: string;
  readonly method?: 'GET' | 'POST' | 'HEAD';
  readonly headers?: HeaderList;
  readonly body?: string;
}

/** One visitor's identity and connection. */
export interface VisitorClient {
  readonly site: URL;
  readonly dispatcher: Dispatcher;
  readonly localAddress: string;
  /** Present for visitors that keep cookies. */
  readonly jar?: CookieJar;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

/** What a challenge solver receives besides the challenge answer. */
export interface ChallengeContext {
  /** The request that was challenged. */
  readonly request: VisitorRequest;
  readonly client: VisitorClient;
  /** Sends a request as this visitor (same source, same jar), e.g. to post a solution. */
  send(req: VisitorRequest): Promise<VisitorResponse>;
}

/** A solver's verdict: `retry` defaults to the challenged request; `answerStatus` is what its answer got (for the figures). */
export interface ChallengeSolution {
  readonly solved: boolean;
  readonly retry?: VisitorRequest;
  readonly answerStatus?: number;
}

/**
 * The hook a visitor calls on a challenge page: the JavaScript-challenge solver for browsers, the
 * meta-refresh follower for no-JS clients (both plugged in by the challenge issue).
 */
export type ChallengeSolver = (challenge: VisitorResponse, ctx: ChallengeContext) => Promise<ChallengeSolution>;

/** How one logical request ended. */
export interface LogicalResult {
  readonly served: boolean;
  readonly outcome: AnswerOutcome;
  readonly status?: number;
  readonly challenged: boolean;
  /** From the first request to the final answer (waits on pages that retry themselves included). */
  readonly latencyMs: number;
  /** Wall-clock ms of the first request. */
  readonly startedAtMs: number;
  /** Times a page that retries itself was followed. */
  readonly retries: number;
  /** Why a challenged request ended unserved: `challenge_unsolved:<status>` (the solver gave up), `challenge_again` (challenged after solving as many times as a visitor tries). */
  readonly detail?: string;
  readonly response?: VisitorResponse;
  readonly error?: unknown;
}

const KEEP_BODY = 256 * 1024;
const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Sends one exchange (no redirects), with the jar's cookies, storing the answer's cookies. */
export async function sendOnce(client: VisitorClient, req: VisitorRequest): Promise<VisitorResponse> {
  const url = new URL(req.url, client.site);
  const headers = [...(req.headers ?? [])].flat();
  const cookie = client.jar?.header(Date.now());
  if (cookie) headers.push('cookie', cookie);
  const res = await undici().request(url, {
    method: req.method ?? 'GET',
    headers,
    body: req.body,
    dispatcher: client.dispatcher,
    signal: client.signal,
    headersTimeout: client.timeoutMs,
    bodyTimeout: client.timeoutMs,
  });
  client.jar?.store(res.headers['set-cookie'], Date.now());
  const kept: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    if (bytes < KEEP_BODY) kept.push(chunk.subarray(0, KEEP_BODY - bytes));
    bytes += chunk.length;
  }
  return { url: url.href, status: res.statusCode, headers: res.headers, body: Buffer.concat(kept).toString('utf8'), bodyBytes: bytes };
}

/** Sends a request and follows same-origin redirects (303, and 301/302 after POST, become GET). */
export async function sendFollowing(client: VisitorClient, req: VisitorRequest): Promise<VisitorResponse> {
  let current = req;
  for (let hop = 0; ; hop++) {
    const res = await sendOnce(client, current);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.status) || typeof location !== 'string' || hop >= MAX_REDIRECTS) return res;
    const next = new URL(location, res.url);
    if (next.origin !== client.site.origin) return res;
    const toGet = res.status === 303 || ((res.status === 301 || res.status === 302) && current.method === 'POST');
    current = toGet ? { url: next.href, headers: current.headers, method: 'GET' } : { ...current, url: next.href };
  }
}

/** How a browser follows a page that asks it to try again (Refresh / meta refresh). */
export interface RefreshFollowing {
  /** Give up once the announced waits would add up to more than this. */
  readonly maxWaitMs: number;
}

/** At most this many automatic retries per logical request (a browser would go on; the drill stops). */
const MAX_REFRESHES = 30;
/** Challenges a visitor solves for one logical request before giving up (a level change may ask again). */
const MAX_SOLVES = 3;

/**
 * The delay a try-again answer announces for reloading the same URL, in ms, as a browser reads it: the
 * `Refresh` field or a `<meta http-equiv="refresh">` without a URL, on an error answer (4xx/5xx) that is
 * not a challenge; undefined otherwise.
 */
export function refreshDelayMs(res: VisitorResponse): number | undefined {
  if (res.status < 400) return undefined;
  const field = res.headers.refresh;
  const value = typeof field === 'string' ? field : /<meta http-equiv="refresh" content="([^"]*)">/i.exec(res.body)?.[1];
  const m = value === undefined ? null : /^\s*(\d+)\s*$/.exec(value);
  return m === null ? undefined : Number(m[1]) * 1000;
}

/**
 * Sends a logical request: follow redirects; on a challenge, call `solve` (if any) and retry; with
 * `follow`, a GET answered with a page that retries itself is asked again after the announced delay, as
 * a browser left on that page does (challenges met on the way are solved too). Served means the final
 * answer is 2xx/3xx and not a challenge; the latency runs from the first request. Never throws.
 */
export async function sendLogical(
  client: VisitorClient,
  req: VisitorRequest,
  hooks: { readonly isChallenge?: ChallengeDetector; readonly solve?: ChallengeSolver; readonly follow?: RefreshFollowing },
): Promise<LogicalResult> {
  const isChallenge = hooks.isChallenge ?? defaultChallengeDetector;
  const startedAtMs = Date.now();
  const started = performance.now();
  let challenged = false;
  let retries = 0;
  let waitedMs = 0;
  let solves = 0;
  try {
    for (;;) {
      let res = await sendFollowing(client, req);
      while (isChallenge(res)) {
        challenged = true;
        if (hooks.solve === undefined) return finish(res, 'challenged');
        if (solves++ >= MAX_SOLVES) return finish(res, 'challenged', 'challenge_again');
        const solution = await hooks.solve(res, { request: req, client, send: (r) => sendFollowing(client, r) });
        if (!solution.solved) return finish(res, 'challenged', `challenge_unsolved:${solution.answerStatus ?? '-'}`);
        res = await sendFollowing(client, solution.retry ?? req);
      }
      const delay = hooks.follow !== undefined && (req.method ?? 'GET') === 'GET' ? refreshDelayMs(res) : undefined;
      if (delay === undefined || retries >= MAX_REFRESHES || waitedMs + delay > hooks.follow!.maxWaitMs) return finish(res, outcomeOfAnswer(res, isChallenge));
      await sleep(delay, client.signal);
      if (client.signal.aborted) throw Object.assign(new Error('visitors stopped'), { name: 'AbortError' });
      waitedMs += delay;
      retries++;
    }
  } catch (err) {
    return { served: false, outcome: outcomeOfError(err, client.signal.aborted), challenged, latencyMs: performance.now() - started, startedAtMs, retries, error: err };
  }

  function finish(res: VisitorResponse, outcome: AnswerOutcome, detail?: string): LogicalResult {
    const r = { served: outcome === 'served', outcome, status: res.status, challenged, latencyMs: performance.now() - started, startedAtMs, retries, response: res };
    return detail === undefined ? r : { ...r, detail };
  }
}
