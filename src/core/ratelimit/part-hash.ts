/**
 * Seeded 64-bit hashes of the values limit keys are made of (prefixes, fingerprints, countries, paths,
 * header values), remembered by value.
 *
 * Hashing a value in JavaScript means reading it a character at a time (`charCodeAt`, ~5 ns each on the
 * machines this runs on: ~150 ns for a 30-character fingerprint), and a request's values repeat: a
 * client's prefix and fingerprint come back with each of its requests, and the same string objects do on
 * one connection. A `Map` finds a remembered value through V8's own string hash, computed natively once
 * per string and kept in the string, so a remembered value costs one lookup.
 *
 * What is remembered is the value's hash itself, computed from its characters, so forgetting changes
 * nothing: a value hashes the same whether it was remembered, forgotten or never seen, and a limiter key
 * can never move to a fresh bucket because the memo was cleared (that would reset its counter).
 *
 * Bounded: at most `maxEntries` values of at most `maxChars` characters (longer ones are hashed every
 * time); when full it starts afresh, so a flood of ever-new values costs one clear per `maxEntries`
 * misses and memory stays under `maxEntries × maxChars` characters.
 */
import { hashChain64 } from '../sketch/hash.ts';

/** Options of {@link createPartHashes}. */
export interface PartHashesOptions {
  /** Per-process secret seed lanes (two uint32), e.g. from the limiter table's seeded hash. */
  readonly seed: Uint32Array;
  /** Characters of a value that go into its hash (the rest only by its length). */
  readonly maxHashChars: number;
  /** Values remembered at most (default 16,384). */
  readonly maxEntries?: number;
  /** Longest value remembered (default 64 characters). */
  readonly maxChars?: number;
}

/** The memo; see the module comment. */
export interface PartHashes {
  /** The seeded hash of `value` (undefined = absent, distinct from every string) into `out[at..at+1]`. */
  hash(value: string | undefined, out: Uint32Array, at: number): void;
  /** Values remembered now. */
  size(): number;
}

/** Create a memo of part hashes. */
export function createPartHashes(options: PartHashesOptions): PartHashes {
  const maxEntries = options.maxEntries ?? 16_384;
  const maxChars = options.maxChars ?? 64;
  const seed0 = options.seed[0];
  const seed1 = options.seed[1];
  const index = new Map<string, number>();
  const lanes = new Uint32Array(2 * maxEntries);
  const scratch = new Uint32Array(2);

  function compute(value: string | undefined): void {
    scratch[0] = seed0;
    scratch[1] = seed1;
    hashChain64(value, scratch, options.maxHashChars);
  }
  compute(undefined);
  const absent0 = scratch[0];
  const absent1 = scratch[1];

  return {
    hash(value, out, at) {
      if (value === undefined) {
        out[at] = absent0;
        out[at + 1] = absent1;
        return;
      }
      const i = index.get(value);
      if (i !== undefined) {
        out[at] = lanes[2 * i];
        out[at + 1] = lanes[2 * i + 1];
        return;
      }
      compute(value);
      out[at] = scratch[0];
      out[at + 1] = scratch[1];
      if (value.length > maxChars) return;
      if (index.size >= maxEntries) index.clear();
      const n = index.size;
      index.set(value, n);
      lanes[2 * n] = scratch[0];
      lanes[2 * n + 1] = scratch[1];
    },
    size: () => index.size,
  };
}
