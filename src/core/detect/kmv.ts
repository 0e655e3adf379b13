/**
 * A bottom-k ("k minimum values") sketch of a set of keys: the k smallest 32-bit hashes seen. Two
 * sketches estimate the Jaccard similarity of the full sets they summarise — here, the /24 and /64
 * prefixes behind two incidents — however many thousands of sources there were, in k numbers each.
 * That is what tells "the same botnet again" from "a different one copying it" when no single source is
 * a heavy hitter.
 *
 * Pure and bounded: `add` is O(1) when the hash is above the current k-th smallest (the common case),
 * O(k) otherwise.
 */

export interface Kmv {
  /** Adds a key's 32-bit hash (the caller hashes, with a per-process seed). */
  add(hash: number): void;
  /** The k smallest hashes, ascending (a copy). */
  values(): number[];
  reset(): void;
  readonly size: number;
}

export const DEFAULT_KMV_K = 256;

export function createKmv(k = DEFAULT_KMV_K, initial: readonly number[] = []): Kmv {
  let sorted: number[] = [...new Set(initial.map((h) => h >>> 0))].sort((a, b) => a - b).slice(0, k);
  return {
    add(hash) {
      const h = hash >>> 0;
      if (sorted.length === k && h >= sorted[k - 1]!) return;
      // Binary search for the insertion point; ignore duplicates.
      let lo = 0;
      let hi = sorted.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (sorted[mid]! < h) lo = mid + 1;
        else hi = mid;
      }
      if (sorted[lo] === h) return;
      sorted.splice(lo, 0, h);
      if (sorted.length > k) sorted.pop();
    },
    values: () => sorted.slice(),
    reset() {
      sorted = [];
    },
    get size() {
      return sorted.length;
    },
  };
}

/** Bottom-k of the union of two sketches (merging the sketch of an incident resumed after a restart). */
export function mergeKmv(a: readonly number[], b: readonly number[], k = DEFAULT_KMV_K): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y).slice(0, k);
}

/**
 * Estimated Jaccard similarity |A∩B| / |A∪B| of the sets behind two sketches: among the k smallest
 * hashes of the union, the share present in both. 0 when either is empty.
 */
export function kmvJaccard(a: readonly number[], b: readonly number[], k = DEFAULT_KMV_K): number {
  if (a.length === 0 || b.length === 0) return 0;
  const inA = new Set(a);
  const inB = new Set(b);
  const union = mergeKmv(a, b, Math.min(k, Math.max(a.length, b.length)));
  let both = 0;
  for (const h of union) if (inA.has(h) && inB.has(h)) both++;
  return both / union.length;
}
