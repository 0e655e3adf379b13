/**
 * Composing a limit's key from request facts, compiled once per limit.
 *
 * A key is hashed part by part, never built as a string on the hot path: the state starts from the
 * hash of `limit:<name>` (so two limits never share state) and each part is folded in with its length
 * (so a `|` or any other character inside a value cannot make two different part lists collide). The
 * address goes in as its parsed words, which the decision usually has already (`facts.ip`).
 * Values are read up to {@link MAX_KEY_PART_CHARS} characters so an 8 kB header cannot make hashing
 * expensive (the full length still goes in, so truncation only merges values that agree on their first
 * 256 characters *and* their length — a merge makes the shared key stricter, never looser). An absent
 * value is distinct from every string. An empty part list gives one key for the whole limit (global).
 *
 * The readable key, for logs, is `limit:<name>|<part>|<part>…` (e.g. `limit:per-ip|203.0.113.7`), with
 * freely chosen values (path, method, header values) as `<length>:<value>` and absent values as `-`.
 */
import { parseIpInto } from '../net/ip-parse.ts';
import { hashChain64, hashIpChain64 } from '../sketch/count-min.ts';
import type { RequestFacts } from './facts.ts';

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
  /**
   * Fold the key's parts into `state` (see hashChain64 in sketch/count-min.ts). `address`: where the
   * caller keeps the request's parsed address across the keys of one evaluation (reset `family` to −1
   * for each request), so a request without `facts.ip` is parsed once, not once per address-keyed limit.
   */
  hashInto(facts: RequestFacts, state: Uint32Array, address?: AddressWords): void;
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

/** Folds one key part of a request into a hash state. */
type PartHasher = (facts: RequestFacts, state: Uint32Array, address: AddressWords | undefined) => void;

/**
 * The address part, hashed from the address as words (hashIpChain64): from `facts.ip` when the caller
 * parsed it (nothing of the text is read), else parsed here (once per evaluation with `address`), so a
 * client hashes the same either way. A value that is not an IP address (tests, odd transports) is hashed
 * as text.
 */
const hashAddress: PartHasher = (f, state, address = createAddressWords()) => {
  const ip = f.ip;
  if (ip != null) {
    if (ip.family === 4) hashIpChain64(4, ip.v4, null, state);
    else hashIpChain64(6, 0, ip.v6, state);
    return;
  }
  if (address.family === -1) address.family = parseIpInto(f.address, address.words);
  if (address.family === 4) hashIpChain64(4, address.words[0], null, state);
  else if (address.family === 6) hashIpChain64(6, 0, address.words, state);
  else hashChain64(f.address, state, MAX_KEY_PART_CHARS);
};

function hasherOf(part: KeyPart): PartHasher {
  if (part === 'address') return hashAddress;
  const read = readerOf(part);
  return (f, state) => hashChain64(read(f), state, MAX_KEY_PART_CHARS);
}

/** `hashInto` for the parts; one- and two-part keys (the usual ones) without the loop. */
function hashIntoOf(hashers: readonly PartHasher[]): CompiledKey['hashInto'] {
  if (hashers.length === 1) return hashers[0];
  if (hashers.length === 2) {
    const [h0, h1] = hashers;
    return (f, state, address) => {
      h0(f, state, address);
      h1(f, state, address);
    };
  }
  return (f, state, address) => {
    for (let i = 0; i < hashers.length; i++) hashers[i](f, state, address);
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
