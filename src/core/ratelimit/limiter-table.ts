/**
 * Bounded GCRA state for any number of keys: an exact table of `maxKeys` entries in front of a
 * count-min sketch of TAT maxima. Memory is allocated once, at creation (16 bytes per table slot plus
 * 8 bytes per sketch cell); a flood of ten million distinct keys changes the contents, never the size.
 *
 * Why eviction can never reset a counter (the attacker's way to a fresh bucket):
 * 1. A GCRA entry is a single number, its TAT. An entry with TAT ≤ now is a full bucket, exactly the
 *    state of a key never seen. The table evicts only such entries (slot-table.ts, `claim`), so
 *    forgetting them changes no future decision.
 * 2. When every candidate slot of a new key holds a TAT still in the future ("hot"), the key does not get
 *    a slot: its state lives in the sketch. Each consuming check raises the key's sketch cells to the new
 *    TAT, and a cell only ever grows; so every cell of a key is ≥ its true TAT, and the estimate (the
 *    minimum over its cells) is ≥ its true TAT. Another key sharing cells can only raise it further.
 * 3. A key that is not in the table starts from the sketch estimate (when the sketch holds any future
 *    TAT at all), including when it later gets a slot. So whichever way a key's state moves — table, sketch,
 *    evicted after cooling down, back into the table — the TAT used for it is never below the TAT it
 *    would have with unbounded memory, and GCRA with a larger TAT only refuses more.
 * The price of a saturated table is precision, never safety: keys that share sketch cells with hot keys
 * are judged more strictly until those TATs pass. `fallbacks` counts how often that mode is used.
 */
import { createCountMinSketch } from '../sketch/count-min.ts';
import { hashString64 } from '../sketch/hash.ts';
import { BulwarkError } from '../errors.ts';
import { createSlotTable } from './slot-table.ts';
import { MAX_KEY_PART_CHARS } from './key.ts';
import { createPartHashes } from './part-hash.ts';
import type { PartHashes } from './part-hash.ts';
import { assertCost, gcraDecide, gcraNextTat } from './gcra.ts';
import type { GcraLimit, RateLimitResult } from './gcra.ts';

/** Options of {@link createLimiterTable}. */
export interface LimiterTableOptions {
  /**
   * Hard cap on exactly tracked keys (rounded up to a multiple of 8). Memory ≈ 16 B × maxKeys + sketch,
   * plus the key-part memo (./part-hash.ts: up to min(maxKeys, 16,384) values of ≤ 64 characters).
   */
  readonly maxKeys: number;
  /** Per-process secret hash seed, integer in [0, 2^53): makes bucket and cell choices unpredictable. */
  readonly seed: number;
  /** Fallback sketch cells per row (rounded up to a power of two). Default maxKeys / 4, at least 1024. */
  readonly sketchWidth?: number;
  /** Fallback sketch rows. Default 4. */
  readonly sketchDepth?: number;
}

/** `consume`: admit and record. `peek`: decide as `consume` would, change nothing. */
export type CheckMode = 'consume' | 'peek';

/** Fill level and counters of a limiter table, for metrics (a silently full table stops being exact). */
export interface LimiterTableStats {
  /** Occupied table slots. */
  readonly size: number;
  readonly capacity: number;
  /** Idle entries (TAT passed) replaced to make room. */
  readonly evictions: number;
  /** Consuming checks whose key found no free or idle slot and was recorded in the sketch instead. */
  readonly fallbacks: number;
  /** Latest TAT ever written into the sketch: while it is ahead of now, the fallback mode has effect. */
  readonly sketchUntilMs: number;
  /** Bytes of table and sketch, allocated at creation. */
  readonly bytes: number;
}

/** GCRA state for many keys in fixed memory; see the file comment for the eviction argument. */
export interface LimiterTable {
  readonly capacity: number;
  readonly bytes: number;
  /** Hash a key with this table's seed into `out[0..1]` (for the `*Hashed` calls). */
  hash(key: string, out: Uint32Array): void;
  /** Seeded hashes of key-part values, remembered (./part-hash.ts); every key of this table hashes through it. */
  readonly parts: PartHashes;
  /** Decide a request of `cost` (default 1) for `key`; records it when admitted in `consume` mode (default). */
  check(key: string, limit: GcraLimit, nowMs: number, cost?: number, mode?: CheckMode): RateLimitResult;
  /** Table slot of a hashed key, or −1 when it is not in the table (valid until the next commit). */
  find(a: number, b: number): number;
  /**
   * The TAT the table uses for a hashed key now (exact, sketch bound, or ≤ now for a fresh key): what a
   * decision without recording starts from (phase one of a multi-limit decision). `slot` is the key's
   * {@link find} result when the caller already has it.
   */
  tatHashed(a: number, b: number, nowMs: number, slot?: number): number;
  /**
   * Record an admitted request for a hashed key: TAT ← max(TAT, now) + cost·T, from the state current at
   * the call (phase two; records even if another key's write made the estimate stricter meanwhile).
   * `slot` may be passed when it came from {@link find} with no commit in between, or from a commit
   * that only wrote found slots (writes to found slots never move keys; claims can).
   */
  commitHashed(a: number, b: number, limit: GcraLimit, nowMs: number, cost: number, slot?: number): void;
  /** The TAT this table uses for a key now: exact, or the sketch bound, or ≤ now for a fresh key. */
  tatOf(key: string, nowMs: number): number;
  stats(): LimiterTableStats;
  /** Entries whose TAT is still ahead of now (O(capacity); for metrics). */
  countBusy(nowMs: number): number;
}

/**
 * Create a limiter table. Throws `BULWARK_ERR_RATELIMIT_TABLE` for a `maxKeys` that is not an integer
 * in 1..2^26 (the cap keeps a misconfiguration from allocating gigabytes).
 */
export function createLimiterTable(options: LimiterTableOptions): LimiterTable {
  const { maxKeys, seed } = options;
  if (!(Number.isInteger(maxKeys) && maxKeys >= 1 && maxKeys <= 2 ** 26)) {
    throw new BulwarkError('BULWARK_ERR_RATELIMIT_TABLE', `maxKeys must be an integer in 1..2^26, got ${maxKeys}`, { source: 'config' });
  }
  const slots = createSlotTable(maxKeys);
  const until = slots.until;
  const sketch = createCountMinSketch({
    width: options.sketchWidth ?? Math.max(1024, Math.ceil(maxKeys / 4)),
    depth: options.sketchDepth ?? 4,
    seed: (seed + 0x9e3779b1) % 2 ** 53,
    cells: 'float64',
  });
  const scratch = new Uint32Array(2);
  const partSeed = new Uint32Array(2);
  hashString64('key parts', seed, partSeed);
  // As many remembered values as the table has keys (a value per key at most), 1,024 to 16,384.
  const parts = createPartHashes({ seed: partSeed, maxHashChars: MAX_KEY_PART_CHARS, maxEntries: Math.min(16_384, Math.max(1024, slots.capacity)) });
  let sketchMax = -Infinity;
  let fallbacks = 0;

  /** TAT for a key not in the table: the sketch bound when the sketch can matter, else "fresh". */
  function absentTat(a: number, b: number, nowMs: number): number {
    return sketchMax > nowMs ? sketch.estimateHashed(a, b) : nowMs;
  }
  function tatHashed(a: number, b: number, nowMs: number, slot = slots.find(a, b)): number {
    return slot >= 0 ? until[slot] : absentTat(a, b, nowMs);
  }
  function commitHashed(a: number, b: number, limit: GcraLimit, nowMs: number, cost: number, slot = slots.find(a, b)): void {
    let s = slot;
    if (s >= 0) {
      until[s] = gcraNextTat(until[s], nowMs, limit, cost);
      return;
    }
    const next = gcraNextTat(absentTat(a, b, nowMs), nowMs, limit, cost);
    s = slots.claim(a, b, nowMs);
    if (s >= 0) {
      until[s] = next;
      return;
    }
    fallbacks++;
    sketch.raiseHashed(a, b, next);
    if (next > sketchMax) sketchMax = next;
  }

  return {
    capacity: slots.capacity,
    bytes: slots.bytes + sketch.bytes,
    hash: (key, out) => hashString64(key, seed, out),
    parts,
    check(key, limit, nowMs, cost = 1, mode = 'consume') {
      assertCost(limit, cost);
      hashString64(key, seed, scratch);
      const a = scratch[0];
      const b = scratch[1];
      const result = gcraDecide(tatHashed(a, b, nowMs), nowMs, limit, cost);
      if (result.allowed && mode === 'consume') commitHashed(a, b, limit, nowMs, cost);
      return result;
    },
    find: (a, b) => slots.find(a, b),
    tatHashed,
    commitHashed,
    tatOf(key, nowMs) {
      hashString64(key, seed, scratch);
      return tatHashed(scratch[0], scratch[1], nowMs);
    },
    stats: () => ({
      size: slots.size(),
      capacity: slots.capacity,
      evictions: slots.evictions(),
      fallbacks,
      sketchUntilMs: sketchMax,
      bytes: slots.bytes + sketch.bytes,
    }),
    countBusy: (nowMs) => slots.countBusy(nowMs),
  };
}
