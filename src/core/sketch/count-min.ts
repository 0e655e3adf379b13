/**
 * Count-min sketch on typed arrays (Cormode & Muthukrishnan 2005), over the seeded 64-bit string hash
 * of hash.ts.
 *
 * A sketch is `depth` rows of `width` cells; a key touches one cell per row and its estimate is the
 * minimum of those cells. Estimates never undercount (for `add`) and never fall below the largest value
 * raised for the key (for `raise`), whatever the number of distinct keys: memory is fixed at creation.
 * Used for rate-limit fallback state (maxima of GCRA times, see ratelimit/limiter-table.ts), the
 * detector's heavy hitters and the cache admission filter (counts with periodic halving, as TinyLFU).
 *
 * Hashing is seeded per process so that an attacker cannot choose keys that pile into the same cells.
 */
import { BulwarkError } from '../errors.ts';
import { fmix32, hashString64 } from './hash.ts';

const TWO_32 = 4294967296;

/** Cell type of a sketch: compact saturating counters, or doubles (for times and fractional counts). */
export type SketchCells = 'uint32' | 'float64';

/** Options of {@link createCountMinSketch}. */
export interface CountMinOptions {
  /** Cells per row, rounded up to a power of two (min 16). Error bound ≈ 2.7 × total / width. */
  readonly width: number;
  /** Rows (independent hash choices), 1..16. Default 4: failure probability ≈ e^-depth. */
  readonly depth?: number;
  /** Per-process secret seed, integer in [0, 2^53). Different sketches should get different seeds. */
  readonly seed: number;
  /** Cell type. Default `'uint32'` (saturates at 2^32 − 1). Use `'float64'` for times (see `raise`). */
  readonly cells?: SketchCells;
  /** Conservative update for `add` (raise only the cells at the minimum). Default true: less overcount. */
  readonly conservative?: boolean;
  /** Halve every cell after this many added units (aging for sliding windows, as TinyLFU). 0 = never (default). */
  readonly halveEvery?: number;
}

/** Fill and cost figures of a sketch, for metrics. */
export interface CountMinStats {
  readonly width: number;
  readonly depth: number;
  readonly bytes: number;
  /** Units added since the last halving or reset. */
  readonly added: number;
  /** Halvings done so far (manual and automatic). */
  readonly halvings: number;
}

/**
 * A count-min sketch. The `*Hashed` variants take a key already hashed with {@link hashString64}
 * (lanes `a`, `b`) so that a caller hashing a key once can use it for a table and a sketch alike.
 */
export interface CountMinSketch {
  readonly width: number;
  readonly depth: number;
  /** Bytes held by the cells (allocated once). */
  readonly bytes: number;
  /** Add `n` (default 1, ≥ 0) to the key's count; returns the new estimate. */
  add(key: string, n?: number): number;
  /** Estimated count (or raised value) of the key: never below the truth, 0 for an untouched sketch. */
  estimate(key: string): number;
  /** Make every cell of the key at least `value` (max-sketch): the estimate becomes ≥ `value`. */
  raise(key: string, value: number): number;
  addHashed(a: number, b: number, n?: number): number;
  estimateHashed(a: number, b: number): number;
  raiseHashed(a: number, b: number, value: number): number;
  /** Divide every cell by two (floor for uint32): ages counts so recent traffic dominates. */
  halve(): void;
  /** Zero every cell. */
  reset(): void;
  stats(): CountMinStats;
}

function sketchError(message: string): BulwarkError {
  return new BulwarkError('BULWARK_ERR_SKETCH_OPTIONS', message, { source: 'config' });
}

function nextPow2(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/**
 * Create a count-min sketch whose memory is fixed at creation: `depth × width` cells of 4 (uint32) or
 * 8 (float64) bytes. Throws `BULWARK_ERR_SKETCH_OPTIONS` for a width above 2^28 or a depth outside 1..16.
 */
export function createCountMinSketch(options: CountMinOptions): CountMinSketch {
  const depth = options.depth ?? 4;
  if (!Number.isInteger(depth) || depth < 1 || depth > 16) throw sketchError(`depth must be 1..16, got ${depth}`);
  if (!(options.width >= 1 && options.width <= 2 ** 28)) throw sketchError(`width must be 1..2^28, got ${options.width}`);
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) throw sketchError('seed must be a safe integer ≥ 0');
  const width = nextPow2(options.width);
  const mask = width - 1;
  const float = (options.cells ?? 'uint32') === 'float64';
  const cells = float ? new Float64Array(width * depth) : new Uint32Array(width * depth);
  const conservative = options.conservative ?? true;
  const halveEvery = options.halveEvery ?? 0;
  const seedA = fmix32((options.seed >>> 0) ^ 0x5bd1e995);
  const seedB = fmix32((Math.floor(options.seed / TWO_32) >>> 0) ^ 0x27d4eb2f);
  const idx = new Int32Array(depth);
  const scratch = new Uint32Array(2);
  let added = 0;
  let halvings = 0;

  /** Kirsch–Mitzenmacher double hashing over re-mixed lanes: row r uses cell (x + r·y) mod width. */
  function locate(a: number, b: number): void {
    const x = fmix32(a ^ seedA);
    const y = fmix32(b ^ seedB) | 1;
    for (let r = 0; r < depth; r++) idx[r] = r * width + ((x + Math.imul(r, y)) & mask);
  }
  function minAt(): number {
    let m = cells[idx[0]];
    for (let r = 1; r < depth; r++) if (cells[idx[r]] < m) m = cells[idx[r]];
    return m;
  }
  function clampCell(v: number): number {
    return float ? v : Math.min(v, 0xffffffff);
  }

  function addHashed(a: number, b: number, n = 1): number {
    if (!(n >= 0)) throw sketchError(`add needs n ≥ 0, got ${n}`);
    locate(a, b);
    let est: number;
    if (conservative) {
      est = clampCell(minAt() + n);
      for (let r = 0; r < depth; r++) if (cells[idx[r]] < est) cells[idx[r]] = est;
    } else {
      for (let r = 0; r < depth; r++) cells[idx[r]] = clampCell(cells[idx[r]] + n);
      est = minAt();
    }
    added += n;
    if (halveEvery > 0 && added >= halveEvery) halve();
    return est;
  }
  function estimateHashed(a: number, b: number): number {
    locate(a, b);
    return minAt();
  }
  function raiseHashed(a: number, b: number, value: number): number {
    locate(a, b);
    const v = clampCell(value);
    for (let r = 0; r < depth; r++) if (cells[idx[r]] < v) cells[idx[r]] = v;
    return minAt();
  }
  function halve(): void {
    if (float) for (let i = 0; i < cells.length; i++) cells[i] *= 0.5;
    else for (let i = 0; i < cells.length; i++) cells[i] >>>= 1;
    added = 0;
    halvings++;
  }
  function withKey<T>(key: string, f: (a: number, b: number) => T): T {
    hashString64(key, options.seed, scratch);
    return f(scratch[0], scratch[1]);
  }

  return {
    width,
    depth,
    bytes: cells.byteLength,
    add: (key, n = 1) => withKey(key, (a, b) => addHashed(a, b, n)),
    estimate: (key) => withKey(key, estimateHashed),
    raise: (key, value) => withKey(key, (a, b) => raiseHashed(a, b, value)),
    addHashed,
    estimateHashed,
    raiseHashed,
    halve,
    reset() {
      cells.fill(0);
      added = 0;
    },
    stats: () => ({ width, depth, bytes: cells.byteLength, added, halvings }),
  };
}
