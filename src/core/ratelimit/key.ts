/**
 * Composing a limit's key from request facts, compiled once per limit.
 *
 * A key is hashed part by part, never built as a string on the hot path: the state starts from the
 * hash of `limit:<name>` (so two limits never share state) and each part is folded in as a fixed-size
 * value of its own kind: the address as its parsed words (which the decision usually has already,
 * `facts.ip`), every other part as its seeded 64-bit hash (./part-hash.ts: remembered by value, and
 * computed with the value's length, so a `|` or any other character inside a value cannot make two
 * different part lists collide). Values are read up to {@link MAX_KEY_PART_CHARS} characters so an 8 kB
 * header cannot make hashing expensive (the full length still goes in, so truncation only merges values
 * that agree on their first 256 characters *and* their length — a merge makes the shared key stricter,
 * never looser). An absent
 * value is distinct from every string. An empty part list gives one key for the whole limit (global).
 *
 * The readable key, for logs, is `limit:<name>|<part>|<part>…` (e.g. `limit:per-ip|203.0.113.7`), with
 * freely chosen values (path, method, header values) as `<length>:<value>` and absent values as `-`.
 */
import { parseIpInto } from '../net/ip-parse.ts';
import { hashWordsChain64 } from '../sketch/hash.ts';
import type { RequestFacts } from './facts.ts';
import type { PartHashes } from './part-hash.ts';

/** What a limit can be keyed by. `{ header: name }` keys by that request header's value. */
export type KeyPart =
  | 'address'
  | 'prefix'
  | 'asn'
  | 'country'
  | 'fingerprint'
  | 'site'
  | 'path'
  | 'method'
  | { readonly header: string };

/** Longest client-chosen value that goes into a key; longer ones are cut (see the file comment). */
export const MAX_KEY_PART_CHARS = 256;

/** Reads one key part from the request: the raw value, or undefined when absent. */
type PartReader = (facts: RequestFacts) => string | undefined;

/**
 * One limit's key, compiled. `hashInto` is the hot path: it folds the raw parts into a hash state that
 * the caller has seeded for the limit (no string is built). `compose` builds the readable key for logs,
 * only when someone asks for it. Both encode the same information, so equal keys hash equally.
 */
export interface CompiledKey {
  /** The readable key, e.g. `limit:per-ip|203.0.113.7`. */
  compose(facts: RequestFacts): string;
  /** Fold the key's parts into `state` (see hashWordsChain64 in sketch/hash.ts). */
  hashInto(facts: RequestFacts, state: Uint32Array, hashing: KeyHashing): void;
}

/** A client-chosen value as `<length>:<value>` (cut to MAX_KEY_PART_CHARS), or `-` when absent. */
export function encodeFreeValue(value: string | undefined): string {
  if (value === undefined) return '-';
  const n = value.length;
  return n + ':' + (n > MAX_KEY_PART_CHARS ? value.slice(0, MAX_KEY_PART_CHARS) : value);
}

/** True for parts whose values the client chooses freely (written length-prefixed in readable keys). */
function isFree(part: KeyPart): boolean {
  return typeof part === 'object' || part === 'path' || part === 'method';
}

function readerOf(part: KeyPart): PartReader {
  if (typeof part === 'object') {
    const name = part.header.toLowerCase();
    return (f) => f.header(name);
  }
  switch (part) {
    case 'address':
      return (f) => f.address;
    case 'prefix':
      return (f) => f.prefix;
    case 'asn':
      return (f) => (f.asn === null ? undefined : '' + f.asn);
    case 'country':
      return (f) => f.country ?? undefined;
    case 'fingerprint':
      return (f) => f.fingerprint;
    case 'site':
      return (f) => f.site;
    case 'path':
      return (f) => f.path;
    case 'method':
      return (f) => f.method;
  }
}

/** A stable text for a key part, for messages and duplicate checks (`address`, `header:x-api-key`). */
export function keyPartName(part: KeyPart): string {
  return typeof part === 'object' ? `header:${part.header.toLowerCase()}` : part;
}

/** A request's address parsed by the first address-keyed limit of an evaluation: −1 = not yet, 0 = not an address. */
export interface AddressWords {
  family: -1 | 0 | 4 | 6;
  readonly words: Uint32Array;
}

/** A fresh {@link AddressWords} ("not parsed yet"). */
export function createAddressWords(): AddressWords {
  return { family: -1, words: new Uint32Array(4) };
}

/** What hashing a request's keys needs besides its facts. */
export interface KeyHashing {
  /** The limiter table's memo of part hashes (a table's keys must all hash through the same one). */
  readonly parts: PartHashes;
  /**
   * The request's address as words: handed over by the caller that parsed it, or parsed by the first
   * address-keyed limit of an evaluation (the caller resets `family` to −1 for each request).
   */
  address: AddressWords;
}

/** Folds one key part of a request into a hash state. */
type PartHasher = (facts: RequestFacts, state: Uint32Array, hashing: KeyHashing) => void;

/** Kinds of folded input, standing where a string's length would (see hashWordsChain64). */
const IPV4 = -4;
const IPV6 = -6;
const PART_HASH = -7;
const ipv4Word = new Uint32Array(1);
const partLanes = new Uint32Array(2);

/**
 * The address part, hashed from the address as words: from `facts.ip` when the caller parsed it
 * (nothing of the text is read), else from `hashing.address` (parsed there once per evaluation), so a
 * client hashes the same either way. A value that is not an IP address (tests, odd transports) goes in
 * as a part hash of its text.
 */
const hashAddress: PartHasher = (f, state, hashing) => {
  const ip = f.ip;
  if (ip != null) {
    if (ip.family === 4) {
      ipv4Word[0] = ip.v4;
      hashWordsChain64(ipv4Word, 0, 1, IPV4, state);
    } else hashWordsChain64(ip.v6, 0, 4, IPV6, state);
    return;
  }
  const address = hashing.address;
  if (address.family === -1) address.family = parseIpInto(f.address, address.words);
  if (address.family === 4) hashWordsChain64(address.words, 0, 1, IPV4, state);
  else if (address.family === 6) hashWordsChain64(address.words, 0, 4, IPV6, state);
  else {
    hashing.parts.hash(f.address, partLanes, 0);
    hashWordsChain64(partLanes, 0, 2, PART_HASH, state);
  }
};

function hasherOf(part: KeyPart): PartHasher {
  if (part === 'address') return hashAddress;
  const read = readerOf(part);
  return (f, state, hashing) => {
    hashing.parts.hash(read(f), partLanes, 0);
    hashWordsChain64(partLanes, 0, 2, PART_HASH, state);
  };
}

/** `hashInto` for the parts; one- and two-part keys (the usual ones) without the loop. */
function hashIntoOf(hashers: readonly PartHasher[]): CompiledKey['hashInto'] {
  if (hashers.length === 1) return hashers[0];
  if (hashers.length === 2) {
    const [h0, h1] = hashers;
    return (f, state, hashing) => {
      h0(f, state, hashing);
      h1(f, state, hashing);
    };
  }
  return (f, state, hashing) => {
    for (let i = 0; i < hashers.length; i++) hashers[i](f, state, hashing);
  };
}

/** Compile the key of limit `name` keyed by `parts` (in order). */
export function compileKey(name: string, parts: readonly KeyPart[]): CompiledKey {
  const head = 'limit:' + name + '|';
  const readers = parts.map(readerOf);
  const free = parts.map(isFree);
  const text = (f: RequestFacts, i: number): string => {
    const v = readers[i](f);
    return free[i] ? encodeFreeValue(v) : (v ?? '-');
  };
  return {
    compose(f) {
      let key = head;
      for (let i = 0; i < readers.length; i++) key += (i === 0 ? '' : '|') + text(f, i);
      return key;
    },
    hashInto: hashIntoOf(parts.map(hasherOf)),
  };
}
