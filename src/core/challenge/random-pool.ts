/**
 * A pool of random bytes in front of the system's generator, so each challenge pays a copy of a few bytes
 * instead of a system call. The generator is injected (core is pure): at the edge pass
 * `crypto.randomFillSync`. Bytes are handed out once and never reused.
 */

import type { RandomFill } from './tokens.ts';

/** Wraps `fill` (e.g. `crypto.randomFillSync`) in a pool of `poolBytes` bytes (default 4096). */
export function createRandomPool(fill: (buffer: Uint8Array) => void, poolBytes = 4096): RandomFill {
  if (!(poolBytes >= 64)) throw new RangeError('random pool: poolBytes must be ≥ 64');
  const pool = new Uint8Array(poolBytes);
  let used = poolBytes;
  return (out, offset, length) => {
    if (length > poolBytes) {
      fill(out.subarray(offset, offset + length));
      return;
    }
    if (used + length > poolBytes) {
      fill(pool);
      used = 0;
    }
    out.set(pool.subarray(used, used + length), offset);
    pool.fill(0, used, used + length);
    used += length;
  };
}
