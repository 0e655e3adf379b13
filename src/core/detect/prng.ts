/**
 * A small seeded PRNG for tests, benchmarks and drills (core code takes randomness as an argument).
 * sfc32-style 32-bit generator: fast, deterministic per seed, good enough for simulation noise.
 */

/** Returns a function giving uniform floats in [0, 1), deterministic for a given seed. */
export function seededRandom(seed: number): () => number {
  let a = seed | 0, b = 0x9e3779b9, c = 0x243f6a88, d = 0xb7e15162;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A standard normal deviate from a uniform source (Box–Muller). */
export function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Poisson-like count with mean λ (normal approximation above 30, exact inversion below). */
export function poisson(random: () => number, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(random)));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}
