/**
 * The header fingerprint: how a client writes its requests, not what it writes — in the spirit of JA4H
 * (FoxIO, https://github.com/FoxIO-LLC/ja4/blob/main/technical_details/JA4H.md), so bots that rotate
 * user agents, cookies or query strings still group together, while different HTTP stacks (a browser,
 * curl, a Python script) come apart.
 *
 * Format (22 characters, fixed width; `ge11nnl09_4c1a7e30b2f1`):
 *
 *     {method:2}{version:2}{cookie:1}{referer:1}{lang:1}{count:2}_{order:12}
 *
 * - `method`: the first two characters of the method, lower case (`ge` GET, `po` POST, `he` HEAD, `pu`
 *   PUT, `de` DELETE, `op` OPTIONS, `pa` PATCH, `co` CONNECT, `tr` TRACE); characters other than
 *   `[a-z0-9]` become `x`, a one-letter method is padded with `0`.
 * - `version`: `10`, `11`, `20`, `30` for HTTP/1.0, 1.1, 2, 3; `00` for anything else.
 * - `cookie`, `referer`, `lang`: `c`, `r`, `l` when a Cookie, Referer, Accept-Language header is present,
 *   else `n`. Presence only: values never enter the fingerprint.
 * - `count`: the number of header fields (each repetition counts), not counting Cookie and Referer,
 *   two decimal digits, capped at 99.
 * - `order`: 48 bits of a fast non-cryptographic hash of the header *names* in the order received, ASCII
 *   lower-cased: each name is hashed on its own (FNV-1a, seeded with its length, so `[ab, c]` and
 *   `[a, bc]` differ), and the sequence of name hashes is folded into two 32-bit lanes (FNV-1a and a
 *   Murmur-style mix, each finalised with fmix32; 24 bits of each) — again without Cookie and
 *   Referer, as JA4H does, because a browser adds those as a visit goes on and its fingerprint should not
 *   change with them (only the `c`/`r` flags do). 12 lower-case hex digits.
 *
 * What it is not: cookie names are left out (JA4H's third and fourth parts) because they live in a
 * header *value*, change whenever the site sets a cookie (a login, Bulwark's own clearance), and would
 * split one client into several groups. Name case is normalised (HTTP/2 lower-cases everything anyway).
 * Behind a proxy, the fingerprint describes what the proxy forwarded: headers the proxy adds can be
 * left out with {@link HeaderFingerprinterOptions.ignore}.
 *
 * Stable under any change of header values; different (but for a 2^-48 hash collision) when the names'
 * order, presence or repetition changes. Allocation: only the result string; about 30–40 `Map.get`s' worth
 * of time for 15 headers (0.7–1.4 µs on the shared benchmark machine; see bench/decide.bench.ts).
 */
import { fmix32 } from '../sketch/hash.ts';

/** Options of {@link createHeaderFingerprinter}. */
export interface HeaderFingerprinterOptions {
  /**
   * Header names (any case) left out of the count and the order hash, e.g. headers a trusted proxy adds
   * (`x-forwarded-for`, `x-forwarded-proto`, `via`). Default none. Cookie and Referer are always out.
   */
  readonly ignore?: readonly string[];
}

/** Computes fingerprints; build once at config load. */
export interface HeaderFingerprinter {
  /**
   * The fingerprint of one request (format in the module comment). `rawHeaders` is Node's flat
   * `[name, value, name, value, …]` list (`IncomingMessage.rawHeaders`); `httpVersion` is Node's
   * `IncomingMessage.httpVersion` (`'1.1'`, `'2.0'`).
   */
  fingerprint(rawHeaders: readonly string[], method: string, httpVersion: string): string;
}

/** Length of a fingerprint; every fingerprint has exactly this many characters. */
export const FINGERPRINT_LENGTH = 22;

/** What a fingerprint's readable prefix says; see {@link describeFingerprint}. */
export interface FingerprintParts {
  readonly method: string;
  readonly version: string;
  readonly cookie: boolean;
  readonly referer: boolean;
  readonly acceptLanguage: boolean;
  readonly headerCount: number;
  readonly orderHash: string;
}

const FINGERPRINT_RE = /^([a-z0-9x]{2})(\d\d)([cn])([rn])([ln])(\d\d)_([0-9a-f]{12})$/;

/** Splits a fingerprint into its fields (for the dashboard and `bulwark` CLI), or null when malformed. */
export function describeFingerprint(fp: string): FingerprintParts | null {
  const m = FINGERPRINT_RE.exec(fp);
  if (m === null) return null;
  return {
    method: m[1],
    version: m[2],
    cookie: m[3] === 'c',
    referer: m[4] === 'r',
    acceptLanguage: m[5] === 'l',
    headerCount: Number(m[6]),
    orderHash: m[7],
  };
}

/** True when `name` equals the lower-case ASCII `target` ignoring ASCII case. */
function eqLower(name: string, target: string): boolean {
  const n = target.length;
  if (name.length !== n) return false;
  for (let i = 0; i < n; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== target.charCodeAt(i)) return false;
  }
  return true;
}

function methodChar(c: number): string {
  if (c >= 65 && c <= 90) c += 32;
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) ? String.fromCharCode(c) : 'x';
}

function methodCode(method: string): string {
  if (method === 'GET') return 'ge';
  if (method === 'POST') return 'po';
  if (method === 'HEAD') return 'he';
  return (method.length > 0 ? methodChar(method.charCodeAt(0)) : '0') + (method.length > 1 ? methodChar(method.charCodeAt(1)) : '0');
}

function versionCode(v: string): string {
  switch (v) {
    case '1.1':
      return '11';
    case '2.0':
    case '2':
      return '20';
    case '1.0':
      return '10';
    case '3.0':
    case '3':
      return '30';
    default:
      return '00';
  }
}

const HEX6 = '000000';
function hex24(h: number): string {
  const s = (h >>> 8).toString(16);
  return s.length === 6 ? s : HEX6.slice(s.length) + s;
}

/** Lower-case ignore names grouped by length, for a cheap rejection before comparing characters. */
function compileIgnore(names: readonly string[]): ((name: string) => boolean) | null {
  if (names.length === 0) return null;
  const byLength = new Map<number, string[]>();
  for (const raw of names) {
    const n = raw.trim().toLowerCase();
    if (n.length === 0) continue;
    const list = byLength.get(n.length) ?? [];
    if (!list.includes(n)) list.push(n);
    byLength.set(n.length, list);
  }
  if (byLength.size === 0) return null;
  return (name) => {
    const list = byLength.get(name.length);
    if (list === undefined) return false;
    for (let i = 0; i < list.length; i++) if (eqLower(name, list[i])) return true;
    return false;
  };
}

/** ASCII lower case of one character code (header names are ASCII tokens). */
function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * FNV-1a (32-bit) of a name, ASCII lower-cased, two characters per step (half the multiply chain), seeded
 * with the length so names of different lengths never share a step sequence.
 */
function nameHash(name: string): number {
  const n = name.length;
  let h = 0x811c9dc5 ^ n;
  let j = 0;
  for (; j + 1 < n; j += 2) h = Math.imul(h ^ (lower(name.charCodeAt(j)) | (lower(name.charCodeAt(j + 1)) << 16)), 0x01000193);
  if (j < n) h = Math.imul(h ^ lower(name.charCodeAt(j)), 0x01000193);
  return h;
}

function compute(rawHeaders: readonly string[], method: string, httpVersion: string, ignored: ((name: string) => boolean) | null): string {
  let a = 0x811c9dc5; // order lane 1: FNV-1a over the names' hashes
  let b = 0x9747b28c; // order lane 2: a Murmur-style mix of the same sequence
  let count = 0;
  let cookie = false;
  let referer = false;
  let lang = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const n = name.length;
    if (n === 6 && eqLower(name, 'cookie')) {
      cookie = true;
      continue;
    }
    if (n === 7 && eqLower(name, 'referer')) {
      referer = true;
      continue;
    }
    if (n === 15 && !lang && eqLower(name, 'accept-language')) lang = true;
    if (ignored !== null && ignored(name)) continue;
    count++;
    const h = nameHash(name);
    a = Math.imul(a ^ h, 0x01000193);
    b = Math.imul(b ^ h ^ (h >>> 15), 0x5bd1e995);
    b ^= b >>> 13;
  }
  const nn = count > 99 ? 99 : count;
  return (
    methodCode(method) +
    versionCode(httpVersion) +
    (cookie ? 'c' : 'n') +
    (referer ? 'r' : 'n') +
    (lang ? 'l' : 'n') +
    (nn < 10 ? '0' + nn : '' + nn) +
    '_' +
    hex24(fmix32(a ^ count)) +
    hex24(fmix32(b + count))
  );
}

/** Builds a fingerprinter; see the module comment for the format and its guarantees. */
export function createHeaderFingerprinter(options: HeaderFingerprinterOptions = {}): HeaderFingerprinter {
  const ignored = compileIgnore(options.ignore ?? []);
  return { fingerprint: (rawHeaders, method, httpVersion) => compute(rawHeaders, method, httpVersion, ignored) };
}

/**
 * The fingerprint of one request with the default options (no header ignored besides Cookie and
 * Referer). See the module comment for the format.
 */
export function headerFingerprint(rawHeaders: readonly string[], method: string, httpVersion: string): string {
  return compute(rawHeaders, method, httpVersion, null);
}
