/**
 * A small fixed log-bucket histogram for origin latency: 96 buckets, four per power of two, so any
 * percentile is reported within +19% (bucket upper bound), from under 1 ms to hours. O(1) record,
 * bounded memory (a typed-array slice per second), percentile by one walk over the buckets.
 */

/** Buckets per histogram. */
export const LOG_BUCKETS = 96;

/** Bucket of a latency in ms: 0 for < 1 ms, then 1 + ⌊4·log2(ms)⌋, capped at the last bucket. */
export function logBucket(ms: number): number {
  if (!(ms >= 1)) return 0;
  const b = 1 + Math.floor(4 * Math.log2(ms));
  return b >= LOG_BUCKETS ? LOG_BUCKETS - 1 : b;
}

/** Upper bound in ms of a bucket (the value reported for a percentile falling in it). */
export function logBucketUpperMs(bucket: number): number {
  return 2 ** (bucket / 4);
}

/**
 * The latency (ms) below which a fraction q (0..1) of the samples fall, from `LOG_BUCKETS` counts
 * starting at `offset`; null when there are no samples.
 */
export function logPercentile(counts: ArrayLike<number>, q: number, offset = 0): number | null {
  let total = 0;
  for (let i = 0; i < LOG_BUCKETS; i++) total += counts[offset + i]!;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < LOG_BUCKETS; i++) {
    seen += counts[offset + i]!;
    if (seen >= rank) return logBucketUpperMs(i);
  }
  return logBucketUpperMs(LOG_BUCKETS - 1);
}
