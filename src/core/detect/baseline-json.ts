/**
 * The persisted form of a baseline (baseline.ts) and its validation on restore. A plain JSON object so
 * the caller can store it anywhere (the state directory, SQLite, Redis).
 */
import { BulwarkError } from '../../errors.ts';
import type { ByDimension, Dimension } from './dimensions.ts';
import type { HeavyKey } from './heavy-hitters.ts';

/** One metric's learned statistics. */
export interface EwStatJson {
  readonly fast: number;
  readonly slow: number;
  readonly variance: number;
  readonly n: number;
  readonly last: number;
}

/** `Baseline.toJSON()` output, version 1. */
export interface BaselineJson {
  readonly version: 1;
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
  return { fast: finite(v.fast, `${what}.fast`), slow: finite(v.slow, `${what}.slow`), variance, n, last: finite(v.last, `${what}.last`) };
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
  if (json.version !== 1) invalid(`unsupported version ${String(json.version)}`);
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
    version: 1,
    savedMs: finite(json.savedMs, 'savedMs'),
    samples: Math.max(0, Math.floor(finite(json.samples, 'samples'))),
    lastUpdateMs,
    metrics: m,
    shares: { total: Math.max(0, finite(shares.total, 'shares.total')), tail, byDimension: byDim },
  };
}
