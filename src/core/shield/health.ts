/**
 * Active health-check state of one origin, with HAProxy's rise/fall hysteresis: a `down` origin comes
 * back `up` after `rise` consecutive successful checks, an `up` origin goes `down` after `fall`
 * consecutive failed ones. The edge runs the checks (a GET on the configured path, on a timer) and
 * reports each result here; the balancer skips origins that are down. Pure: time is `nowMs`.
 */

/** Health of an origin according to active checks. */
export type HealthStatus = 'up' | 'down';

/** Options (defaults in brackets; HAProxy's are rise 2, fall 3). */
export interface HealthOptions {
  /** Consecutive successes that bring a down origin up [2]. */
  readonly rise?: number;
  /** Consecutive failures that take an up origin down [3]. */
  readonly fall?: number;
  /** State before the first check ['up': traffic flows at start; 'down' waits for `rise` checks]. */
  readonly initial?: HealthStatus;
}

/** Observable state. */
export interface HealthStats {
  readonly status: HealthStatus;
  readonly consecutiveSuccesses: number;
  readonly consecutiveFailures: number;
  readonly checks: number;
  readonly changes: number;
  /** When the status last changed (`NaN` never). */
  readonly changedAtMs: number;
}

/** See the module comment. */
export interface HealthState {
  /** Records one check; returns the new status when it changed, else `undefined`. */
  report(ok: boolean, nowMs: number): HealthStatus | undefined;
  isUp(): boolean;
  stats(): HealthStats;
}

/** Creates the state machine; see {@link HealthOptions}. */
export function createHealthState(options: HealthOptions = {}): HealthState {
  const rise = Math.max(1, options.rise ?? 2);
  const fall = Math.max(1, options.fall ?? 3);
  let status: HealthStatus = options.initial ?? 'up';
  let successes = 0;
  let failures = 0;
  let checks = 0;
  let changes = 0;
  let changedAt = Number.NaN;
  return {
    report(ok, nowMs) {
      checks++;
      if (ok) {
        successes++;
        failures = 0;
      } else {
        failures++;
        successes = 0;
      }
      const next: HealthStatus = status === 'down' && successes >= rise ? 'up' : status === 'up' && failures >= fall ? 'down' : status;
      if (next === status) return undefined;
      status = next;
      changes++;
      changedAt = nowMs;
      return next;
    },
    isUp: () => status === 'up',
    stats: () => ({ status, consecutiveSuccesses: successes, consecutiveFailures: failures, checks, changes, changedAtMs: changedAt }),
  };
}
