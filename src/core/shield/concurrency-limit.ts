/**
 * Adaptive concurrency limits toward an origin: how many requests a site may have in flight
 * at the origin right now, learned from the latencies the origin answers with.
 *
 * - `gradient` (default), after Envoy's adaptive concurrency filter and Netflix concurrency-limits:
 *   every sample window, `limit ← limit × gradient + √limit`, where
 *   `gradient = clamp((minRTT × (1 + buffer)) / sampleRTT, 0.5, 2)` — the limit grows while the origin
 *   answers about as fast as when idle and shrinks as soon as requests queue inside it — smoothed, clamped
 *   to `[minLimit, maxLimit]`, never grown while the load is below half the limit (app-limited), cut by
 *   `backoffRatio` when a window saw drops. `minRTT` only goes down between re-measurements; every
 *   `minRttIntervalMs` the limit is pinned to `probeLimit` until `probeSamples` samples (or
 *   `probeMaxMs`) measure the idle latency afresh, so an origin that became slower for good is not
 *   strangled forever (Envoy's "minRTT calculation window").
 * - `aimd`: additive increase (+1 per limit's worth of good samples under the latency threshold while
 *   the load uses the limit), multiplicative decrease (`× backoffRatio`, at most once per
 *   `decreaseIntervalMs`) on a drop or a sample over the threshold. Simpler, no re-measurement pauses.
 *
 * A *sample* is one finished origin request: `(latencyMs, didDrop, inflight, nowMs)` where `didDrop`
 * means overload evidence (timeout, refused or reset connection, 503/429 from the origin) and `inflight`
 * counts the requests in flight when it finished, itself included. Pure and deterministic: no clock, no
 * timers. Set `maxLimit` to the origin's known hard capacity when there is one.
 *
 * Overload answers are congestion, not only latency: an origin that refuses work beyond its capacity
 * without slowing down (an immediate 503) gives latencies that say "all is well". So, with both
 * algorithms, a drop with `inflight` requests in flight sets a *ceiling* of `inflight − 1` at once (the
 * origin refused at that concurrency, so its capacity is below it) and the limit never exceeds it — the
 * origin is not pushed past it again; a drop never counts as a latency sample either (a fast refusal is
 * no service time). The ceiling is forgotten after `ceilingForgetMs` without a drop (an origin that
 * grew), and the limit then grows from it as usual, so finding the capacity again costs a refusal or so.
 */

/** Options shared by both algorithms. */
export interface LimitBounds {
  /** Starting limit (default 20). */
  readonly initialLimit?: number;
  /** Floor (default 4). */
  readonly minLimit?: number;
  /** Ceiling: the origin's known capacity (default 500). */
  readonly maxLimit?: number;
  /** Multiplier applied on overload (default 0.9 gradient, 0.9 aimd). */
  readonly backoffRatio?: number;
  /** Forget the ceiling learnt from a drop after this long without another (default 300 000 ms). */
  readonly ceilingForgetMs?: number;
}

/** Options of the gradient limiter (defaults in brackets). */
export interface GradientLimitOptions extends LimitBounds {
  readonly algorithm?: 'gradient';
  /** Shortest sample window [100 ms]. */
  readonly windowMs?: number;
  /** Samples needed to close a window [10]. */
  readonly minWindowSamples?: number;
  /** Percentile of a window's latencies used as sample RTT [0.5]. */
  readonly percentile?: number;
  /** Extra latency tolerated over minRTT before shrinking [0.25 = 25 %]. */
  readonly buffer?: number;
  /**
   * Latency the origin may answer in without the limit shrinking for it, whatever minRTT is [0 = off]:
   * a fast origin whose answers slow from 10 to 40 ms has plenty of room, and latency that rises for
   * other reasons (a busy host, a slow network) must not strangle it. Overload answers still cut.
   */
  readonly toleratedLatencyMs?: number;
  /** Weight of the new limit in the smoothed one [0.3]. */
  readonly smoothing?: number;
  /** Re-measure minRTT this often; 0 = never [30 000 ms]. */
  readonly minRttIntervalMs?: number;
  /** With probes off (`minRttIntervalMs: 0`): relative upward drift of the min-RTT estimate per window (default 0.001). */
  readonly minRttDrift?: number;
  /** Concurrency while re-measuring [minLimit]. */
  readonly probeLimit?: number;
  /** Samples of a re-measurement [25]. */
  readonly probeSamples?: number;
  /** Longest re-measurement [2 000 ms]. */
  readonly probeMaxMs?: number;
}

/** Options of the AIMD limiter (defaults in brackets). */
export interface AimdLimitOptions extends LimitBounds {
  readonly algorithm: 'aimd';
  /** A sample slower than this counts as a drop [1 000 ms]. */
  readonly latencyThresholdMs?: number;
  /** At most one decrease per interval [100 ms]. */
  readonly decreaseIntervalMs?: number;
}

/** Observable state of a limiter. */
export interface LimiterStats {
  readonly algorithm: 'gradient' | 'aimd';
  readonly limit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** Gradient: baseline latency (`NaN` before the first measurement). */
  readonly minRttMs: number;
  /** Gradient: last window's sample RTT. */
  readonly sampleRttMs: number;
  /** `probe` while the gradient limiter re-measures minRTT. */
  readonly phase: 'normal' | 'probe';
  readonly updates: number;
  readonly drops: number;
  /** The concurrency an overload answer showed the origin cannot take (`Infinity`: none known). */
  readonly ceiling: number;
}

/**
 * The ceiling an overload answer sets (see the module comment): pure state, shared by both algorithms.
 * `cap(limit)` is what the limit may be right now.
 */
interface Ceiling {
  onSample(didDrop: boolean, inflight: number, nowMs: number): void;
  cap(limit: number): number;
  value(): number;
}

function createCeiling(min: number, forgetMs: number): Ceiling {
  let ceiling = Infinity;
  let lastDropMs = Number.NEGATIVE_INFINITY;
  return {
    onSample(didDrop, inflight, nowMs) {
      if (didDrop) {
        ceiling = Math.max(min, Math.min(ceiling, inflight - 1));
        lastDropMs = nowMs;
      } else if (ceiling !== Infinity && nowMs - lastDropMs >= forgetMs) ceiling = Infinity;
    },
    cap: (limit) => (limit < ceiling ? limit : ceiling),
    value: () => ceiling,
  };
}

/** An adaptive limit; see the module comment. */
export interface ConcurrencyLimiter {
  /** The current limit: admit a request only while fewer than this are in flight. */
  limit(): number;
  /** Feeds one finished request; may move the limit. */
  onSample(latencyMs: number, didDrop: boolean, inflight: number, nowMs: number): void;
  stats(): LimiterStats;
}

/** Creates a gradient (default) or AIMD limiter. Throws `BULWARK_ERR_SHIELD_OPTIONS` on bad bounds. */
export function createConcurrencyLimiter(options: GradientLimitOptions | AimdLimitOptions = {}): ConcurrencyLimiter {
  return options.algorithm === 'aimd' ? createAimdLimiter(options) : createGradientLimiter(options);
}

interface Bounds {
  readonly min: number;
  readonly max: number;
  readonly initial: number;
}

function bounds(o: LimitBounds): Bounds {
  const min = o.minLimit ?? 4;
  const max = o.maxLimit ?? 500;
  const initial = o.initialLimit ?? Math.min(max, Math.max(min, 20));
  const backoff = o.backoffRatio ?? 0.9;
  if (!(Number.isInteger(min) && min >= 1 && Number.isInteger(max) && max >= min && initial >= min && initial <= max && backoff > 0 && backoff < 1)) {
    throw Object.assign(new Error(`invalid concurrency limit bounds: min ${min}, max ${max}, initial ${initial}, backoff ${backoff}`), {
      code: 'BULWARK_ERR_SHIELD_OPTIONS',
    });
  }
  return { min, max, initial };
}

/** Clamps into [lo, hi]; NaN (an impossible ratio) becomes `lo`, so the limit can never become NaN. */
const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v === v ? v : lo);

function createGradientLimiter(o: GradientLimitOptions): ConcurrencyLimiter {
  const b = bounds(o);
  const windowMs = o.windowMs ?? 100;
  const minSamples = o.minWindowSamples ?? 10;
  const pct = o.percentile ?? 0.5;
  const buffer = o.buffer ?? 0.25;
  const tolerated = o.toleratedLatencyMs ?? 0;
  const smoothing = o.smoothing ?? 0.3;
  const backoff = o.backoffRatio ?? 0.9;
  const interval = o.minRttIntervalMs ?? 30_000;
  const drift = o.minRttDrift ?? 0.001;
  const probeLimit = clamp(o.probeLimit ?? b.min, 1, b.max);
  const probeSamples = o.probeSamples ?? 25;
  const probeMaxMs = o.probeMaxMs ?? 2_000;
  const ceiling = createCeiling(b.min, o.ceilingForgetMs ?? 300_000);
  const samples = new Float64Array(256);
  let n = 0;
  let windowStart = Number.NaN;
  let windowDrops = 0;
  let windowMaxInflight = 0;
  let limit = b.initial;
  let minRtt = Number.NaN;
  let sampleRtt = Number.NaN;
  let phase: 'normal' | 'probe' = interval > 0 ? 'probe' : 'normal';
  let probeStart = Number.NaN;
  let nextProbe = Number.NaN;
  let updates = 0;
  let drops = 0;

  const percentile = (): number => {
    const sorted = samples.slice(0, Math.min(n, samples.length)).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor(pct * sorted.length))];
  };
  const resetWindow = (nowMs: number): void => {
    n = 0;
    windowStart = nowMs;
    windowDrops = 0;
    windowMaxInflight = 0;
  };
  const endProbe = (nowMs: number): void => {
    if (n > 0) minRtt = percentile();
    phase = 'normal';
    nextProbe = nowMs + interval;
    resetWindow(nowMs);
  };
  const update = (): void => {
    if (n === 0) {
      // Only drops this window: back off without a latency reading.
      if (windowDrops > 0) limit = clamp(limit * backoff, b.min, b.max);
      updates++;
      return;
    }
    sampleRtt = percentile();
    // Without probes, the no-load latency estimate drifts up by `minRttDrift` per window so a lasting
    // change of the origin's normal latency (a deploy, a slower database) is learned within minutes,
    // while a burst of queueing (seconds) barely moves it.
    if (interval === 0 && minRtt > 0) minRtt *= 1 + drift;
    if (!(minRtt <= sampleRtt)) minRtt = sampleRtt;
    let gradient = clamp((minRtt * (1 + buffer)) / sampleRtt, 0.5, 2);
    if (gradient < 1 && sampleRtt <= tolerated) gradient = 1;
    let target = gradient * limit + Math.sqrt(limit);
    if (target > limit && windowMaxInflight < limit / 2) target = limit;
    const smoothed = limit * (1 - smoothing) + target * smoothing;
    // Drops are overload evidence: back off at once, unsmoothed. Never above the ceiling (so growth
    // starts from it, not from a figure the origin already refused, once it is forgotten).
    limit = ceiling.cap(clamp(windowDrops > 0 ? Math.min(smoothed, limit * backoff) : smoothed, b.min, b.max));
    updates++;
  };

  const current = (): number => ceiling.cap(phase === 'probe' ? probeLimit : Math.floor(limit));
  return {
    limit: current,
    onSample(latencyMs, didDrop, inflight, nowMs) {
      if (didDrop) drops++;
      ceiling.onSample(didDrop, inflight, nowMs);
      if (Number.isNaN(windowStart)) resetWindow(nowMs);
      if (phase === 'probe') {
        if (Number.isNaN(probeStart)) probeStart = nowMs;
        if (inflight <= probeLimit && latencyMs > 0 && !didDrop) samples[n++ % samples.length] = latencyMs;
        if (n >= probeSamples || nowMs - probeStart >= probeMaxMs) endProbe(nowMs);
        return;
      }
      // A failure or refusal is overload evidence, not an RTT (a fast 503 says nothing of service time).
      if (latencyMs > 0 && !didDrop) samples[n++ % samples.length] = latencyMs;
      if (didDrop) windowDrops++;
      if (inflight > windowMaxInflight) windowMaxInflight = inflight;
      if (nowMs - windowStart < windowMs || (n < minSamples && windowDrops === 0)) return;
      update();
      resetWindow(nowMs);
      if (interval > 0 && nowMs >= nextProbe) {
        phase = 'probe';
        probeStart = nowMs;
      }
    },
    stats: () => ({
      algorithm: 'gradient',
      limit: current(),
      minLimit: b.min,
      maxLimit: b.max,
      minRttMs: minRtt,
      sampleRttMs: sampleRtt,
      phase,
      updates,
      drops,
      ceiling: ceiling.value(),
    }),
  };
}

function createAimdLimiter(o: AimdLimitOptions): ConcurrencyLimiter {
  const b = bounds(o);
  const backoff = o.backoffRatio ?? 0.9;
  const threshold = o.latencyThresholdMs ?? 1_000;
  const decreaseInterval = o.decreaseIntervalMs ?? 100;
  const ceiling = createCeiling(b.min, o.ceilingForgetMs ?? 300_000);
  let limit = b.initial;
  let lastDecrease = Number.NEGATIVE_INFINITY;
  let updates = 0;
  let drops = 0;
  return {
    limit: () => ceiling.cap(Math.floor(limit)),
    onSample(latencyMs, didDrop, inflight, nowMs) {
      ceiling.onSample(didDrop, inflight, nowMs);
      if (didDrop || latencyMs > threshold) {
        drops++;
        if (nowMs - lastDecrease < decreaseInterval) return;
        lastDecrease = nowMs;
        limit = Math.max(b.min, limit * backoff);
        updates++;
      } else if (inflight * 2 >= limit) {
        limit = ceiling.cap(Math.min(b.max, limit + 1 / limit));
        updates++;
      }
    },
    stats: () => ({
      algorithm: 'aimd',
      limit: ceiling.cap(Math.floor(limit)),
      minLimit: b.min,
      maxLimit: b.max,
      minRttMs: Number.NaN,
      sampleRttMs: Number.NaN,
      phase: 'normal',
      updates,
      drops,
      ceiling: ceiling.value(),
    }),
  };
}
