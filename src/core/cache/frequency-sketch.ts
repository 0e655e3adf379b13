/**
 * A count-min sketch of how often each cache key was asked for, in fixed memory whatever the number of
 * keys (TinyLFU, Einziger et al. 2015; Caffeine's `FrequencySketch`). The store uses it as its admission
 * doorkeeper: a key is stored only after N uses, and only if it is asked for at least as often as the
 * entry it would evict — so a flood of one-off random URLs cannot push out the popular pages.
 *
 * Four rows of saturating 8-bit counters; every `sampleSize` increments all counters are halved
 * ("aging"), so the sketch reflects recent popularity and collisions cannot pile up forever.
 */

/** Options for {@link createFrequencySketch}. */
export interface FrequencySketchOptions {
  /** Counters per row, rounded up to a power of two (default 16 384: 64 KiB in all). */
  readonly width?: number;
  /** Increments between two halvings (default 10 × width). */
  readonly sampleSize?: number;
}

/** A fixed-size frequency estimator; see the module comment. */
export interface FrequencySketch {
  /** Counts one use of the key whose hash is `hash` (from {@link hashKey}). */
  increment(hash: number): void;
  /** Estimated uses since aging began to forget (never an underestimate, before halving). */
  estimate(hash: number): number;
  /** Counters in use, halvings done: the sketch's fill level. */
  stats(): { readonly width: number; readonly increments: number; readonly halvings: number };
}

const ROWS = 4;

/** Creates a sketch; see {@link FrequencySketchOptions} for the defaults. */
export function createFrequencySketch(options: FrequencySketchOptions = {}): FrequencySketch {
  let width = 1;
  while (width < (options.width ?? 16_384)) width <<= 1;
  const mask = width - 1;
  const sampleSize = options.sampleSize ?? width * 10;
  const table = new Uint8Array(width * ROWS);
  let sinceHalving = 0;
  let increments = 0;
  let halvings = 0;

  const slots = new Int32Array(ROWS);
  /** Fills `slots` with the key's counter in each row (double hashing from one 32-bit hash). */
  const locate = (hash: number): void => {
    const h2 = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) | 1;
    for (let r = 0; r < ROWS; r++) slots[r] = r * width + ((hash + Math.imul(r, h2)) & mask);
  };
  const minimum = (): number => {
    let min = 255;
    for (let r = 0; r < ROWS; r++) if (table[slots[r]] < min) min = table[slots[r]];
    return min;
  };

  const halve = (): void => {
    for (let i = 0; i < table.length; i++) table[i] >>>= 1;
    sinceHalving = 0;
    halvings++;
  };

  return {
    increment(hash) {
      locate(hash);
      const min = minimum();
      if (min === 255) return;
      // Conservative update: only the counters at the minimum grow (less overestimation).
      for (let r = 0; r < ROWS; r++) if (table[slots[r]] === min) table[slots[r]] = min + 1;
      increments++;
      if (++sinceHalving >= sampleSize) halve();
    },
    estimate(hash) {
      locate(hash);
      return minimum();
    },
    stats: () => ({ width, increments, halvings }),
  };
}

/**
 * 32-bit FNV-1a of a string's UTF-16 code units, started from `seed` (default: the FNV offset basis).
 * Fast, not cryptographic: pass a random per-process seed so that colliding keys cannot be prepared
 * offline to inherit a popular page's count.
 */
export function hashKey(key: string, seed = 0x811c9dc5): number {
  let h = seed | 0;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
