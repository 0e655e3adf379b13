/**
 * The in-memory response store of one site (or of all sites: keys carry the host): a byte budget with
 * LRU eviction, a maximum object size, `Vary` variants under a primary key, and TinyLFU-style admission.
 *
 * Structure: `lru-cache` (v11, `maxSize` + `sizeCalculation`) maps a primary key to an immutable
 * {@link KeyRecord} holding either one entry (no `Vary`) or up to `maxVariantsPerKey` variants (oldest
 * variant dropped first). Chosen over a hand-written linked list after measuring: a hit costs ~85 ns
 * against ~110 ns for an object-linked list and ~70 ns for a bare `Map.get` (bench/cache-core.bench.ts).
 * A few "pinned" keys (the home page, kept fresh in the background by the edge) live in a separate small
 * map that LRU eviction never touches, so there is always something to show.
 *
 * Admission (why one-off random URLs cannot evict popular pages): every lookup counts its key in a
 * count-min {@link FrequencySketch} (fixed memory, halved periodically). A *new* key is stored only if
 * (1) it was asked for at least `admitAfterUses` times (default 2 — a random URL is asked once), and
 * (2) when storing it would evict, it is asked for at least as often as the least-recently-used entry it
 * would push out. Replacing an existing key is always admitted.
 *
 * Pure: time is `nowMs`; no timers. Expired entries are dropped when looked up or by {@link
 * ResponseStore.sweep}; LRU drops the rest.
 */
import { LRUCache } from 'lru-cache';
import type { HeaderGetter } from './cache-control.ts';
import { variantKey } from './cache-key.ts';
import { entryState, type CacheEntry } from './entry.ts';
import { createFrequencySketch, hashKey } from './frequency-sketch.ts';

/** Options for {@link createResponseStore}. */
export interface ResponseStoreOptions {
  /** Byte budget for all entries (default 64 MiB). */
  readonly maxBytes?: number;
  /** Largest body stored (default 1 MiB); the edge stops buffering a response beyond it. */
  readonly maxObjectBytes?: number;
  /** Cap on primary keys (default 100 000). */
  readonly maxKeys?: number;
  /** Variants kept per primary key (default 8; the oldest goes first). */
  readonly maxVariantsPerKey?: number;
  /** Uses before a new key is stored (default 2; 1 = no doorkeeper, only the victim comparison). */
  readonly admitAfterUses?: number;
  /** Pinned keys at most (default 16). */
  readonly maxPinned?: number;
  /** Counters per row of the admission sketch (default 16 384). */
  readonly sketchWidth?: number;
  /** Hash seed (pass a random 32-bit integer per process; default fixed). */
  readonly seed?: number;
}

/** What a lookup found. Stale states carry the entry; see {@link entryState}. */
export type LookupResult =
  | { readonly state: 'miss'; readonly entry?: undefined }
  | { readonly state: 'fresh' | 'stale_revalidate' | 'stale_if_error_only'; readonly entry: CacheEntry };

/** The request side of a lookup: its header fields (for `Vary`) and whether it is anonymous. */
export interface LookupRequest {
  readonly header: HeaderGetter;
  readonly anonymous: boolean;
}

/** What {@link ResponseStore.put} did. */
export type PutOutcome = 'stored' | 'too_large' | 'refused_admission' | 'pin_limit';

/** Fill level and counters. */
export interface ResponseStoreStats {
  readonly bytes: number;
  readonly maxBytes: number;
  readonly keys: number;
  readonly entries: number;
  readonly pinnedKeys: number;
  readonly hits: number;
  readonly staleRevalidate: number;
  readonly staleIfErrorOnly: number;
  readonly misses: number;
  readonly stored: number;
  readonly evictions: number;
  readonly expired: number;
  readonly admissionsRefused: number;
  readonly tooLarge: number;
}

/** The store's operations. */
export interface ResponseStore {
  /** Counts a use of `key` and returns the entry for this request with its state at `nowMs`. */
  lookup(key: string, nowMs: number, request: LookupRequest): LookupResult;
  /**
   * What `lookup` would return now, changing nothing (no use counted, no recency, no counters, an
   * expired entry left in place): for a caller that acts only on some outcomes and then looks up.
   */
  peek(key: string, nowMs: number, request: LookupRequest): LookupResult;
  /** Stores `entry` under `entry.key` (as a variant when it has `Vary`), subject to admission. */
  put(entry: CacheEntry, options?: { readonly pin?: boolean }): PutOutcome;
  /** Removes a primary key and all its variants (purge). True when something was removed. */
  delete(key: string): boolean;
  /** Drops expired records among the `maxChecks` least recently used; returns how many were dropped. */
  sweep(nowMs: number, maxChecks?: number): number;
  /** Largest body the store accepts (the edge stops buffering beyond it). */
  readonly maxObjectBytes: number;
  stats(): ResponseStoreStats;
}

/** One primary key's stored responses. Replaced (never mutated in size) so the LRU sees new sizes. */
interface KeyRecord {
  readonly vary: readonly string[];
  readonly hash: number;
  readonly single: CacheEntry | undefined;
  readonly variants: Map<string, CacheEntry> | undefined;
  readonly bytes: number;
  readonly count: number;
}

const RECORD_OVERHEAD_BYTES = 128;
const MISS: LookupResult = Object.freeze({ state: 'miss' });

function positive(name: string, v: number): number {
  if (!(Number.isInteger(v) && v > 0)) {
    throw Object.assign(new Error(`cache store option ${name} must be a positive integer, got ${v}`), { code: 'BULWARK_ERR_CACHE_OPTIONS' });
  }
  return v;
}

/** Creates a store; see {@link ResponseStoreOptions} for defaults and the module comment for the design. */
export function createResponseStore(options: ResponseStoreOptions = {}): ResponseStore {
  const maxBytes = positive('maxBytes', options.maxBytes ?? 64 * 1024 * 1024);
  const maxObjectBytes = positive('maxObjectBytes', options.maxObjectBytes ?? 1024 * 1024);
  if (maxObjectBytes > maxBytes) {
    throw Object.assign(new Error('cache store option maxObjectBytes must not exceed maxBytes'), { code: 'BULWARK_ERR_CACHE_OPTIONS' });
  }
  const maxVariants = positive('maxVariantsPerKey', options.maxVariantsPerKey ?? 8);
  const admitAfter = positive('admitAfterUses', options.admitAfterUses ?? 2);
  const maxPinned = positive('maxPinned', options.maxPinned ?? 16);
  const seed = options.seed ?? 0x811c9dc5;
  const sketch = createFrequencySketch({ width: options.sketchWidth ?? 16_384 });
  const c = { hits: 0, staleRevalidate: 0, staleIfErrorOnly: 0, misses: 0, stored: 0, evictions: 0, expired: 0, admissionsRefused: 0, tooLarge: 0 };
  let entries = 0;
  let pinnedBytes = 0;
  // The key cap is kept here (`lru.pop()` after a set), not as lru-cache's `max`: with `max` it allocates
  // two arrays of `max` slots up front (1.5 MB per site at 100k keys), whether the cache fills or not.
  const maxKeys = positive('maxKeys', options.maxKeys ?? 100_000);
  const lru = new LRUCache<string, KeyRecord>({
    maxSize: maxBytes,
    sizeCalculation: (r) => r.bytes,
    dispose: (r, _k, reason) => {
      if (reason === 'set') return; // replaced by a new record: the caller adjusted `entries`
      entries -= r.count;
      if (reason === 'evict') c.evictions += r.count;
    },
  });
  const pinned = new Map<string, KeyRecord>();

  const makeRecord = (vary: readonly string[], hash: number, single: CacheEntry | undefined, variants?: Map<string, CacheEntry>): KeyRecord => {
    let bytes = RECORD_OVERHEAD_BYTES;
    let count = 0;
    if (single !== undefined) {
      bytes += single.bytes;
      count = 1;
    } else if (variants !== undefined) {
      for (const e of variants.values()) bytes += e.bytes;
      count = variants.size;
    }
    return { vary, hash, single, variants, bytes, count };
  };

  const save = (key: string, record: KeyRecord | undefined, pin: boolean, old: KeyRecord | undefined): void => {
    entries += (record?.count ?? 0) - (old?.count ?? 0);
    if (pin || pinned.has(key)) {
      pinnedBytes += (record?.bytes ?? 0) - (old?.bytes ?? 0);
      if (record === undefined || record.count === 0) pinned.delete(key);
      else pinned.set(key, record);
      return;
    }
    if (record === undefined || record.count === 0) {
      if (old !== undefined) entries += old.count; // dispose('delete') subtracts it
      lru.delete(key);
    } else {
      lru.set(key, record);
      if (lru.size > maxKeys) lru.pop(); // the least recently used key goes (dispose: 'evict')
    }
  };

  const withEntry = (old: KeyRecord | undefined, entry: CacheEntry, hash: number): KeyRecord => {
    if (entry.vary.length === 0) return makeRecord(entry.vary, hash, entry);
    const sameVary = old?.variants !== undefined && old.vary.join() === entry.vary.join();
    const variants = sameVary ? new Map(old.variants) : new Map<string, CacheEntry>();
    variants.delete(entry.variant);
    variants.set(entry.variant, entry);
    while (variants.size > maxVariants) variants.delete(variants.keys().next().value as string);
    return makeRecord(entry.vary, hash, undefined, variants);
  };

  const withoutEntry = (old: KeyRecord, entry: CacheEntry): KeyRecord | undefined => {
    if (old.single !== undefined) return old.single === entry ? undefined : old;
    const variants = new Map(old.variants);
    variants.delete(entry.variant);
    return variants.size === 0 ? undefined : makeRecord(old.vary, old.hash, undefined, variants);
  };

  const admits = (hash: number, bytes: number): boolean => {
    const uses = sketch.estimate(hash);
    if (admitAfter > 1 && uses < admitAfter) return false;
    if (lru.calculatedSize + bytes <= maxBytes && lru.size < maxKeys) return true;
    const victimKey = lru.rkeys().next().value;
    const victim = victimKey === undefined ? undefined : lru.peek(victimKey);
    return victim === undefined || uses >= sketch.estimate(victim.hash);
  };

  return {
    maxObjectBytes,
    lookup(key, nowMs, request) {
      const record = lru.get(key) ?? (pinned.size === 0 ? undefined : pinned.get(key));
      // A hit reuses the hash kept in its record: no string hashing on the hit path.
      sketch.increment(record?.hash ?? hashKey(key, seed));
      if (record === undefined) {
        c.misses++;
        return MISS;
      }
      const entry = record.single ?? record.variants?.get(variantKey(record.vary, request.header));
      if (entry === undefined || (entry.anonymousOnly && !request.anonymous)) {
        c.misses++;
        return MISS;
      }
      const state = entryState(entry, nowMs);
      if (state === 'expired') {
        save(key, withoutEntry(record, entry), pinned.has(key), record);
        c.expired++;
        c.misses++;
        return MISS;
      }
      if (state === 'fresh') c.hits++;
      else if (state === 'stale_revalidate') c.staleRevalidate++;
      else c.staleIfErrorOnly++;
      return { state, entry };
    },
    peek(key, nowMs, request) {
      const record = lru.peek(key) ?? (pinned.size === 0 ? undefined : pinned.get(key));
      if (record === undefined) return MISS;
      const entry = record.single ?? record.variants?.get(variantKey(record.vary, request.header));
      if (entry === undefined || (entry.anonymousOnly && !request.anonymous)) return MISS;
      const state = entryState(entry, nowMs);
      return state === 'expired' ? MISS : { state, entry };
    },
    put(entry, opts) {
      if (entry.body.length > maxObjectBytes) {
        c.tooLarge++;
        return 'too_large';
      }
      const key = entry.key;
      const isPinned = opts?.pin === true || pinned.has(key);
      const old = isPinned ? pinned.get(key) : lru.peek(key);
      const hash = old?.hash ?? hashKey(key, seed);
      if (isPinned && old === undefined && pinned.size >= maxPinned) return 'pin_limit';
      if (old === undefined && !isPinned && !admits(hash, entry.bytes + RECORD_OVERHEAD_BYTES)) {
        c.admissionsRefused++;
        return 'refused_admission';
      }
      const record = withEntry(old, entry, hash);
      if (record.bytes > maxBytes) {
        c.tooLarge++;
        return 'too_large';
      }
      if (isPinned && old === undefined && lru.has(key)) save(key, undefined, false, lru.peek(key));
      save(key, record, isPinned, old);
      c.stored++;
      return 'stored';
    },
    delete(key) {
      const old = pinned.get(key) ?? lru.peek(key);
      if (old === undefined) return false;
      save(key, undefined, pinned.has(key), old);
      return true;
    },
    sweep(nowMs, maxChecks = 64) {
      const doomed: string[] = [];
      let checked = 0;
      for (const key of lru.rkeys()) {
        if (checked++ >= maxChecks) break;
        const record = lru.peek(key);
        if (record === undefined) continue;
        const live = record.single !== undefined ? [record.single] : [...(record.variants?.values() ?? [])];
        if (live.every((e) => entryState(e, nowMs) === 'expired')) doomed.push(key);
      }
      for (const key of doomed) {
        c.expired += lru.peek(key)?.count ?? 0;
        lru.delete(key);
      }
      return doomed.length;
    },
    stats: () => ({
      bytes: lru.calculatedSize + pinnedBytes,
      maxBytes,
      keys: lru.size + pinned.size,
      entries,
      pinnedKeys: pinned.size,
      ...c,
    }),
  };
}
