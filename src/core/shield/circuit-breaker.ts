/**
 * A circuit breaker per origin: stop sending requests to an origin that keeps failing, so
 * the shield serves stale content or a 503 at once instead of piling up timeouts, and let a few probes
 * find out when it is back.
 *
 * `closed` → `open` after `failureThreshold` consecutive failures, or when the failure ratio over the
 * last `ratioWindowMs` reaches `failureRatio` with at least `minRequests` results; `open` → `half_open`
 * once the cool-down has passed; in `half_open` at most `halfOpenProbes` requests pass at a time;
 * `successesToClose` successful probes close it, one failed probe opens it again with the cool-down
 * multiplied by `coolDownMultiplier` (up to `maxCoolDownMs`). Closing resets the cool-down.
 *
 * The caller passes back what `tryPass` answered when it records the result, so results of requests let
 * through before the circuit opened cannot be mistaken for probes. Pure: time is `nowMs`.
 */

/** Breaker states. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What `tryPass` allows: a normal request, a half-open probe, or nothing. */
export type BreakerPass = 'allow' | 'probe' | 'deny';

/** Result of a request for the breaker: `ignored` for outcomes that say nothing about the origin. */
export type BreakerResult = 'success' | 'failure' | 'ignored';

/** Options (defaults in brackets). */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit [5]. */
  readonly failureThreshold?: number;
  /** Failure ratio that opens it [0.5]; 1.01 disables the ratio rule. */
  readonly failureRatio?: number;
  /** Results needed in the window before the ratio counts [20]. */
  readonly minRequests?: number;
  /** Ratio window [10 000 ms], kept in 10 buckets. */
  readonly ratioWindowMs?: number;
  /** First cool-down [5 000 ms]. */
  readonly coolDownMs?: number;
  /** Longest cool-down [60 000 ms]. */
  readonly maxCoolDownMs?: number;
  /** Cool-down growth after a failed probe [2]. */
  readonly coolDownMultiplier?: number;
  /** Probes in flight at once in half-open [1]. */
  readonly halfOpenProbes?: number;
  /** Successful probes that close the circuit [1]. */
  readonly successesToClose?: number;
}

/** The last state change. */
export interface BreakerTransition {
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly atMs: number;
  readonly reason: 'consecutive_failures' | 'failure_ratio' | 'cool_down_elapsed' | 'probe_failed' | 'probes_succeeded';
}

/** Observable state. */
export interface BreakerStats {
  readonly state: BreakerState;
  readonly consecutiveFailures: number;
  readonly coolDownMs: number;
  /** When an open circuit lets probes through (`NaN` unless open). */
  readonly retryAtMs: number;
  readonly probesInFlight: number;
  readonly opens: number;
  readonly transitions: number;
  readonly lastTransition: BreakerTransition | undefined;
  readonly denied: number;
}

/** See the module comment. */
export interface CircuitBreaker {
  /** May a request go to the origin now? Moves `open` → `half_open` when the cool-down is over. */
  tryPass(nowMs: number): BreakerPass;
  /** Records the result of a request that `tryPass` let through with `pass`. */
  record(result: BreakerResult, pass: 'allow' | 'probe', nowMs: number): void;
  /** Current state (advancing `open` → `half_open` if due). */
  state(nowMs: number): BreakerState;
  stats(): BreakerStats;
}

const BUCKETS = 10;

/** Creates a closed breaker; see {@link CircuitBreakerOptions}. */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const threshold = options.failureThreshold ?? 5;
  const ratio = options.failureRatio ?? 0.5;
  const minRequests = options.minRequests ?? 20;
  const bucketMs = Math.max(1, (options.ratioWindowMs ?? 10_000) / BUCKETS);
  const baseCoolDown = options.coolDownMs ?? 5_000;
  const maxCoolDown = Math.max(baseCoolDown, options.maxCoolDownMs ?? 60_000);
  const multiplier = options.coolDownMultiplier ?? 2;
  const maxProbes = Math.max(1, options.halfOpenProbes ?? 1);
  const toClose = Math.max(1, options.successesToClose ?? 1);
  const ok = new Uint32Array(BUCKETS);
  const bad = new Uint32Array(BUCKETS);
  const bucketId = new Float64Array(BUCKETS).fill(-1);
  let state: BreakerState = 'closed';
  let consecutive = 0;
  let coolDown = baseCoolDown;
  let retryAt = Number.NaN;
  let probes = 0;
  let probeSuccesses = 0;
  let opens = 0;
  let transitions = 0;
  let denied = 0;
  let last: BreakerTransition | undefined;

  const move = (to: BreakerState, nowMs: number, reason: BreakerTransition['reason']): void => {
    last = { from: state, to, atMs: nowMs, reason };
    transitions++;
    state = to;
    probes = 0;
    probeSuccesses = 0;
    if (to === 'open') {
      opens++;
      retryAt = nowMs + coolDown;
    } else retryAt = Number.NaN;
    if (to === 'closed') {
      coolDown = baseCoolDown;
      consecutive = 0;
      bucketId.fill(-1);
    }
  };

  const count = (failure: boolean, nowMs: number): { total: number; failures: number } => {
    const id = Math.floor(nowMs / bucketMs);
    const i = id % BUCKETS;
    if (bucketId[i] !== id) {
      bucketId[i] = id;
      ok[i] = 0;
      bad[i] = 0;
    }
    if (failure) bad[i]++;
    else ok[i]++;
    let total = 0;
    let failures = 0;
    for (let j = 0; j < BUCKETS; j++) {
      if (bucketId[j] > id - BUCKETS) {
        total += ok[j] + bad[j];
        failures += bad[j];
      }
    }
    return { total, failures };
  };

  const advance = (nowMs: number): void => {
    if (state === 'open' && nowMs >= retryAt) move('half_open', nowMs, 'cool_down_elapsed');
  };

  return {
    tryPass(nowMs) {
      advance(nowMs);
      if (state === 'closed') return 'allow';
      if (state === 'half_open' && probes < maxProbes) {
        probes++;
        return 'probe';
      }
      denied++;
      return 'deny';
    },
    record(result, pass, nowMs) {
      if (pass === 'probe') {
        if (state !== 'half_open') return;
        probes = Math.max(0, probes - 1);
        if (result === 'failure') {
          coolDown = Math.min(maxCoolDown, coolDown * multiplier);
          move('open', nowMs, 'probe_failed');
        } else if (result === 'success' && ++probeSuccesses >= toClose) move('closed', nowMs, 'probes_succeeded');
        return;
      }
      if (state !== 'closed' || result === 'ignored') return;
      consecutive = result === 'failure' ? consecutive + 1 : 0;
      const w = count(result === 'failure', nowMs);
      if (consecutive >= threshold) move('open', nowMs, 'consecutive_failures');
      else if (w.total >= minRequests && w.failures / w.total >= ratio) move('open', nowMs, 'failure_ratio');
    },
    state(nowMs) {
      advance(nowMs);
      return state;
    },
    stats: () => ({
      state,
      consecutiveFailures: consecutive,
      coolDownMs: coolDown,
      retryAtMs: retryAt,
      probesInFlight: probes,
      opens,
      transitions,
      lastTransition: last,
      denied,
    }),
  };
}
