/**
 * A short memory of the clients a site served normally in the last minutes (by prefix: a subscriber's
 * addresses change inside it), so that at the onset of a flood — in the seconds before the detector
 * has decided, when nobody has been challenged yet and visitors and attackers look the same — the
 * visitors the site already knew keep their place in the origin queue ahead of the unknown surge.
 *
 * A flood must not be able to buy itself that place nor to flush the memory:
 * - a client counts as *returning* only once it was first served at least `minAgeMs` before (the
 *   surge's own sources are younger than that while it is being decided);
 * - the caller records only answers served normally while the site is calm (`normal` level);
 * - new clients wait in a `young` table (first seen, insertion order, a quarter of the capacity, oldest
 *   dropped first), and move to the `known` table when seen again after `minAgeMs`; only a promotion
 *   can push a known client out (least recently seen first), which takes a client seen twice, minutes
 *   apart, while the site was calm — a burst of new sources only churns the young table.
 * Entries older than `rememberMs` no longer count and are dropped when met. Pure: time is `nowMs`.
 */

/** Options (defaults in brackets). */
export interface ReturningClientsOptions {
  /** How long a served client is remembered [600 000 ms = 10 min]. */
  readonly rememberMs?: number;
  /** A client counts as returning once first served at least this long ago [20 000 ms]. */
  readonly minAgeMs?: number;
  /** Clients remembered at most, young and known together [50 000]. */
  readonly maxClients?: number;
}

/** Fill and counters. */
export interface ReturningClientsStats {
  readonly known: number;
  readonly young: number;
  readonly capacity: number;
  readonly promotions: number;
  /** Young clients dropped unpromoted because the young table was full. */
  readonly youngDropped: number;
  /** Known clients pushed out by promotions while the known table was full. */
  readonly knownEvicted: number;
  /** Lookups that found a returning client. */
  readonly hits: number;
}

/** See the module comment. */
export interface ReturningClients {
  /** Notes that the client with `key` was served normally at `nowMs`. */
  served(key: string, nowMs: number): void;
  /** Whether `key` is a returning client at `nowMs`. */
  isReturning(key: string, nowMs: number): boolean;
  stats(): ReturningClientsStats;
}

/** A known client's last sighting is refreshed (LRU order) at most this often. */
const TOUCH_MS = 1_000;

/** Creates an empty memory; see {@link ReturningClientsOptions}. */
export function createReturningClients(options: ReturningClientsOptions = {}): ReturningClients {
  const rememberMs = Math.max(1, options.rememberMs ?? 600_000);
  const minAgeMs = Math.max(0, options.minAgeMs ?? 20_000);
  const capacity = Math.max(4, Math.floor(options.maxClients ?? 50_000));
  const youngCap = Math.max(1, Math.floor(capacity / 4));
  const knownCap = capacity - youngCap;
  /** First sighting, in insertion order. */
  const young = new Map<string, number>();
  /** Last sighting, least recently seen first. */
  const known = new Map<string, number>();
  const c = { promotions: 0, youngDropped: 0, knownEvicted: 0, hits: 0 };

  const promote = (key: string, nowMs: number): void => {
    young.delete(key);
    if (known.size >= knownCap) {
      const oldest = known.keys().next().value as string;
      known.delete(oldest);
      c.knownEvicted++;
    }
    known.set(key, nowMs);
    c.promotions++;
  };

  return {
    served(key, nowMs) {
      const last = known.get(key);
      if (last !== undefined) {
        if (nowMs - last >= TOUCH_MS) {
          known.delete(key);
          known.set(key, nowMs);
        }
        return;
      }
      const first = young.get(key);
      if (first !== undefined && nowMs - first <= rememberMs) {
        if (nowMs - first >= minAgeMs) promote(key, nowMs);
        return;
      }
      if (first !== undefined) young.delete(key);
      if (young.size >= youngCap) {
        young.delete(young.keys().next().value as string);
        c.youngDropped++;
      }
      young.set(key, nowMs);
    },
    isReturning(key, nowMs) {
      const last = known.get(key);
      if (last !== undefined) {
        if (nowMs - last <= rememberMs) return (c.hits++, true);
        known.delete(key);
        return false;
      }
      const first = young.get(key);
      if (first === undefined) return false;
      const age = nowMs - first;
      if (age > rememberMs) {
        young.delete(key);
        return false;
      }
      if (age >= minAgeMs) return (c.hits++, true);
      return false;
    },
    stats: () => ({ known: known.size, young: young.size, capacity, ...c }),
  };
}
