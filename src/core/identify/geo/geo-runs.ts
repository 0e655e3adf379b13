/**
 * Address space as covering runs: a sorted list of first addresses, each run reaching up to the next
 * one's start (the last to the family's top address), each with one value. The ASN table's inclusive
 * ranges (with gaps) and a MaxMind search tree's leaves both become runs, and two run lists merge into
 * one whose every run has a single ASN row and a single country — what the on-disk geo image stores
 * (./geo-image.ts), so one read answers both questions.
 *
 * Addresses are `words` uint32 words each (1 for IPv4, 4 for IPv6, big-endian word order), as in
 * asn-table.ts. Pure and synchronous.
 */
import type { AsnRows } from './asn-csv.ts';

/** Covering runs: `starts` holds `count` addresses (`words` words each), strictly increasing, the first 0. */
export interface Runs {
  readonly words: 1 | 4;
  readonly count: number;
  readonly starts: Uint32Array;
  /** One value per run; its meaning is the producer's (e.g. an ASN row, −1 for none). */
  readonly values: Int32Array;
}

/** Runs of two lists merged: each run carries the value of each input list at that address. */
export interface MergedRuns {
  readonly words: 1 | 4;
  readonly count: number;
  readonly starts: Uint32Array;
  readonly a: Int32Array;
  readonly b: Int32Array;
}

/** Compare the address at `x[xi..]` with `y[yi..]` (w words): <0, 0, >0. */
export function compareWords(x: Uint32Array, xi: number, y: Uint32Array, yi: number, w: number): number {
  for (let k = 0; k < w; k++) {
    const d = x[xi + k]! - y[yi + k]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** Writes `src[s..] + 1` to `out[o..]`; returns false when `src` was the top address (no successor). */
function plusOne(src: Uint32Array, s: number, out: Uint32Array, o: number, w: number): boolean {
  let carry = 1;
  for (let k = w - 1; k >= 0; k--) {
    const v = src[s + k]! + carry;
    out[o + k] = v >>> 0;
    carry = v > 0xffffffff ? 1 : 0;
  }
  return carry === 0;
}

/** A growable run list (used by the producers below). */
export class RunBuilder {
  private starts: Uint32Array;
  private values: Int32Array;
  count = 0;

  constructor(
    readonly words: 1 | 4,
    private readonly maxRuns: number,
  ) {
    this.starts = new Uint32Array(1024 * words);
    this.values = new Int32Array(1024);
  }

  /** Appends a run at `src[s..]` unless its value equals the previous run's (then that run goes on). */
  push(src: Uint32Array, s: number, value: number): void {
    const w = this.words;
    if (this.count > 0 && this.values[this.count - 1] === value) return;
    if (this.count > 0 && compareWords(src, s, this.starts, (this.count - 1) * w, w) <= 0) throw new Error('runs out of order');
    if (this.count >= this.maxRuns) throw new Error(`more than ${this.maxRuns} runs`);
    if (this.count === this.values.length) {
      const starts = new Uint32Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
      const values = new Int32Array(this.values.length * 2);
      values.set(this.values);
      this.values = values;
    }
    for (let k = 0; k < w; k++) this.starts[this.count * w + k] = src[s + k]!;
    this.values[this.count++] = value;
  }

  /** The runs so far, trimmed. */
  done(): Runs {
    return { words: this.words, count: this.count, starts: this.starts.slice(0, this.count * this.words), values: this.values.slice(0, this.count) };
  }
}

/**
 * The ASN table's rows (sorted, non-overlapping, as asn-table.ts repairs them) as covering runs: a row's
 * run has the row number as value, the gaps between rows −1.
 */
export function asnRowRuns(rows: AsnRows, maxRuns = rows.count * 2 + 2): Runs {
  const w = rows.words;
  const out = new RunBuilder(w, maxRuns);
  const next = new Uint32Array(w); // the first address not yet covered
  let open = true; // false once the top address is covered
  for (let i = 0; i < rows.count && open; i++) {
    if (compareWords(rows.starts, i * w, next, 0, w) > 0) out.push(next, 0, -1);
    out.push(rows.starts, i * w, i);
    open = plusOne(rows.ends, i * w, next, 0, w);
  }
  if (open) out.push(next, 0, -1);
  return out.done();
}

/**
 * Two covering run lists of one family merged: the starts of both, each run carrying both values. Runs
 * whose pair of values equals the previous run's are joined only when `same(prevA, a)` says the first
 * values are equivalent (e.g. two ASN rows of the same AS and organisation); the second values must be equal.
 */
export function mergeRuns(x: Runs, y: Runs, same: (a: number, b: number) => boolean = (a, b) => a === b): MergedRuns {
  const w = x.words;
  if (y.words !== w) throw new Error('runs of different families');
  if (x.count === 0 || y.count === 0) throw new Error('empty run list');
  let cap = 1024;
  let starts = new Uint32Array(cap * w);
  let a = new Int32Array(cap);
  let b = new Int32Array(cap);
  let count = 0;
  const emit = (src: Uint32Array, s: number, va: number, vb: number): void => {
    if (count > 0 && b[count - 1] === vb && same(a[count - 1]!, va)) return;
    if (count === cap) {
      cap *= 2;
      const ns = new Uint32Array(cap * w);
      ns.set(starts);
      starts = ns;
      const na = new Int32Array(cap);
      na.set(a);
      a = na;
      const nb = new Int32Array(cap);
      nb.set(b);
      b = nb;
    }
    for (let k = 0; k < w; k++) starts[count * w + k] = src[s + k]!;
    a[count] = va;
    b[count] = vb;
    count++;
  };
  let i = 0;
  let j = 0;
  emit(x.starts, 0, x.values[0]!, y.values[0]!);
  while (i + 1 < x.count || j + 1 < y.count) {
    const c = i + 1 >= x.count ? 1 : j + 1 >= y.count ? -1 : compareWords(x.starts, (i + 1) * w, y.starts, (j + 1) * w, w);
    if (c <= 0) i++;
    if (c >= 0) j++;
    const src = c <= 0 ? x.starts : y.starts;
    emit(src, (c <= 0 ? i : j) * w, x.values[i]!, y.values[j]!);
  }
  return { words: w, count, starts: starts.slice(0, count * w), a: a.slice(0, count), b: b.slice(0, count) };
}

/** One run covering the whole family with `value` (a part that has no data). */
export function wholeSpace(words: 1 | 4, value: number): Runs {
  return { words, count: 1, starts: new Uint32Array(words), values: Int32Array.of(value) };
}
