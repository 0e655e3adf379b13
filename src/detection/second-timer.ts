/**
 * One timer that fires just after each second boundary (default 5 ms after), so each run sees the
 * previous second complete. A chain of `setTimeout`s re-aligned on every run (no drift accumulates, a
 * late run does not cause a burst of catch-up runs), `unref`ed so it never keeps the process alive.
 * A run that is still going when the next one is due makes that one skip (counted), so a slow disk
 * cannot pile up ticks.
 */

/** Options of {@link startSecondTimer}. */
export interface SecondTimerOptions {
  /** Delay after the boundary, ms. Default 5. */
  readonly offsetMs?: number;
  /** Clock. Default `Date.now`. */
  readonly now?: () => number;
  /** Called with a run's error (the timer keeps going). */
  readonly onError?: (err: unknown) => void;
}

/** A running second timer. */
export interface SecondTimer {
  stop(): void;
  /** Runs started, and runs skipped because the previous one had not finished. */
  readonly runs: number;
  readonly skipped: number;
}

/** Milliseconds from nowMs until `offsetMs` after the next second boundary (1..1000 + offset). */
export function delayToNextSecond(nowMs: number, offsetMs = 5): number {
  const into = ((nowMs % 1000) + 1000) % 1000;
  const d = 1000 - into + offsetMs;
  return d > 1000 ? d - 1000 : d;
}

/** Starts calling `run` once a second, just after each boundary. */
export function startSecondTimer(run: () => unknown, options: SecondTimerOptions = {}): SecondTimer {
  const now = options.now ?? Date.now;
  const offset = options.offsetMs ?? 5;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let busy = false;
  let runs = 0;
  let skipped = 0;

  function fire(): void {
    if (stopped) return;
    schedule();
    if (busy) {
      skipped++;
      return;
    }
    busy = true;
    runs++;
    try {
      const result = run();
      if (!(result instanceof Promise)) {
        busy = false;
        return;
      }
      result.then(
        () => void (busy = false),
        (err: unknown) => {
          busy = false;
          options.onError?.(err);
        },
      );
    } catch (err) {
      busy = false;
      options.onError?.(err);
    }
  }

  function schedule(): void {
    timer = setTimeout(fire, delayToNextSecond(now(), offset));
    timer.unref();
  }

  schedule();
  return {
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
    },
    get runs() {
      return runs;
    },
    get skipped() {
      return skipped;
    },
  };
}
