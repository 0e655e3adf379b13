/**
 * The persisted form of a baseline (baseline.ts) and its validation on restore. A plain JSON object so
 * the caller can store it anywhere (the state directory, SQLite, Redis).
 *
 * Version 2 adds each metric's growth ceiling and the seasonal profile; a version 1 object (written
 * before either existed) is still read: its ceilings start at the learned normal, its profile empty.
 * Seconds waiting to be learned are never persisted: after a restart nobody can say they preceded no
 * rise (the restart may have come in the first seconds of an attack).
 */
import { BulwarkError } from '../errors.ts';
import type { ByDimension, Dimension } from './dimensions.ts';
import type { HeavyKey } from './heavy-hitters.ts';

/** One metric's learned statistics. */
export interface EwStatJson {
  readonly fast: number;
  readonly slow: number;
  readonly variance: number;
  readonly n: number;
  readonly last: number;
  /** Absent in version 1. */
  readonly ceiling?: number;
}

/** `Baseline.toJSON()` output, version 2 (version 1 is read too). */
export interface BaselineJson {
  readonly version: 1 | 2;
  /** Time of the last learned sample (ms), 0 if none. */
  readonly savedMs: number;
  readonly samples: number;
  readonly lastUpdateMs: number | null;
  readonly metrics: Readonly<Record<string, EwStatJson>>;
  readonly shares: {
    readonly total: number;
    readonly tail: Readonly<Record<Dimension, number>>;
    /** [key, count, error] per monitored key. */
    readonly byDimension: ByDimension<ReadonlyArray<readonly [HeavyKey, number, number]>>;
  };
  /** The seasonal profile (seasonal-profile.ts), validated when the profile is restored; null when none. */
  readonly seasonal?: unknown;
}

function invalid(what: string): never {
  throw new BulwarkError('BULWARK_ERR_DETECT_BASELINE_INVALID', `persisted baseline is invalid: ${what}`, { source: 'internal' });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function finite(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) invalid(`${what} is not a finite number`);
  return v;
}

function parseStat(v: unknown, what: string): EwStatJson {
  if (!isRecord(v)) invalid(`${what} is missing`);
  const variance = finite(v.variance, `${what}.variance`);
  const n = finite(v.n, `${what}.n`);
  if (variance < 0 || n < 0) invalid(`${what} has a negative variance or count`);
  const fast = finite(v.fast, `${what}.fast`);
  const slow = finite(v.slow, `${what}.slow`);
  const ceiling = v.ceiling === undefined ? Math.max(fast, slow) : finite(v.ceiling, `${what}.ceiling`);
  if (ceiling < 0) invalid(`${what} has a negative ceiling`);
  return { fast, slow, variance, n, last: finite(v.last, `${what}.last`), ceiling };
}

function parseEntries(v: unknown, what: string): Array<[HeavyKey, number, number]> {
  if (!Array.isArray(v)) invalid(`${what} is not an array`);
  return v.map((e, i) => {
    if (!Array.isArray(e) || e.length !== 3) invalid(`${what}[${i}] is not [key, count, error]`);
    const key: unknown = e[0];
    if (typeof key !== 'string' && typeof key !== 'number') invalid(`${what}[${i}] has a bad key`);
    return [key, finite(e[1], `${what}[${i}].count`), finite(e[2], `${what}[${i}].error`)];
  });
}

/** Validates an unknown value as BaselineJson (every metric and dimension present, numbers finite). */
export function parseBaselineJson(json: unknown, metrics: readonly string[], dimensions: readonly Dimension[]): BaselineJson {
  if (!isRecord(json)) invalid('not an object');
  if (json.version !== 1 && json.version !== 2) invalid(`unsupported version ${String(json.version)}`);
  if (!isRecord(json.metrics)) invalid('metrics missing');
  if (!isRecord(json.shares) || !isRecord(json.shares.tail) || !isRecord(json.shares.byDimension)) invalid('shares missing');
  const m: Record<string, EwStatJson> = {};
  for (const name of metrics) m[name] = parseStat(json.metrics[name], `metrics.${name}`);
  const shares = json.shares;
  const tail = {} as Record<Dimension, number>;
  const byDim = {} as Record<Dimension, Array<[HeavyKey, number, number]>>;
  for (const d of dimensions) {
    tail[d] = finite((shares.tail as Record<string, unknown>)[d], `shares.tail.${d}`);
    byDim[d] = parseEntries((shares.byDimension as Record<string, unknown>)[d], `shares.byDimension.${d}`);
  }
  const lastUpdateMs = json.lastUpdateMs === null ? null : finite(json.lastUpdateMs, 'lastUpdateMs');
  return {
    version: 2,
    savedMs: finite(json.savedMs, 'savedMs'),
    samples: Math.max(0, Math.floor(finite(json.samples, 'samples'))),
    lastUpdateMs,
    metrics: m,
    shares: { total: Math.max(0, finite(shares.total, 'shares.total')), tail, byDimension: byDim },
    seasonal: json.seasonal ?? null,
  };
}
