/**
 * A fixed log-bucket latency histogram on a typed array: bounded memory, O(1) record, percentiles by
 * walking 40 buckets. Bucket i covers [2^(i/2) - 1, 2^((i+1)/2) - 1) milliseconds (√2 steps), so
 * percentiles are within ~±20% — enough to see an origin slowing down, cheap enough for every request.
 */
export const LATENCY_BUCKETS = 40;

/** Bucket index of a latency in milliseconds. */
export function latencyBucket(ms: number): number {
  if (!(ms > 0)) return 0;
  const i = Math.floor(2 * Math.log2(ms + 1));
  return i >= LATENCY_BUCKETS ? LATENCY_BUCKETS - 1 : i;
}

/** Upper bound (ms) of a bucket, reported as the percentile value. */
export function bucketUpperMs(i: number): number {
  return Math.round((2 ** ((i + 1) / 2) - 1) * 10) / 10;
}

/** The value below which `q` (0..1) of the recorded samples fall, from bucket counts; null when empty. */
export function percentileOf(counts: ArrayLike<number>, q: number, offset = 0): number | null {
  let total = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) total += counts[offset + i]!;
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) {
    seen += counts[offset + i]!;
    if (seen >= rank) return bucketUpperMs(i);
  }
  return bucketUpperMs(LATENCY_BUCKETS - 1);
}
