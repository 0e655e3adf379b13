/**
 * The proof of work, split into sub-challenges: for each `i` in `0..count-1`, find a counter such that
 * SHA-256(seed ‖ index(i) ‖ decimal(counter)) starts with at least `bits` zero bits. The seed is the
 * challenge token's 16-character nonce and `index(i)` one letter, so a message is at most 29 ASCII bytes
 * — one SHA-256 block — and the server checks a sub-challenge with a single compression.
 *
 * Why several small searches instead of one big one: the attempts one search needs are geometric, so a
 * single search of `2^b` expected attempts has a long slow tail (1 in 10 visitors needs 2.3× the mean, 1 in
 * 100 needs 4.6×). The sum of `count` independent searches has the same mean work `count × 2^bits` but a
 * spread that shrinks as 1/√count: with 16 sub-challenges 1 in 10 visitors needs ~1.3× the mean, and the
 * worst case of a slow phone stays close to its typical case. Sub-challenges also spread over a
 * browser's workers without coordination (each worker takes the next unsolved one).
 *
 * The answer is the counters in order, joined by `.`, each in canonical decimal (no sign, no leading
 * zeros, at most {@link MAX_COUNTER_DIGITS} digits), so an answer has exactly one spelling.
 */

import { sha256LeadingZeroBits } from './sha256.ts';

/** Counters have at most this many decimal digits (10^12 attempts is far beyond any sane difficulty). */
export const MAX_COUNTER_DIGITS = 12;
/** Seeds are the 16-character token nonce; longer seeds are refused so a check stays one block. */
export const MAX_SEED_LENGTH = 40;
/** Most sub-challenges in one challenge (the index is one letter of {@link SUB_INDEX}). */
export const MAX_SUB_CHALLENGES = 32;
/** Fewest sub-challenges a challenge of at least this many expected attempts is split into. */
export const MIN_SUB_CHALLENGES = 16;
/** Leading zero bits a sub-challenge may ask for (0 = any counter). */
export const MAX_SUB_BITS = 32;
/** The letter that names sub-challenge `i` in its message (never a digit: the counter follows it). */
export const SUB_INDEX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef';

const MESSAGE = new Uint8Array(MAX_SEED_LENGTH + 1 + MAX_COUNTER_DIGITS);

/** How much work a challenge asks: `count` sub-challenges of `bits` leading zero bits each. */
export interface PowWork {
  /** Sub-challenges, 1..{@link MAX_SUB_CHALLENGES}. */
  readonly count: number;
  /** Leading zero bits of each, 0..{@link MAX_SUB_BITS}. */
  readonly bits: number;
}

/** Expected SHA-256 attempts an honest solver needs for `work`: `count × 2^bits`. */
export function workHashes(work: PowWork): number {
  return work.count * 2 ** work.bits;
}

/** Whether `work` is a shape tokens can carry. */
export function isValidWork(work: PowWork): boolean {
  return Number.isInteger(work.count) && work.count >= 1 && work.count <= MAX_SUB_CHALLENGES && Number.isInteger(work.bits) && work.bits >= 0 && work.bits <= MAX_SUB_BITS;
}

/**
 * Splits `hashes` expected attempts into sub-challenges: at least {@link MIN_SUB_CHALLENGES} (fewer only
 * when the whole challenge is smaller than that many attempts) and fewer than twice as many, each of
 * `bits` leading zero bits, so the work asked (`count × 2^bits`) is within ~3% of `hashes`. Deterministic:
 * the same `hashes` always gives the same split, so two challenges compare by {@link workHashes}.
 */
export function splitWork(hashes: number): PowWork {
  const h = Math.max(1, Math.min(hashes, MAX_SUB_CHALLENGES * 2 ** MAX_SUB_BITS));
  if (h <= MIN_SUB_CHALLENGES) return { count: Math.ceil(h), bits: 0 };
  const bits = Math.min(MAX_SUB_BITS, Math.floor(Math.log2(h / MIN_SUB_CHALLENGES)));
  const count = Math.min(MAX_SUB_CHALLENGES, Math.max(MIN_SUB_CHALLENGES, Math.round(h / 2 ** bits)));
  return { count, bits };
}

/** The work of a classic single search of `bits` leading zero bits (a rule's `difficulty`), split. */
export function workOfBits(bits: number): PowWork {
  return splitWork(2 ** bits);
}

/** The result of checking a submitted answer. */
export type PowCheck = 'ok' | 'malformed' | 'insufficient';

function writeSeed(seed: string): number {
  const n = seed.length;
  if (n === 0 || n > MAX_SEED_LENGTH) return -1;
  for (let i = 0; i < n; i++) {
    const c = seed.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return -1;
    MESSAGE[i] = c;
  }
  return n;
}

/** Copies the canonical decimal counter `solution[from..to)` after the seed and index; -1 when not canonical. */
function writeCounter(solution: string, from: number, to: number, offset: number): number {
  const d = to - from;
  if (d === 0 || d > MAX_COUNTER_DIGITS) return -1;
  if (d > 1 && solution.charCodeAt(from) === 0x30) return -1;
  for (let i = 0; i < d; i++) {
    const c = solution.charCodeAt(from + i);
    if (c < 0x30 || c > 0x39) return -1;
    MESSAGE[offset + i] = c;
  }
  return d;
}

/**
 * Checks `solution` (the counters as submitted, joined by `.`) against `seed` and `work`. Cost: one
 * SHA-256 block per sub-challenge, and it stops at the first one that fails, so a bogus answer costs
 * one block. `malformed` when the answer does not have exactly `count` canonical counters or the seed is
 * unusable; `insufficient` when a digest has fewer than `bits` leading zero bits.
 */
export function checkPowSolution(seed: string, solution: string, work: PowWork): PowCheck {
  const s = writeSeed(seed);
  if (s < 0 || !isValidWork(work) || solution.length > work.count * (MAX_COUNTER_DIGITS + 1)) return 'malformed';
  let from = 0;
  for (let i = 0; i < work.count; i++) {
    let to = solution.indexOf('.', from);
    if (to < 0) to = solution.length;
    if ((i === work.count - 1) !== (to === solution.length)) return 'malformed';
    MESSAGE[s] = SUB_INDEX.charCodeAt(i);
    const d = writeCounter(solution, from, to, s + 1);
    if (d < 0) return 'malformed';
    if (sha256LeadingZeroBits(MESSAGE, s + 1 + d) < work.bits) return 'insufficient';
    from = to + 1;
  }
  return 'ok';
}

/** Writes `n` in decimal at MESSAGE[offset..] and returns the number of digits. */
function writeDecimal(n: number, offset: number): number {
  let digits = 1;
  for (let m = n; m >= 10; m = Math.floor(m / 10)) digits++;
  for (let i = digits - 1, m = n; i >= 0; i--, m = Math.floor(m / 10)) MESSAGE[offset + i] = 0x30 + (m % 10);
  return digits;
}

/** Options of {@link solvePow}. */
export interface SolveOptions {
  /** Give up after this many attempts in all (bounds the time spent). */
  readonly maxIterations: number;
}

/**
 * The honest solver, for tests, benchmarks and the drill's simulated browsers: solves the sub-challenges
 * in order, counters from 0, until all are solved or `maxIterations` attempts are spent. Returns the
 * answer as submitted (counters joined by `.`) and the attempts used, or undefined.
 */
export function solvePow(seed: string, work: PowWork, options: SolveOptions): { solution: string; iterations: number } | undefined {
  const s = writeSeed(seed);
  if (s < 0) throw new RangeError('pow seed must be 1..40 printable ASCII characters');
  if (!isValidWork(work)) throw new RangeError('pow work out of range');
  const counters: number[] = [];
  let iterations = 0;
  for (let i = 0; i < work.count; i++) {
    MESSAGE[s] = SUB_INDEX.charCodeAt(i);
    for (let counter = 0; ; counter++) {
      if (++iterations > options.maxIterations) return undefined;
      const d = writeDecimal(counter, s + 1);
      if (d > MAX_COUNTER_DIGITS) return undefined;
      if (sha256LeadingZeroBits(MESSAGE, s + 1 + d) >= work.bits) {
        counters.push(counter);
        break;
      }
    }
  }
  return { solution: counters.join('.'), iterations };
}
