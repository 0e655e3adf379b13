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
 *
 * IPv6 needs one more level: address space is handed out from a few /16s (2001::/16, 2a00::/16, …), so a
 * big IPv6 list crowds under a handful of first-16-bits values and the walk below such a value is as deep
 * as the trie without a table (~15 nodes at 30k prefixes under 2001::/16, each a cache miss). A value
 * under which many prefixes sit gets a second table of the same kind over the next 16 bits (512 KB each;
 * its root slot then points at it), so the walk starts at depth 32, where a prefix list is sparse again.
 * Second tables are chosen when the root table is built; kept exact under mutation the same way (a change
 * at length < 16 refreshes the second tables below it whole, one at length 16..31 the slots below it).
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
 * so a lookup reads one cache line of the table, not two. `next[p]` = −(k + 1) sends the walk to second
 * table `seconds[k]`, laid out the same way over the address's bits 16..31 (its `best` covers every prefix
 * shorter than 32 bits).
 */
export interface RootTable {
  readonly slots: Int32Array;
  readonly seconds: readonly Int32Array[];
  /** Recompute the slots under node `node` of `t` (no-op when its length is 32 or more). */
  touch(t: Int32Array, node: number): void;
}

/**
 * Walk from `root` over the first `depth` bits of the 32-bit word `a` (the address's first word): the
 * first node at depth ≥ `depth` on the path (0 = nothing deeper can match) into `out[at]`, and the value
 * of the longest prefix shorter than `depth` on the way (-1 = none) into `out[at + 1]`.
 */
function walkTo(t: Int32Array, root: number, a: number, depth: number, out: Int32Array, at: number): void {
  let node = root;
  let v = -1;
  for (;;) {
    const b = node * W;
    const len = t[b + LEN];
    if (len >= depth) break;
    if (((a ^ t[b + KEY]) & MASK[len]) !== 0) {
      node = 0;
      break;
    }
    if (t[b + VAL] >= 0) v = t[b + VAL];
    node = t[b + KID + ((a >>> (31 - len)) & 1)];
    if (node === 0) break;
  }
  out[at] = node;
  out[at + 1] = v;
}

/** Prefixes longer than /16 per first-16-bits value under `root` (which values deserve a second table). */
function countBelow16(t: Int32Array, root: number): Uint32Array {
  const counts = new Uint32Array(65536);
  const stack = [root];
  while (stack.length > 0) {
    const b = stack.pop()! * W;
    if (t[b + LEN] > 16 && t[b + VAL] >= 0) counts[t[b + KEY] >>> 16]++;
    if (t[b + KID] !== 0) stack.push(t[b + KID]);
    if (t[b + KID + 1] !== 0) stack.push(t[b + KID + 1]);
  }
  return counts;
}

/**
 * Build the table for the trie rooted at `root` (0 for IPv4, 1 for IPv6) from the current nodes;
 * first-16-bits values with at least `secondMin` (≥ 1) prefixes longer than /16 below them get a second
 * table.
 */
export function createRootTable(t: Int32Array, root: number, secondMin = Infinity): RootTable {
  const slots = new Int32Array(2 * 65536);
  const seconds: Int32Array[] = [];
  /** Second table index by first-16-bits value, −1 for none. */
  const secondOf = new Int32Array(65536).fill(-1);

  function fillSecond(t: Int32Array, p: number, from: number, to: number): void {
    const table = seconds[secondOf[p]];
    for (let q = from; q < to; q++) walkTo(t, root, (p << 16) | q, 32, table, 2 * q);
  }
  function fill(t: Int32Array, from: number, to: number): void {
    for (let p = from; p < to; p++) {
      if (secondOf[p] >= 0) fillSecond(t, p, 0, 65536);
      else walkTo(t, root, p << 16, 16, slots, 2 * p);
    }
  }

  if (secondMin !== Infinity) {
    const counts = countBelow16(t, root);
    for (let p = 0; p < 65536; p++) {
      if (counts[p] < Math.max(1, secondMin)) continue;
      secondOf[p] = seconds.length;
      seconds.push(new Int32Array(2 * 65536));
      slots[2 * p] = -seconds.length;
    }
  }
  fill(t, 0, 65536);
  return {
    slots,
    seconds,
    touch(t: Int32Array, node: number): void {
      const len = t[node * W + LEN];
      const key = t[node * W + KEY] >>> 0;
      if (len < 16) {
        const from = (key >>> 16) & ~((1 << (16 - len)) - 1);
        fill(t, from, from + (1 << (16 - len)));
      } else if (len < 32 && secondOf[key >>> 16] >= 0) {
        const from = (key & 0xffff) & ~((1 << (32 - len)) - 1);
        fillSecond(t, key >>> 16, from, from + (1 << (32 - len)));
      }
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
    let n = rt.slots[2 * p];
    if (n < 0) {
      const second = rt.seconds[-n - 1];
      const q = a0 & 0xffff;
      n = second[2 * q];
      best = second[2 * q + 1];
    } else best = rt.slots[2 * p + 1];
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
