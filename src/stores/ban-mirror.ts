/**
 * The in-memory mirror of active bans that the accept phase consults for every new connection: a Map from
 * canonical key (address or prefix) to the ban's end. `isBanned` is one Map lookup per key asked, and
 * allocates nothing. Any ban store implementation (SQLite, Redis) keeps one in sync with its storage.
 *
 * Bounded: `cap` entries (default 1,000,000, roughly 100 MB of keys). The mirror itself never refuses;
 * the store checks `isFull()` and decides (automatic bans are refused at the cap, manual ones are not).
 * Expired entries are removed when a lookup meets them or by `purgeExpired`.
 *
 * It also counts bans per prefix length and family, so `matchAddress` can find a ban at any length in use
 * (an operator may ban a /20) while looking up only the lengths that exist.
 */
import { prefixKeys } from '../core/net/ip.ts';
import { keyShape } from './ban-key.ts';

/** Default mirror cap. */
export const DEFAULT_MAX_BANS = 1_000_000;

/**
 * A change of the mirror, for watchers (the kernel-drop mirror): a key set (or its end moved), a key
 * removed (by hand, by purge, or because a lookup met it ended: `untilMs` is the end it had), or every
 * key dropped at once (a full reload follows with `set`s).
 */
export type BanMirrorEvent =
  | { readonly kind: 'set'; readonly key: string; readonly untilMs: number }
  | { readonly kind: 'delete'; readonly key: string; readonly untilMs: number }
  | { readonly kind: 'clear' };

/** Receives mirror changes; must not throw (it runs inside lookups). */
export type BanMirrorWatcher = (event: BanMirrorEvent) => void;

/** The mirror (see the module comment). Keys must be canonical (see ban-key.ts). */
export interface BanMirror {
  /** Sets or replaces a key's end time. */
  set(key: string, untilMs: number): void;
  delete(key: string): boolean;
  has(key: string): boolean;
  /** End time of a mirrored key, or undefined. */
  untilOf(key: string): number | undefined;
  /** True at or above the cap. */
  isFull(): boolean;
  readonly cap: number;
  size(): number;
  /** The banned key among `address` and `prefixKeys`, or undefined; drops expired entries it meets. */
  bannedKey(address: string, prefixKeys: readonly string[], nowMs: number): string | undefined;
  /** The banned key covering `address` at any length in use, or undefined. */
  matchAddress(address: string, nowMs: number): string | undefined;
  /** Removes every entry ended at `nowMs` (O(size)). Returns how many. */
  purgeExpired(nowMs: number): number;
  /** Prefix lengths with at least one ban, ascending, per family. */
  prefixLengths(): { v4: number[]; v6: number[] };
  clear(): void;
  /**
   * Calls `watcher` with a `set` for every current entry, then with every change until the returned
   * function is called. Watchers cost nothing while there are none.
   */
  watch(watcher: BanMirrorWatcher): () => void;
}

/** Creates an empty mirror holding at most about `cap` entries (the cap is enforced by the store). */
export function createBanMirror(cap: number = DEFAULT_MAX_BANS): BanMirror {
  const until = new Map<string, number>();
  const lengthCount = { 4: new Int32Array(33), 6: new Int32Array(129) } as const;
  let levels: { v4: number[]; v6: number[] } = { v4: [], v6: [] };
  let levelsStale = false;
  const watchers = new Set<BanMirrorWatcher>();
  const emit = (e: BanMirrorEvent): void => {
    for (const w of watchers) w(e);
  };

  function count(key: string, delta: 1 | -1): void {
    const { family, bits } = keyShape(key);
    const arr = lengthCount[family];
    const before = arr[bits];
    arr[bits] = before + delta;
    if (before === 0 || arr[bits] === 0) levelsStale = true;
  }

  function currentLevels(): { v4: number[]; v6: number[] } {
    if (levelsStale) {
      const pick = (a: Int32Array, full: number): number[] => [...a.keys()].filter((b) => b < full && a[b] > 0);
      levels = { v4: pick(lengthCount[4], 32), v6: pick(lengthCount[6], 128) };
      levelsStale = false;
    }
    return levels;
  }

  function remove(key: string): boolean {
    const end = until.get(key);
    if (end === undefined) return false;
    until.delete(key);
    count(key, -1);
    if (watchers.size > 0) emit({ kind: 'delete', key, untilMs: end });
    return true;
  }

  function check(key: string, nowMs: number): boolean {
    const end = until.get(key);
    if (end === undefined) return false;
    if (end > nowMs) return true;
    remove(key);
    return false;
  }

  return {
    cap,
    set(key, untilMs) {
      if (!until.has(key)) count(key, 1);
      until.set(key, untilMs);
      if (watchers.size > 0) emit({ kind: 'set', key, untilMs });
    },
    delete: remove,
    has: (key) => until.has(key),
    untilOf: (key) => until.get(key),
    isFull: () => until.size >= cap,
    size: () => until.size,
    bannedKey(address, keys, nowMs) {
      if (until.size === 0) return undefined;
      if (check(address, nowMs)) return address;
      for (let i = 0; i < keys.length; i++) if (check(keys[i], nowMs)) return keys[i];
      return undefined;
    },
    matchAddress(address, nowMs) {
      if (until.size === 0) return undefined;
      if (check(address, nowMs)) return address;
      const lv = currentLevels();
      if (lv.v4.length === 0 && lv.v6.length === 0) return undefined;
      const keys = prefixKeys(address, lv);
      for (let i = keys.length - 1; i >= 0; i--) if (check(keys[i], nowMs)) return keys[i]; // longest first
      return undefined;
    },
    purgeExpired(nowMs) {
      let n = 0;
      for (const [key, end] of until) if (end <= nowMs && remove(key)) n++;
      return n;
    },
    prefixLengths() {
      const lv = currentLevels();
      return { v4: [...lv.v4], v6: [...lv.v6] };
    },
    clear() {
      until.clear();
      lengthCount[4].fill(0);
      lengthCount[6].fill(0);
      levelsStale = true;
      if (watchers.size > 0) emit({ kind: 'clear' });
    },
    watch(watcher) {
      for (const [key, untilMs] of until) watcher({ kind: 'set', key, untilMs });
      watchers.add(watcher);
      return () => void watchers.delete(watcher);
    },
  };
}
