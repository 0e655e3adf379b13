/**
 * Reading the @ip-location-db/asn CSV files into flat typed arrays.
 *
 * Row format (https://github.com/sapics/ip-location-db/tree/main/asn):
 * `ip_range_start,ip_range_end,autonomous_system_number,autonomous_system_organization` — an inclusive
 * range, the ends either as addresses (`asn-ipv4.csv`, `asn-ipv6.csv`) or as decimal integers
 * (`asn-ipv4-num.csv`, `asn-ipv6-num.csv`); both are accepted, line by line. The organisation may be
 * quoted with `""` escapes (`"LLC ""SPUTNIK"""`). Fields are read in place, without splitting lines.
 */
import { parseV4Range, parseV6Range } from '../../net/ip-parse.ts';

/** Rows of one family, in file order. Words per address: 1 (IPv4) or 4 (IPv6). */
export interface AsnRows {
  readonly words: 1 | 4;
  count: number;
  starts: Uint32Array;
  ends: Uint32Array;
  asns: Uint32Array;
  orgIds: Uint32Array;
}

/** Problems seen while reading: counted, with the first few lines kept as samples. */
export interface AsnReadReport {
  invalidLines: number;
  samples: Array<{ line: number; family: 4 | 6; reason: string }>;
  truncated: boolean;
}

/**
 * Shared organisation-name dictionary (names repeat across thousands of rows). `byAsn` and `raw`
 * (the name as written in the file, quotes included) only speed up reading: an AS usually keeps one
 * name, so the row's text is compared in place with the last name seen for its AS, without slicing.
 */
export interface OrgDictionary {
  /** True when the CSV text holds UTF-8 bytes read as latin1 (one char per byte): names are re-decoded. */
  readonly latin1: boolean;
  readonly names: string[];
  readonly ids: Map<string, number>;
  readonly byAsn: UintMap;
  readonly raw: string[];
}

/** A fresh empty dictionary. */
export function createOrgDictionary(latin1 = false): OrgDictionary {
  return { latin1, names: [], ids: new Map(), byAsn: createUintMap(), raw: [] };
}

const utf8 = new TextDecoder('utf-8');

/** A name read from latin1-decoded UTF-8 bytes, decoded properly; pure ASCII is returned as is. */
function fromLatin1Bytes(name: string): string {
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) > 127) return utf8.decode(Uint8Array.from(name, (ch) => ch.charCodeAt(0)));
  }
  return name;
}

/** uint32 → int map (open addressing, linear probing); a JS Map with 32-bit ASN keys was the build's bottleneck. */
export interface UintMap {
  get(key: number): number; // -1 when absent
  set(key: number, value: number): void;
  clear(): void;
}

function createUintMap(): UintMap {
  let bits = 12;
  let keys = new Float64Array(1 << bits).fill(-1);
  let vals = new Int32Array(1 << bits);
  let size = 0;
  const slot = (key: number): number => {
    const mask = (1 << bits) - 1;
    let i = Math.imul(key, 0x9e3779b1) >>> (32 - bits);
    while (keys[i] !== -1 && keys[i] !== key) i = (i + 1) & mask;
    return i;
  };
  const grow = (): void => {
    const oldKeys = keys;
    const oldVals = vals;
    bits++;
    keys = new Float64Array(1 << bits).fill(-1);
    vals = new Int32Array(1 << bits);
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldKeys[i] === -1) continue;
      const j = slot(oldKeys[i]);
      keys[j] = oldKeys[i];
      vals[j] = oldVals[i];
    }
  };
  return {
    get(key) {
      const i = slot(key);
      return keys[i] === -1 ? -1 : vals[i];
    },
    set(key, value) {
      let i = slot(key);
      if (keys[i] === -1) {
        if (++size * 2 > keys.length) {
          grow();
          i = slot(key);
        }
        keys[i] = key;
      }
      vals[i] = value;
    },
    clear() {
      bits = 1;
      keys = new Float64Array(2).fill(-1);
      vals = new Int32Array(2);
      size = 0;
    },
  };
}

const bigScratch = new Uint32Array(4);

/** Parse one address field in `text[s, e)` into `out[off..]`; false when invalid. */
function parseAddr(text: string, s: number, e: number, words: 1 | 4, out: Uint32Array, off: number): boolean {
  let numeric = true;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) {
      numeric = false;
      break;
    }
  }
  if (numeric && e > s) {
    if (words === 1) {
      const v = parseUint(text, s, e);
      if (v < 0) return false;
      out[off] = v;
      return true;
    }
    let v = BigInt(text.slice(s, e));
    if (v >> 128n !== 0n) return false;
    for (let w = 3; w >= 0; w--, v >>= 32n) out[off + w] = Number(v & 0xffffffffn);
    return true;
  }
  if (words === 1) {
    const v = parseV4Range(text, s, e);
    if (v < 0) return false;
    out[off] = v;
    return true;
  }
  if (!parseV6Range(text, s, e, bigScratch)) return false;
  out.set(bigScratch, off);
  return true;
}

/** Id of the organisation written in `text[s, e)` (unquoted), interning new names. */
function orgId(text: string, s: number, e: number, asn: number, dict: OrgDictionary): number {
  const last = dict.byAsn.get(asn);
  if (last >= 0) {
    const raw = dict.raw[last];
    if (raw.length === e - s && text.startsWith(raw, s)) return last;
  }
  const raw = text.slice(s, e);
  let name = raw;
  if (raw.length >= 2 && raw.charCodeAt(0) === 34 && raw.charCodeAt(raw.length - 1) === 34) {
    name = raw.slice(1, -1).replaceAll('""', '"');
  }
  let id = dict.ids.get(name);
  if (id === undefined) {
    // Copy the name so the dictionary does not pin the whole CSV text (V8 sliced strings keep their parent).
    const own = dict.latin1 ? JSON.parse(JSON.stringify(fromLatin1Bytes(name))) as string : JSON.parse(JSON.stringify(name)) as string;
    id = dict.names.length;
    dict.names.push(own);
    dict.ids.set(own, id);
  }
  dict.raw[id] = raw;
  dict.byAsn.set(asn, id);
  return id;
}

/** Decimal digits in `text[s, e)` as a number, or -1 (empty, non-digit or above 2^32 - 1). */
function parseUint(text: string, s: number, e: number): number {
  if (e <= s || e - s > 10) return -1;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v > 0xffffffff ? -1 : v;
}

/** Count lines to size the arrays once. */
function countLines(text: string): number {
  let n = 1;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/** Why a row is invalid, or null when it was stored at `rows.count`. */
function readRow(text: string, s: number, e: number, rows: AsnRows, dict: OrgDictionary): string | null {
  const c1 = text.indexOf(',', s);
  const c2 = c1 < 0 ? -1 : text.indexOf(',', c1 + 1);
  const c3 = c2 < 0 ? -1 : text.indexOf(',', c2 + 1);
  if (c1 < 0 || c2 < 0 || c3 < 0 || c3 >= e) return 'fewer than 4 fields';
  const w = rows.words;
  const off = rows.count * w;
  if (!parseAddr(text, s, c1, w, rows.starts, off)) return 'bad range start';
  if (!parseAddr(text, c1 + 1, c2, w, rows.ends, off)) return 'bad range end';
  const asn = parseUint(text, c2 + 1, c3);
  if (asn < 0) return 'bad AS number';
  rows.asns[rows.count] = asn;
  rows.orgIds[rows.count] = orgId(text, c3 + 1, e, asn, dict);
  return null;
}

/**
 * Read every row of one family's CSV into `rows` (allocated here), at most `maxRows`.
 * Lines that do not parse are counted in `report`; blank lines are ignored.
 */
export function readAsnCsv(text: string, family: 4 | 6, maxRows: number, dict: OrgDictionary, report: AsnReadReport): AsnRows {
  const words = family === 4 ? 1 : 4;
  const cap = Math.min(countLines(text), maxRows);
  const rows: AsnRows = {
    words,
    count: 0,
    starts: new Uint32Array(cap * words),
    ends: new Uint32Array(cap * words),
    asns: new Uint32Array(cap),
    orgIds: new Uint32Array(cap),
  };
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 0;
  while (pos < text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const end = nl > pos && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    const start = pos;
    pos = nl + 1;
    line++;
    if (end === start) continue;
    if (rows.count === cap) {
      report.truncated = true;
      break;
    }
    const reason = readRow(text, start, end, rows, dict);
    if (reason === null) rows.count++;
    else {
      report.invalidLines++;
      if (report.samples.length < 10) report.samples.push({ line, family, reason });
    }
  }
  return rows;
}
