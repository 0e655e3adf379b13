/**
 * The loop under every request-based attacker: launches `send(i)` at a target rate (token bucket, burst
 * of at most `concurrency`) or as fast as `concurrency` allows, until the request count, the duration or
 * the caller's signal says stop; then aborts what is in flight and returns once everything settled.
 */
import { startBoundedRun, type CheckedBounds, type StoppedBy } from './bounds.ts';

/** Options of {@link runPaced}. */
export interface PacedRunOptions {
  readonly bounds: CheckedBounds;
  readonly signal?: AbortSignal;
  /** Overall requests per second; omitted = closed loop, as fast as `concurrency` allows. */
  readonly ratePerS?: number;
  /** Requests in flight at most (≤ bounds.maxSockets). */
  readonly concurrency: number;
  /** Sends request `i`; must settle soon after `signal` aborts and never reject. */
  readonly send: (i: number, signal: AbortSignal) => Promise<void>;
}

/** How a paced run ended. */
export interface PacedRunResult {
  readonly launched: number;
  readonly durationMs: number;
  readonly stoppedBy: StoppedBy;
}

const TICK_MS = 5;
const GRACE_MS = 1000;

/** Runs the loop; resolves after every launched `send` settled (at most ~1 s after the stop). */
export function runPaced(options: PacedRunOptions): Promise<PacedRunResult> {
  const run = startBoundedRun(options.bounds, options.signal);
  const max = options.bounds.maxRequests;
  const concurrency = Math.max(1, Math.min(options.concurrency, options.bounds.maxSockets));
  const rate = options.ratePerS;
  let launched = 0;
  let inFlight = 0;
  let tokens = 1;
  let last = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let grace: NodeJS.Timeout | undefined;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (): void => {
      if (settled || inFlight > 0) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      run.dispose();
      resolve({ launched, durationMs: run.elapsedMs(), stoppedBy: run.stoppedBy() });
    };
    const pump = (): void => {
      if (settled) return;
      if (run.signal.aborted) return settle();
      if (launched >= max) {
        if (inFlight === 0) {
          run.finish();
          settle();
        }
        return;
      }
      if (rate !== undefined) {
        const now = performance.now();
        tokens = Math.min(concurrency, tokens + ((now - last) * rate) / 1000);
        last = now;
      }
      while (launched < max && inFlight < concurrency && (rate === undefined || tokens >= 1)) {
        if (rate !== undefined) tokens -= 1;
        launch(launched++);
      }
      if (rate !== undefined && launched < max) {
        timer = setTimeout(pump, Math.max(1, Math.min(TICK_MS, (1000 * (1 - tokens)) / rate)));
      }
    };
    const launch = (i: number): void => {
      inFlight++;
      void options
        .send(i, run.signal)
        .catch(() => undefined)
        .finally(() => {
          inFlight--;
          if (run.signal.aborted) settle();
          else if (rate === undefined || launched >= max) setImmediate(pump);
        });
    };
    run.signal.addEventListener(
      'abort',
      () => {
        setImmediate(settle);
        // Sends must settle on abort; if one does not, stop waiting for it after a grace period.
        grace = setTimeout(() => {
          inFlight = 0;
          settle();
        }, GRACE_MS);
      },
      { once: true },
    );
    pump();
  });
}
