/**
 * Every attacker is bounded by request count AND duration AND open sockets, and stops by itself. This
 * module validates bounds against hard ceilings (a drill is a test, not a weapon) and turns them into
 * one AbortSignal that fires on the caller's abort or the deadline, whichever comes first.
 */
import { setMaxListeners } from 'node:events';
import { DrillError } from '../errors.ts';

/** Limits every attacker requires. */
export interface AttackBounds {
  /** Requests (or connections, for connection attacks) to send at most. Ceiling {@link HARD_CEILINGS}. */
  readonly maxRequests: number;
  /** Wall time after which the attacker aborts what is in flight and returns. */
  readonly maxDurationMs: number;
  /** Sockets open at once at most. Default 256. */
  readonly maxSockets?: number;
}

/** Absolute ceilings no option can exceed: 10 M requests, 30 min, 16 000 sockets (fd limit here is 20 000). */
export const HARD_CEILINGS = { maxRequests: 10_000_000, maxDurationMs: 30 * 60_000, maxSockets: 16_000 } as const;

/** Bounds after validation, with defaults filled. */
export interface CheckedBounds {
  readonly maxRequests: number;
  readonly maxDurationMs: number;
  readonly maxSockets: number;
}

/**
 * Validates bounds: each must be a positive integer no higher than its ceiling. Throws
 * `BULWARK_ERR_DRILL_BOUNDS` naming every offending field.
 */
export function checkBounds(bounds: AttackBounds): CheckedBounds {
  const checked = { maxRequests: bounds.maxRequests, maxDurationMs: bounds.maxDurationMs, maxSockets: bounds.maxSockets ?? 256 };
  const problems: string[] = [];
  for (const key of Object.keys(HARD_CEILINGS) as Array<keyof typeof HARD_CEILINGS>) {
    const v = checked[key];
    if (!Number.isInteger(v) || v <= 0 || v > HARD_CEILINGS[key]) problems.push(`${key}=${v} (must be an integer in 1..${HARD_CEILINGS[key]})`);
  }
  if (problems.length > 0) throw new DrillError('BULWARK_ERR_DRILL_BOUNDS', `invalid attack bounds: ${problems.join(', ')}`);
  return checked;
}

/** Why a bounded run stopped. */
export type StoppedBy = 'count' | 'duration' | 'signal';

/** A running bound: its combined signal and how it ended. */
export interface BoundedRun {
  /** Fires on the caller's abort or when maxDurationMs has passed. */
  readonly signal: AbortSignal;
  /** Milliseconds since the run started. */
  elapsedMs(): number;
  /** 'duration' or 'signal' once aborted, otherwise 'count' (the caller ran out of requests). */
  stoppedBy(): StoppedBy;
  /** Aborts the run (used when the count is reached, to release what waits on the signal). */
  finish(): void;
  /** Clears the deadline timer. */
  dispose(): void;
}

/** Starts the clock of a bounded run. */
export function startBoundedRun(bounds: CheckedBounds, signal?: AbortSignal): BoundedRun {
  const controller = new AbortController();
  // Every in-flight request or held socket listens to this signal (and removes its listener when done).
  setMaxListeners(0, controller.signal);
  const started = performance.now();
  let stoppedBy: StoppedBy = 'count';
  const stop = (why: StoppedBy): void => {
    if (controller.signal.aborted) return;
    stoppedBy = why;
    controller.abort(new DrillError('BULWARK_ERR_DRILL_BOUNDS', `attack stopped: ${why}`));
  };
  const timer = setTimeout(() => stop('duration'), bounds.maxDurationMs);
  const onAbort = (): void => stop('signal');
  if (signal?.aborted) stop('signal');
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    elapsedMs: () => performance.now() - started,
    stoppedBy: () => stoppedBy,
    finish: () => stop('count'),
    dispose() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
