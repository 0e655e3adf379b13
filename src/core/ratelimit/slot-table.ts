/**
 * A fixed-size index from 64-bit key hashes to slot numbers: the storage under the limiter table and the
 * escalation table. Owners keep their per-key values in their own typed arrays, indexed by slot.
 *
 * Layout: `capacity / 8` buckets of 8 slots. A key may live in one of two buckets (chosen by its two hash
 * lanes; "power of two choices" keeps buckets balanced, so the table fills to ~95% before a bucket pair
 * runs out). Each bucket holds its 8 lane-A and 8 lane-B fingerprints in one 64-byte run of a
 * Uint32Array, so a lookup reads at most two cache lines of fingerprints. A slot is empty when its lane-B
 * fingerprint is 0 (lane B is forced non-zero for stored keys). Slots are never deleted, only reused.
 *
 * Eviction: every slot carries `until[slot]`, written by the owner: the time after which the entry holds
 * no information (a GCRA entry whose TAT has passed is a full bucket, exactly like a key never seen).
 * `claim` takes an empty slot first, else the slot with the smallest `until` among the 16 candidates,
 * but only if that `until` ≤ now. When every candidate is still busy it returns −1 and the owner must
 * fall back to something at least as strict (a sketch); the table never throws an entry with state away.
 */

const WAYS = 8;
const STRIDE = 16; // two lanes × 8 ways, in uint32 words
const INV_2_32 = 1 / 4294967296;

/** A bounded hash-slot index; see the file comment. */
export interface SlotTable {
  /** Number of slots (maxKeys rounded up to a multiple of 8, at least 16). Never changes. */
  readonly capacity: number;
  /** Bytes held by the fingerprints and `until` (allocated once). */
  readonly bytes: number;
  /** Per slot: time (ms) after which its entry carries no information. Written by the owner. */
  readonly until: Float64Array;
  /** Slot holding the key with hash lanes (a, b), or −1. */
  find(a: number, b: number): number;
  /** A slot for a key not in the table (empty or evictable), −1 when every candidate is busy. */
  claim(a: number, b: number, nowMs: number): number;
  /** Occupied slots. */
  size(): number;
  /** Entries replaced by `claim` so far (each one had `until` ≤ now). */
  evictions(): number;
  /** Occupied slots whose `until` is still ahead of `nowMs` (O(capacity): for metrics, not per request). */
  countBusy(nowMs: number): number;
}

/** Lane B as stored: never 0, since 0 marks an empty slot. */
export function storedLaneB(b: number): number {
  return b === 0 ? 1 : b;
}

/**
 * Create a slot table for at least `maxKeys` keys (integer ≥ 1). Memory: 16 bytes per slot
 * (8 of fingerprints, 8 of `until`), allocated here and never grown.
 */
export function createSlotTable(maxKeys: number): SlotTable {
  const buckets = Math.max(2, Math.ceil(maxKeys / WAYS));
  const capacity = buckets * WAYS;
  const fps = new Uint32Array(buckets * STRIDE);
  const until = new Float64Array(capacity);
  let size = 0;
  let evictions = 0;

  /**
   * Lane → bucket by multiply-shift (Lemire's fast range): floor(lane · buckets / 2^32). Exact enough in
   * doubles for ≤ 2^23 buckets (the product's rounding error, ≤ 8, is below the gap to the next bucket),
   * and much cheaper than `%` on uint32 values, which V8 does in floating point.
   */
  function bucketOf(lane: number): number {
    return Math.floor(lane * buckets * INV_2_32);
  }
  /** The second bucket of a key whose first bucket is b1 (always a different bucket). */
  function secondBucket(b1: number, b: number): number {
    const b2 = bucketOf(b);
    if (b2 !== b1) return b2;
    return b1 + 1 === buckets ? 0 : b1 + 1;
  }
  function findIn(bucket: number, a: number, b: number): number {
    const base = bucket * STRIDE;
    for (let w = 0; w < WAYS; w++) {
      const fb = fps[base + WAYS + w];
      if (fb === b) {
        if (fps[base + w] === a) return bucket * WAYS + w;
      } else if (fb === 0) return -1; // slots fill in order and are never deleted: no key beyond a hole
    }
    return -1;
  }
  function firstFree(bucket: number): number {
    const base = bucket * STRIDE + WAYS;
    for (let w = 0; w < WAYS; w++) if (fps[base + w] === 0) return w;
    return WAYS;
  }
  function store(bucket: number, w: number, a: number, b: number): number {
    fps[bucket * STRIDE + w] = a;
    fps[bucket * STRIDE + WAYS + w] = b;
    return bucket * WAYS + w;
  }
  function leastBusy(bucket: number, best: number): number {
    for (let w = 0; w < WAYS; w++) {
      const s = bucket * WAYS + w;
      if (best < 0 || until[s] < until[best]) best = s;
    }
    return best;
  }

  return {
    capacity,
    bytes: fps.byteLength + until.byteLength,
    until,
    find(a, b) {
      const lb = storedLaneB(b);
      const b1 = bucketOf(a);
      const hit = findIn(b1, a, lb);
      if (hit >= 0) return hit;
      return findIn(secondBucket(b1, lb), a, lb);
    },
    claim(a, b, nowMs) {
      const lb = storedLaneB(b);
      const b1 = bucketOf(a);
      const b2 = secondBucket(b1, lb);
      const f1 = firstFree(b1);
      const f2 = firstFree(b2);
      if (f1 < WAYS || f2 < WAYS) {
        size++;
        return f1 <= f2 ? store(b1, f1, a, lb) : store(b2, f2, a, lb);
      }
      const victim = leastBusy(b2, leastBusy(b1, -1));
      if (until[victim] > nowMs) return -1;
      evictions++;
      const bucket = Math.floor(victim / WAYS);
      return store(bucket, victim - bucket * WAYS, a, lb);
    },
    size: () => size,
    evictions: () => evictions,
    countBusy(nowMs) {
      let n = 0;
      for (let s = 0; s < capacity; s++) {
        const bucket = Math.floor(s / WAYS);
        if (fps[bucket * STRIDE + WAYS + (s - bucket * WAYS)] !== 0 && until[s] > nowMs) n++;
      }
      return n;
    },
  };
}
