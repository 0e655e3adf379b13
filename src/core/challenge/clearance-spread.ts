/**
 * The spread guard of the `network` clearance binding: from how many client prefixes (/24, /64) one
 * clearance has been presented.
 *
 * A network-bound clearance follows a visitor across IPv4 and IPv6 and across a carrier's pool: one real
 * visitor shows up from a handful of prefixes in an hour (home IPv4, home IPv6, a few mobile pools). A
 * bot farm sharing one solved clearance across its machines shows up from as many prefixes as it has. So
 * each clearance may be seen from at most `maxPrefixes` distinct prefixes; after that it is refused for
 * the rest of its life, everywhere — sharing one solve then buys at most `maxPrefixes` prefixes, about
 * what `prefix` binding allows per solve times that number.
 *
 * The table is bounded (`capacity` clearances, default 65 536, ~6 MB when full) and per process. When it
 * is full the entry remembered longest ago is dropped (its clearance starts counting afresh); expired
 * clearances are dropped as they come up. Dropping an entry cannot be forced cheaply: each entry needs a
 * distinct valid clearance, i.e. a solved challenge. Fill, drops and refusals are observable (`stats`).
 * Pure: time is the `nowMs` argument.
 */

/** Options of {@link createClearanceSpread}. */
export interface ClearanceSpreadOptions {
  /** Clearances remembered at once (default 65 536). */
  readonly capacity?: number;
}

/** Fill and history of the spread table. */
export interface ClearanceSpreadStats {
  readonly size: number;
  readonly capacity: number;
  readonly fill: number;
  /** Entries dropped because the table was full. */
  readonly evictions: number;
  /** Presentations refused because their clearance had been seen from too many prefixes. */
  readonly refused: number;
}

/** The spread table (one per process, shared by sites and config generations). */
export interface ClearanceSpread {
  /**
   * Notes that the clearance `value` (a verified cookie value, expiring at `expiresAtMs`) was presented
   * from `prefix`. False when it has now been seen from more than `maxPrefixes` distinct prefixes: refuse it.
   */
  note(value: string, prefix: string, expiresAtMs: number, maxPrefixes: number, nowMs: number): boolean;
  stats(): ClearanceSpreadStats;
}

interface Entry {
  readonly expiresAtMs: number;
  /** 32-bit hashes of the prefixes seen; longer than maxPrefixes once refused. */
  readonly prefixes: number[];
}

/** FNV-1a, 32 bits: a prefix's identity inside one entry (a collision only undercounts a spread). */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64_VALUE = new Int8Array(128).fill(0);
for (let i = 0; i < B64.length; i++) B64_VALUE[B64.charCodeAt(i)] = i;

/**
 * The clearance's key: its last 8 characters, 48 bits of its HMAC tag, as a number (no string kept, so
 * the Cookie header it was read from is not held alive).
 */
function keyOf(value: string): number {
  let k = 0;
  for (let i = Math.max(0, value.length - 8); i < value.length; i++) k = k * 64 + B64_VALUE[value.charCodeAt(i) & 127]!;
  return k;
}

/** Builds an empty spread table. */
export function createClearanceSpread(options: ClearanceSpreadOptions = {}): ClearanceSpread {
  const capacity = options.capacity ?? 65_536;
  const entries = new Map<number, Entry>();
  let evictions = 0;
  let refused = 0;

  function insert(key: number, expiresAtMs: number, nowMs: number): Entry {
    // The oldest entries first: drop them if expired, else (when full) the oldest one.
    for (const [k, e] of entries) {
      const expired = e.expiresAtMs <= nowMs;
      if (!expired && entries.size < capacity) break;
      entries.delete(k);
      if (!expired) evictions++;
    }
    const entry: Entry = { expiresAtMs, prefixes: [] };
    entries.set(key, entry);
    return entry;
  }

  return {
    note(value, prefix, expiresAtMs, maxPrefixes, nowMs) {
      const key = keyOf(value);
      let entry = entries.get(key);
      if (entry === undefined || entry.expiresAtMs <= nowMs) entry = insert(key, expiresAtMs, nowMs);
      const p = entry.prefixes;
      if (p.length > maxPrefixes) {
        refused++;
        return false;
      }
      const h = hash32(prefix);
      if (p.includes(h)) return true;
      p.push(h);
      if (p.length > maxPrefixes) {
        refused++;
        return false;
      }
      return true;
    },
    stats: () => ({ size: entries.size, capacity, fill: entries.size / capacity, evictions, refused }),
  };
}
