/**
 * Node layout and lookup walks of the CIDR trie (see ./cidr-trie.ts), and its first-16-bits shortcut.
 *
 * Node layout: 8 ints (32 bytes) per node in one Int32Array — [length, value, kid0, kid1, key0..key3].
 * Keys are stored as int32 bit patterns and compared with `^`.
 *
 * The shortcut, per address family: in a trie of 100k random prefixes a lookup walks ~17 nodes, and almost all of that walk is spent in
 * the dense top levels. So for each of the 65,536 values of an address's first 16 bits we remember
 * where the walk stands once it has consumed them: `next[p]` is the first node of length ≥ 16 on the
 * path (0 = nothing deeper can match) and `best[p]` the value of the longest prefix shorter than 16
 * bits matched on the way (-1 = none). A lookup then starts at `next[p]` and walks ~2 nodes.
 *
 * Kept exact under mutation: a change at a node of length `len` < 16 (its value or a child link)
 * refreshes the 2^(16 − len) slots below it; changes deeper in the trie need nothing. 512 KB per
 * family, allocated only once the family holds enough prefixes to benefit.
 */

/** Node layout shared with the trie: ints per node and field offsets. */
export const W = 8;
export const LEN = 0;
export const VAL = 1;
export const KID = 2;
export const KEY = 4;

/** MASK[l]: first l bits of a 32-bit word set (int32). */
export const MASK = new Int32Array(33);
for (let l = 1; l <= 32; l++) MASK[l] = -1 << (32 - l);

/**
 * A root table for one family: `slots[2p]` is `next[p]`, `slots[2p + 1]` is `best[p]` — side by side,
 * so a lookup reads one cache line of the table, not two.
 */
export interface RootTable {
  readonly slots: Int32Array;
  /** Recompute the slots under node `node` of `t` (no-op when its length is 16 or more). */
  touch(t: Int32Array, node: number): void;
}

/** Build the table for the trie rooted at `root` (0 for IPv4, 1 for IPv6) from the current nodes. */
export function createRootTable(t: Int32Array, root: number): RootTable {
  const slots = new Int32Array(2 * 65536);

  function fill(t: Int32Array, from: number, to: number): void {
    for (let p = from; p < to; p++) {
      const a = p << 16;
      let node = root;
      let v = -1;
      for (;;) {
        const b = node * W;
        const len = t[b + LEN];
        if (len >= 16) break;
        if (((a ^ t[b + KEY]) & MASK[len]) !== 0) {
          node = 0;
          break;
        }
        if (t[b + VAL] >= 0) v = t[b + VAL];
        node = t[b + KID + ((a >>> (31 - len)) & 1)];
        if (node === 0) break;
      }
      slots[2 * p] = node;
      slots[2 * p + 1] = v;
    }
  }

  fill(t, 0, 65536);
  return {
    slots,
    touch(t: Int32Array, node: number): void {
      const len = t[node * W + LEN];
      if (len >= 16) return;
      const from = (t[node * W + KEY] >>> 16) & ~((1 << (16 - len)) - 1);
      fill(t, from, from + (1 << (16 - len)));
    },
  };
}

/** Longest-prefix value for a uint32 IPv4 address in node array `t`, starting from `rt` when present. */
export function walkV4(t: Int32Array, rt: RootTable | null, v4: number): number {
  const a = v4 | 0;
  let b = 0;
  let best = -1;
  if (rt !== null) {
    const p = a >>> 16;
    best = rt.slots[2 * p + 1];
    const n = rt.slots[2 * p];
    if (n === 0) return best;
    b = n * W;
  }
  for (;;) {
    const len = t[b + LEN];
    if (((a ^ t[b + KEY]) & MASK[len]) !== 0) return best;
    const v = t[b + VAL];
    if (v >= 0) best = v;
    if (len === 32) return best;
    const next = t[b + KID + ((a >>> (31 - len)) & 1)];
    if (next === 0) return best;
    b = next * W;
  }
}

/** Longest-prefix value for an IPv6 address (four big-endian words), as {@link walkV4}. */
export function walkV6(t: Int32Array, rt: RootTable | null, w: Uint32Array): number {
  const a0 = w[0] | 0;
  const a1 = w[1] | 0;
  const a2 = w[2] | 0;
  const a3 = w[3] | 0;
  let b = W;
  let best = -1;
  if (rt !== null) {
    const p = a0 >>> 16;
    best = rt.slots[2 * p + 1];
    const n = rt.slots[2 * p];
    if (n === 0) return best;
    b = n * W;
  }
  for (;;) {
    const len = t[b + LEN];
    if (len <= 32) {
      if (((a0 ^ t[b + KEY]) & MASK[len]) !== 0) return best;
    } else if (len <= 64) {
      if (a0 !== t[b + KEY] || ((a1 ^ t[b + KEY + 1]) & MASK[len - 32]) !== 0) return best;
    } else if (len <= 96) {
      if (a0 !== t[b + KEY] || a1 !== t[b + KEY + 1] || ((a2 ^ t[b + KEY + 2]) & MASK[len - 64]) !== 0) return best;
    } else if (a0 !== t[b + KEY] || a1 !== t[b + KEY + 1] || a2 !== t[b + KEY + 2] || ((a3 ^ t[b + KEY + 3]) & MASK[len - 96]) !== 0) {
      return best;
    }
    const v = t[b + VAL];
    if (v >= 0) best = v;
    if (len === 128) return best;
    const word = len < 32 ? a0 : len < 64 ? a1 : len < 96 ? a2 : a3;
    const next = t[b + KID + ((word >>> (31 - (len & 31))) & 1)];
    if (next === 0) return best;
    b = next * W;
  }
}
