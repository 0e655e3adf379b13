/**
 * Address → autonomous system (number and organisation) from the @ip-location-db/asn CSV data
 * (CC BY 4.0: RouteViews, DB-IP and the NRO — credit them wherever the data is shown).
 *
 * Rows are inclusive address ranges; they are kept sorted in typed arrays (IPv4: one uint32 per end;
 * IPv6: four) and looked up by binary search narrowed by a first-16-bits index (a few probes), no
 * allocation on the `row*` path. Overlapping
 * rows (the published data has a few) are repaired at build time: a later-starting range wins from its
 * start, the earlier range is cut short, and the count is reported.
 */
import { parseIpInto } from '../../net/ip-parse.ts';
import type { ParsedIp } from '../../net/ip.ts';
import { createOrgDictionary, readAsnCsv } from './asn-csv.ts';
import type { AsnReadReport, AsnRows, OrgDictionary } from './asn-csv.ts';

/** An autonomous system: its number and the organisation's name as published. */
export interface AsnRecord {
  readonly asn: number;
  readonly org: string;
}

/** Size and quality of a built table (for start-up logs and metrics). */
export interface AsnTableStats {
  readonly v4Rows: number;
  readonly v6Rows: number;
  readonly orgs: number;
  /** Typed-array bytes (organisation strings not included; see `orgChars`). */
  readonly bytes: number;
  readonly orgChars: number;
  readonly invalidLines: number;
  readonly invalidSamples: ReadonlyArray<{ line: number; family: 4 | 6; reason: string }>;
  readonly overlapsRepaired: number;
  readonly truncated: boolean;
}

/** A built ASN table. Row numbers are opaque handles valid for this table only. */
export interface AsnTable {
  /** The AS announcing the address, or null (unknown, private, or not an address). */
  lookup(address: string | ParsedIp): AsnRecord | null;
  /** Row handle for a uint32 IPv4 address, or -1. Allocation-free. */
  rowV4(v4: number): number;
  /** Row handle for an IPv6 address (four big-endian words), or -1. Allocation-free. */
  rowV6(words: Uint32Array): number;
  asnAt(row: number): number;
  orgAt(row: number): string;
  readonly stats: AsnTableStats;
}

/** Input texts: the IPv4 and/or IPv6 CSV. Either may be omitted (e.g. IPv4 only to save memory). */
export interface AsnTableInput {
  readonly v4?: string;
  readonly v6?: string;
  /** Cap on rows per family (default 2,000,000); rows beyond it are dropped and `truncated` set. */
  readonly maxRows?: number;
  /**
   * True when the texts are UTF-8 files decoded as latin1 (one char per byte, e.g.
   * `buffer.toString('latin1')`): 4× faster to read than UTF-8 and half the memory while building
   * (UTF-8 text with any non-ASCII char becomes a two-byte string). Organisation names are re-decoded.
   */
  readonly latin1?: boolean;
}

/** Compare the address at `a[ai..]` with `b[bi..]` (w words); <0, 0, >0. */
function cmp(a: Uint32Array, ai: number, b: Uint32Array, bi: number, w: number): number {
  for (let k = 0; k < w; k++) {
    const d = a[ai + k] - b[bi + k];
    if (d !== 0) return d;
  }
  return 0;
}

/** Sort rows by start if the file was not sorted (it normally is: then this is one linear check). */
function sortRows(r: AsnRows): void {
  const w = r.words;
  let sorted = true;
  for (let i = 1; i < r.count && sorted; i++) sorted = cmp(r.starts, (i - 1) * w, r.starts, i * w, w) <= 0;
  if (sorted) return;
  const order = Array.from({ length: r.count }, (_, i) => i).sort((x, y) => cmp(r.starts, x * w, r.starts, y * w, w));
  const pick = (src: Uint32Array, ww: number): Uint32Array => {
    const out = new Uint32Array(r.count * ww);
    order.forEach((from, to) => out.set(src.subarray(from * ww, from * ww + ww), to * ww));
    return out;
  };
  r.starts = pick(r.starts, w);
  r.ends = pick(r.ends, w);
  r.asns = pick(r.asns, 1);
  r.orgIds = pick(r.orgIds, 1);
}

/** Set `out[o..]` to `src[s..]` minus one (w words, borrow across words). */
function minusOne(src: Uint32Array, s: number, out: Uint32Array, o: number, w: number): void {
  let borrow = 1;
  for (let k = w - 1; k >= 0; k--) {
    const v = src[s + k] - borrow;
    out[o + k] = v < 0 ? 0xffffffff : v;
    borrow = v < 0 ? 1 : 0;
  }
}

/** Drop inverted rows and cut overlaps; compacts in place. Returns the number of repairs. */
function repairRows(r: AsnRows): number {
  const w = r.words;
  let kept = 0;
  let repaired = 0;
  for (let i = 0; i < r.count; i++) {
    if (cmp(r.starts, i * w, r.ends, i * w, w) > 0) {
      repaired++;
      continue;
    }
    if (kept > 0 && cmp(r.starts, i * w, r.ends, (kept - 1) * w, w) <= 0) {
      repaired++;
      const prevStartAfter = cmp(r.starts, (kept - 1) * w, r.starts, i * w, w) >= 0;
      if (prevStartAfter) kept--; // same start: the later row replaces it
      else minusOne(r.starts, i * w, r.ends, (kept - 1) * w, w);
    }
    if (kept !== i) {
      r.starts.copyWithin(kept * w, i * w, i * w + w);
      r.ends.copyWithin(kept * w, i * w, i * w + w);
      r.asns[kept] = r.asns[i];
      r.orgIds[kept] = r.orgIds[i];
    }
    kept++;
  }
  r.count = kept;
  return repaired;
}

/**
 * First-16-bits index: `idx[p]` is the number of rows whose start has top 16 bits below `p`, so the row
 * holding an address with top bits `p` is among rows `idx[p] - 1 .. idx[p + 1] - 1` — a binary search
 * over a handful of rows instead of ~19 probes over all of them. 256 KB per family.
 */
function buildIndex(r: AsnRows): Uint32Array {
  const idx = new Uint32Array(65537);
  let row = 0;
  for (let p = 0; p <= 65536; p++) {
    while (row < r.count && r.starts[row * r.words] >>> 16 < p) row++;
    idx[p] = row;
  }
  return idx;
}

function prepare(text: string | undefined, family: 4 | 6, maxRows: number, dict: OrgDictionary, report: AsnReadReport): { rows: AsnRows; repaired: number } {
  const rows = readAsnCsv(text ?? '', family, maxRows, dict, report);
  sortRows(rows);
  const repaired = repairRows(rows);
  return { rows, repaired };
}

/**
 * The built table as plain data: typed arrays (transferable between threads) and the organisation
 * names. `parseAsnTableData` does the expensive part (reading the CSV); `asnTableFromData` only wraps
 * the arrays, so the edge can parse in a worker thread and keep the event loop free at start-up.
 */
export interface AsnTableData {
  readonly v4: AsnRows;
  readonly v6: AsnRows;
  readonly idx4: Uint32Array;
  readonly idx6: Uint32Array;
  /** Organisation names by id. */
  readonly names: OrgNames;
  readonly stats: AsnTableStats;
}

/** Organisation names by id (`orgIds` values). */
export interface OrgNames {
  readonly length: number;
  at(id: number): string | undefined;
}

/** The typed arrays of a table's data (to pass as a transfer list to postMessage). */
export function asnTableBuffers(d: AsnTableData): ArrayBuffer[] {
  return [d.v4.starts, d.v4.ends, d.v4.asns, d.v4.orgIds, d.v6.starts, d.v6.ends, d.v6.asns, d.v6.orgIds, d.idx4, d.idx6].map((a) => a.buffer as ArrayBuffer);
}

/** Reads the CSV texts into table data (pure, synchronous, a few hundred ms for the default files). */
export function parseAsnTableData(input: AsnTableInput): AsnTableData {
  const maxRows = input.maxRows ?? 2_000_000;
  const dict: OrgDictionary = createOrgDictionary(input.latin1 ?? false);
  const report: AsnReadReport = { invalidLines: 0, samples: [], truncated: false };
  const p4 = prepare(input.v4, 4, maxRows, dict, report);
  const p6 = prepare(input.v6, 6, maxRows, dict, report);
  const trim = (r: AsnRows): AsnRows => ({
    words: r.words,
    count: r.count,
    starts: r.starts.slice(0, r.count * r.words),
    ends: r.ends.slice(0, r.count * r.words),
    asns: r.asns.slice(0, r.count),
    orgIds: r.orgIds.slice(0, r.count),
  });
  const v4 = trim(p4.rows);
  const v6 = trim(p6.rows);
  const idx4 = buildIndex(v4);
  const idx6 = buildIndex(v6);
  const bytes = [v4, v6].reduce((sum, r) => sum + r.starts.byteLength + r.ends.byteLength + r.asns.byteLength + r.orgIds.byteLength, idx4.byteLength + idx6.byteLength);
  const stats: AsnTableStats = {
    v4Rows: v4.count,
    v6Rows: v6.count,
    orgs: dict.names.length,
    bytes,
    orgChars: dict.names.reduce((sum, n) => sum + n.length, 0),
    invalidLines: report.invalidLines,
    invalidSamples: report.samples,
    overlapsRepaired: p4.repaired + p6.repaired,
    truncated: report.truncated,
  };
  return { v4, v6, idx4, idx6, names: dict.names, stats };
}

/**
 * Build the table from CSV text (see ./asn-csv.ts for the accepted formats). Pure and synchronous;
 * with both default files (~412k IPv4 and ~103k IPv6 rows) it takes a few hundred milliseconds.
 */
export function buildAsnTable(input: AsnTableInput): AsnTable {
  return asnTableFromData(parseAsnTableData(input));
}

/** Wraps table data (built here or received from a worker) with the lookup functions. */
export function asnTableFromData(data: AsnTableData): AsnTable {
  const { v4, v6, idx4, idx6 } = data;
  const names = data.names;
  const n4 = v4.count;
  const scratch = new Uint32Array(4);

  function rowV4(a: number): number {
    const starts = v4.starts;
    const p = a >>> 16;
    let lo = idx4[p] > 0 ? idx4[p] - 1 : 0;
    let hi = idx4[p + 1] - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= a) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && a <= v4.ends[found] ? found : -1;
  }

  function rowV6(a: Uint32Array): number {
    const p = a[0] >>> 16;
    let lo = idx6[p] > 0 ? idx6[p] - 1 : 0;
    let hi = idx6[p + 1] - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (cmp(v6.starts, mid * 4, a, 0, 4) <= 0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && cmp(a, 0, v6.ends, found * 4, 4) <= 0 ? n4 + found : -1;
  }

  const asnAt = (row: number): number => (row < n4 ? v4.asns[row] : v6.asns[row - n4]);
  const orgAt = (row: number): string => names.at(row < n4 ? v4.orgIds[row]! : v6.orgIds[row - n4]!) ?? '';

  function lookup(address: string | ParsedIp): AsnRecord | null {
    let row: number;
    if (typeof address === 'string') {
      const fam = parseIpInto(address, scratch);
      row = fam === 4 ? rowV4(scratch[0]) : fam === 6 ? rowV6(scratch) : -1;
    } else row = address.family === 4 ? rowV4(address.v4) : rowV6(address.v6);
    return row < 0 ? null : { asn: asnAt(row), org: orgAt(row) };
  }

  const stats = Object.freeze({ ...data.stats });
  return { lookup, rowV4, rowV6, asnAt, orgAt, stats };
}
