/**
 * Heavy hitters with Space-Saving (Metwally, Agrawal, El Abbadi, "Efficient computation of frequent and
 * top-k elements in data streams", ICDT 2005): a fixed number of counters, whatever the number of
 * distinct keys. A key not monitored takes over the counter with the smallest count and inherits that
 * count as its error. Guarantees, for a stream of total weight N and capacity c:
 *  - every key whose true weight exceeds N / c is monitored;
 *  - for a monitored key, count − error ≤ true weight ≤ count, and error ≤ min ≤ N / c.
 *
 * Implementation: a Map from key to slot plus a binary min-heap of slots on typed arrays, so an offer is
 * one Map lookup and O(log c) swaps (c = 128: ≤ 7), with no allocation except on eviction (Map
 * delete + set). `decay(f)` scales every count by f — the order is unchanged, so the heap stays valid —
 * which turns the summary into an exponentially weighted one (used for baseline shares).
 *
 * Optional filter (Homem & Carvalho, "Filtered Space-Saving", 2010): when the caller passes the key's
 * 32-bit hash, an unmonitored key first accumulates in a hashed cell α, and takes over the minimum only
 * once α + n exceeds it. A flood of a million distinct keys then mostly bumps a typed-array cell instead
 * of evicting (Map delete + set) on every offer. The bounds still hold: count − error ≤ true ≤ count for
 * a monitored key and true ≤ min for an unmonitored one (α only ever over-counts); the N / c guarantee
 * for frequent keys becomes "a key heavier than the final min is monitored".
 */
import { BulwarkError } from '../errors.ts';

/** A heavy-hitter key: strings for addresses, prefixes, paths...; numbers for ASNs. */
export type HeavyKey = string | number;

/** One monitored key: `count` estimates its weight; the true weight is within [count − error, count + error]. */
export interface HeavyHitter {
  readonly key: HeavyKey;
  readonly count: number;
  readonly error: number;
}

/** A Space-Saving summary. */
export interface SpaceSaving {
  readonly capacity: number;
  /** Keys monitored now (≤ capacity): the fill level. */
  readonly size: number;
  /** Total weight offered since the last reset (decayed like the counts). */
  readonly total: number;
  /**
   * Adds weight n (default 1, must be > 0) to key. With a filter, pass the key's 32-bit hash on every
   * offer to this summary (mixing hashed and unhashed offers voids the filter's bounds).
   */
  offer(key: HeavyKey, n?: number, hash?: number): void;
  /** The key's counter, or undefined when not monitored. */
  get(key: HeavyKey): HeavyHitter | undefined;
  /** Smallest monitored count when full (the bound on any unmonitored key's weight), else 0. */
  min(): number;
  /** The k largest counters, largest first (allocates; for snapshots, not the request path). */
  top(k?: number): HeavyHitter[];
  /** Every monitored counter, unordered (allocates). */
  entries(): HeavyHitter[];
  /** Multiplies every count, error and the total by factor (0 < factor ≤ 1). */
  decay(factor: number): void;
  /** Replaces the content with the given counters (for restoring persisted summaries). */
  load(entries: readonly HeavyHitter[], total: number): void;
  /** Forgets everything (keeps the allocated arrays). */
  reset(): void;
}

/** Size of a Space-Saving summary and of its optional filter. */
export interface SpaceSavingOptions {
  /** Counters kept. Default 128: keys above 0.8% of the stream are guaranteed present. */
  readonly capacity?: number;
  /** Cells of the Filtered Space-Saving filter, a power of two (0 = no filter). Default 0. */
  readonly filterCells?: number;
}

/** Creates an empty Space-Saving summary (`BULWARK_ERR_DETECT_CAPACITY` if capacity < 1). */
export function createSpaceSaving(options: SpaceSavingOptions = {}): SpaceSaving {
  const capacity = options.capacity ?? 128;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new BulwarkError('BULWARK_ERR_DETECT_CAPACITY', `Space-Saving capacity must be a positive integer, got ${capacity}`, { source: 'config' });
  }
  const keys: HeavyKey[] = new Array<HeavyKey>(capacity);
  const counts = new Float64Array(capacity);
  const errors = new Float64Array(capacity);
  const heap = new Int32Array(capacity); // heap position → slot
  const pos = new Int32Array(capacity); // slot → heap position
  const index = new Map<HeavyKey, number>();
  const filterCells = options.filterCells ?? 0;
  if (filterCells !== 0 && (!Number.isInteger(Math.log2(filterCells)) || filterCells < 1)) {
    throw new BulwarkError('BULWARK_ERR_DETECT_CAPACITY', `filterCells must be 0 or a power of two, got ${filterCells}`, { source: 'config' });
  }
  const filter = filterCells > 0 ? new Float64Array(filterCells) : null;
  const mask = filterCells - 1;
  const hashes = new Int32Array(filter !== null ? capacity : 0);
  let size = 0;
  let total = 0;
  /** Slot of the key offered last (a hint: valid only while `keys[lastSlot]` is that key). */
  let lastSlot = 0;

  function siftDown(i: number): void {
    const slot = heap[i]!;
    const c = counts[slot]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const m = r < size && counts[heap[r]!]! < counts[heap[l]!]! ? r : l;
      const ms = heap[m]!;
      if (counts[ms]! >= c) break;
      heap[i] = ms;
      pos[ms] = i;
      i = m;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  function siftUp(i: number): void {
    const slot = heap[i]!;
    const c = counts[slot]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const ps = heap[parent]!;
      if (counts[ps]! <= c) break;
      heap[i] = ps;
      pos[ps] = i;
      i = parent;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  function insert(key: HeavyKey, count: number, error: number, hash: number): void {
    const slot = size++;
    if (filter !== null) hashes[slot] = hash;
    keys[slot] = key;
    counts[slot] = count;
    errors[slot] = error;
    heap[slot] = slot;
    index.set(key, slot);
    siftUp(slot);
  }

  function hitter(slot: number): HeavyHitter {
    return { key: keys[slot]!, count: counts[slot]!, error: errors[slot]! };
  }

  function reset(): void {
    index.clear();
    filter?.fill(0);
    keys.fill(0);
    size = 0;
    total = 0;
  }

  return {
    capacity,
    get size() {
      return size;
    },
    get total() {
      return total;
    },
    offer(key, n = 1, hash) {
      total += n;
      // Floods repeat themselves (one path, one user agent, one fingerprint): the key offered last is
      // checked first, which spares the Map lookup (and hashing a fresh string) on most offers.
      if (keys[lastSlot] === key && lastSlot < size) {
        counts[lastSlot] += n;
        siftDown(pos[lastSlot]!);
        return;
      }
      const slot = index.get(key);
      if (slot !== undefined) {
        lastSlot = slot;
        counts[slot] += n;
        siftDown(pos[slot]!);
        return;
      }
      let floor = 0;
      if (filter !== null && hash !== undefined) {
        const cell = hash & mask;
        floor = filter[cell]!;
        if (size >= capacity && floor + n <= counts[heap[0]!]!) {
          filter[cell] = floor + n;
          return;
        }
      }
      if (size < capacity) {
        insert(key, floor + n, floor, hash ?? 0);
        return;
      }
      const victim = heap[0]!;
      const victimCount = counts[victim]!;
      if (filter !== null) {
        const cell = hashes[victim]! & mask;
        if (victimCount > filter[cell]!) filter[cell] = victimCount;
        hashes[victim] = hash ?? 0;
      }
      index.delete(keys[victim]!);
      keys[victim] = key;
      index.set(key, victim);
      // Filtered: the new key's weight is at most its cell (α ≥ every unmonitored weight hashed there)
      // plus n, and floor + n > victimCount keeps the heap order. Unfiltered: classic Space-Saving.
      const base = hash !== undefined && filter !== null ? floor : victimCount;
      errors[victim] = base;
      counts[victim] = base + n;
      siftDown(0);
    },
    get(key) {
      const slot = index.get(key);
      return slot === undefined ? undefined : hitter(slot);
    },
    min() {
      return size < capacity ? 0 : counts[heap[0]!]!;
    },
    top(k = capacity) {
      const all: HeavyHitter[] = [];
      for (let s = 0; s < size; s++) all.push(hitter(s));
      all.sort((a, b) => b.count - a.count);
      return all.length > k ? all.slice(0, k) : all;
    },
    entries() {
      const all: HeavyHitter[] = [];
      for (let s = 0; s < size; s++) all.push(hitter(s));
      return all;
    },
    decay(factor) {
      for (let s = 0; s < size; s++) {
        counts[s] *= factor;
        errors[s] *= factor;
      }
      if (filter !== null) for (let i = 0; i < filter.length; i++) filter[i] *= factor;
      total *= factor;
    },
    load(entries, newTotal) {
      reset();
      const sorted = [...entries].sort((a, b) => b.count - a.count);
      for (const e of sorted) {
        if (size >= capacity) break;
        if (index.has(e.key) || !(e.count > 0)) continue;
        insert(e.key, e.count, Math.min(Math.max(e.error, 0), e.count), 0);
      }
      total = Math.max(newTotal, 0);
    },
    reset,
  };
}

/**
 * Combines summaries of disjoint parts of a stream (e.g. per-second summaries of a window) into the
 * k largest keys of the whole. A key missing from a full summary may have had up to that summary's
 * min there, so that min is added to its error (not its count): the result keeps the guarantee
 * true ∈ [count − error, count + error]. At most 30 summaries (`BULWARK_ERR_DETECT_MERGE_TOO_MANY`).
 * Cost: O(Σ sizes × summaries), allocation of one record per distinct key.
 */
export function mergeHeavyHitters(summaries: readonly SpaceSaving[], k: number): HeavyHitter[] {
  if (summaries.length === 0) return [];
  if (summaries.length === 1) return summaries[0]!.top(k);
  if (summaries.length > 30) {
    throw new BulwarkError('BULWARK_ERR_DETECT_MERGE_TOO_MANY', `cannot merge ${summaries.length} summaries (max 30)`);
  }
  const acc = new Map<HeavyKey, { key: HeavyKey; count: number; error: number; mask: number }>();
  for (let i = 0; i < summaries.length; i++) {
    for (const e of summaries[i]!.entries()) {
      let a = acc.get(e.key);
      if (a === undefined) {
        a = { key: e.key, count: 0, error: 0, mask: 0 };
        acc.set(e.key, a);
      }
      a.count += e.count;
      a.error += e.error;
      a.mask |= 1 << i;
    }
  }
  const mins = summaries.map((s) => s.min());
  const merged: HeavyHitter[] = [];
  for (const a of acc.values()) {
    let error = a.error;
    for (let i = 0; i < mins.length; i++) if ((a.mask & (1 << i)) === 0) error += mins[i]!;
    merged.push({ key: a.key, count: a.count, error });
  }
  merged.sort((a, b) => b.count - a.count);
  return merged.length > k ? merged.slice(0, k) : merged;
}
