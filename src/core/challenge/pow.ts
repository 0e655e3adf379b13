/**
 * The proof of work: find a `counter` such that SHA-256(seed ‖ decimal(counter)) starts with at least
 * `difficulty` zero bits. The seed is the challenge token's 16-character nonce, so a message is at most
 * 28 ASCII bytes — one SHA-256 block — and the server checks a submission with a single compression.
 * An honest solver needs 2^difficulty attempts on average (the number of attempts is geometric: the
 * median is ~0.69× the mean and 1 in 20 visitors needs ~3× the mean).
 *
 * The counter must be written in canonical decimal (no sign, no leading zeros, at most
 * {@link MAX_COUNTER_DIGITS} digits), so a solution has exactly one spelling.
 */

import { sha256LeadingZeroBits } from './sha256.ts';

/** Counters have at most this many decimal digits (10^12 attempts is far beyond any sane difficulty). */
export const MAX_COUNTER_DIGITS = 12;
/** Seeds are the 16-character token nonce; longer seeds are refused so a check stays one block. */
export const MAX_SEED_LENGTH = 40;

const MESSAGE = new Uint8Array(MAX_SEED_LENGTH + MAX_COUNTER_DIGITS);

/** The result of checking a submitted counter. */
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

/**
 * Checks `solution` (the counter as submitted) against `seed` and `difficulty`. Cost: one SHA-256 block.
 * `malformed` when the counter is not canonical decimal or the seed is unusable; `insufficient` when the
 * digest has fewer than `difficulty` leading zero bits.
 */
export function checkPowSolution(seed: string, solution: string, difficulty: number): PowCheck {
  const s = writeSeed(seed);
  const d = solution.length;
  if (s < 0 || d === 0 || d > MAX_COUNTER_DIGITS) return 'malformed';
  if (d > 1 && solution.charCodeAt(0) === 0x30) return 'malformed';
  for (let i = 0; i < d; i++) {
    const c = solution.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return 'malformed';
    MESSAGE[s + i] = c;
  }
  return sha256LeadingZeroBits(MESSAGE, s + d) >= difficulty ? 'ok' : 'insufficient';
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
  /** Give up after this many attempts (bounds the time spent). */
  readonly maxIterations: number;
  /** First counter tried (default 0). */
  readonly start?: number;
  /** Distance between counters tried (default 1; several solvers use different starts and a common step). */
  readonly step?: number;
}

/**
 * The honest solver, for tests, benchmarks and the drill's simulated browsers: tries counters from
 * `start` by `step` until one satisfies `difficulty` or `maxIterations` attempts are spent.
 * Returns the counter as its canonical decimal string and the attempts used, or undefined.
 */
export function solvePow(seed: string, difficulty: number, options: SolveOptions): { solution: string; iterations: number } | undefined {
  const s = writeSeed(seed);
  if (s < 0) throw new RangeError('pow seed must be 1..40 printable ASCII characters');
  const step = options.step ?? 1;
  let counter = options.start ?? 0;
  for (let i = 1; i <= options.maxIterations; i++, counter += step) {
    const d = writeDecimal(counter, s);
    if (d > MAX_COUNTER_DIGITS) return undefined;
    if (sha256LeadingZeroBits(MESSAGE, s + d) >= difficulty) return { solution: String(counter), iterations: i };
  }
  return undefined;
}
