/**
 * How the drill's clients (attackers and visitors) classify an answer or an error, so every report uses
 * the same words. The challenge marker is pluggable: the challenge issue supplies the real detector.
 */
import type { IncomingHttpHeaders } from 'node:http';

/**
 * What happened to one request, as its client (attacker or visitor) saw it:
 * `served` 2xx/3xx; `challenged` a challenge page; `limited` 429; `blocked` 403; `shed` 503;
 * `rejected` other 4xx; `failed` other 5xx; `dropped` connection refused, reset or closed without an
 * answer; `timeout` no answer in time; `aborted` cut short by the client's own end (attack or visitors stopping).
 */
export type AnswerOutcome = 'served' | 'challenged' | 'limited' | 'blocked' | 'shed' | 'rejected' | 'failed' | 'dropped' | 'timeout' | 'aborted';

/** The parts of an answer a challenge detector may look at. */
export interface AnswerForDetection {
  readonly status: number;
  readonly headers: IncomingHttpHeaders | Readonly<Record<string, string | string[] | undefined>>;
  /** The start of the body when the caller read it (visitors do, floods do not). */
  readonly body?: string;
}

/** Decides whether an answer is a challenge page (the challenge issue plugs its own in). */
export type ChallengeDetector = (answer: AnswerForDetection) => boolean;

/**
 * Default challenge detector: an `x-bulwark-challenge` response header, or a body containing
 * `data-bulwark-challenge`. A proposal until the challenge issue settles the marker.
 */
export const defaultChallengeDetector: ChallengeDetector = (answer) =>
  answer.headers['x-bulwark-challenge'] !== undefined || (answer.body?.includes('data-bulwark-challenge') ?? false);

/** Maps a status (and the detector's verdict) to an outcome. */
export function outcomeOfAnswer(answer: AnswerForDetection, isChallenge: ChallengeDetector = defaultChallengeDetector): AnswerOutcome {
  if (isChallenge(answer)) return 'challenged';
  const s = answer.status;
  if (s === 429) return 'limited';
  if (s === 403) return 'blocked';
  if (s === 503) return 'shed';
  if (s >= 200 && s < 400) return 'served';
  if (s >= 400 && s < 500) return 'rejected';
  return 'failed';
}

/** Maps a client-side error (undici or node:net) to an outcome, given whether the attack itself aborted it. */
export function outcomeOfError(err: unknown, abortedByRun: boolean): AnswerOutcome {
  if (abortedByRun) return 'aborted';
  const code = errorCode(err);
  if (code.includes('TIMEOUT') || code === 'TimeoutError') return 'timeout';
  return 'dropped';
}

/** A stable short code for an error (`ECONNRESET`, `UND_ERR_SOCKET`, …). */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } };
    if (typeof e.code === 'string') return e.code;
    if (typeof e.cause?.code === 'string') return e.cause.code;
    if (typeof e.name === 'string') return e.name;
  }
  return 'unknown';
}

