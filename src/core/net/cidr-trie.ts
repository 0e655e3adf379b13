/**
 * Longest-prefix match over IPv4 and IPv6 in a path-compressed binary (PATRICIA) trie stored in typed
 * arrays — no object per node, so 100k prefixes cost a few MB and a lookup walks ~20 array slots.
 *
 * Layout: node `n` has a prefix length `lens[n]`, its key bits `keys[4n..4n+3]` (network order, host
 * bits zero), two children `kids[2n]`, `kids[2n+1]` (0 = none; node ids 0 and 1 are the IPv4 and IPv6
 * roots, which are never anyone's child) and a value `vals[n]` (-1 = no prefix ends here). Internal
 * nodes without a value always have two children, so a trie of N prefixes has at most 2N + 2 nodes.
 * Arrays start small and double up to the cap derived from `maxPrefixes`; removal recycles nodes.
 *
 * Values are small non-negative integers: callers keep entry metadata (source, allow/deny) in a side
 * table and store its index here.
 */
import { parseIpInto } from './ip-parse.ts';
import { checkCidr } from './cidr.ts';
import type { Cidr } from './cidr.ts';
import type { ParsedIp } from './ip.ts';

/** Options of {@link createCidrTrie}. */
export interface CidrTrieOptions {
  /** Hard cap on stored prefixes; inserts beyond it return false. Default 1,000,000 (≈ 60 MB worst case). */
  readonly maxPrefixes?: number;
  /** Nodes allocated up front (grown by doubling). Default 1024. */
  readonly initialNodes?: number;
}

/** Fill level of a trie, for metrics: a full trie silently stops accepting prefixes. */
export interface CidrTrieStats {
  readonly prefixes: number;
  readonly maxPrefixes: number;
  readonly nodes: number;
  readonly capacityNodes: number;
  readonly maxNodes: number;
  readonly bytes: number;
}

/** A longest-prefix-match table from CIDR prefixes to small integer values. */
export interface CidrTrie {
  /** Store `value` (integer ≥ 0) for the prefix, replacing any previous value. False when the trie is full. */
  insert(cidr: string | Cidr, value: number): boolean;
  /** Value stored for exactly this prefix, or -1. */
  get(cidr: string | Cidr): number;
  /** Remove exactly this prefix; true when it was present. */
  remove(cidr: string | Cidr): boolean;
  /** Value of the longest stored prefix containing the address, or -1 (also for non-addresses). */
  lookup(address: string | ParsedIp): number;
  /** {@link lookup} for a uint32 IPv4 address. */
  lookupV4(v4: number): number;
  /** {@link lookup} for an IPv6 address as four big-endian uint32 words. */
  lookupV6(words: Uint32Array): number;
  /** Number of stored prefixes. */
  readonly size: number;
  stats(): CidrTrieStats;
}

/** MASK[l]: first l bits of a 32-bit word set (int32). */
const MASK = new Int32Array(33);
for (let l = 1; l <= 32; l++) MASK[l] = -1 << (32 - l);

function toCidr(cidr: string | Cidr): Cidr {
  if (typeof cidr !== 'string') return cidr;
  const c = checkCidr(cidr, true);
  if (typeof c === 'string') {
    throw Object.assign(new Error(`invalid CIDR ${JSON.stringify(cidr)}: ${c}`), { code: 'BULWARK_ERR_NET_INVALID_CIDR' });
  }
  return c;
}

/**
 * Create an empty trie. Lookups are allocation-free for `ParsedIp` and string input alike; inserting
 * 100k prefixes takes a few tens of milliseconds.
 */
export function createCidrTrie(options: CidrTrieOptions = {}): CidrTrie {
  const maxPrefixes = options.maxPrefixes ?? 1_000_000;
  const maxNodes = 2 * maxPrefixes + 2;
  let cap = Math.max(4, Math.min(options.initialNodes ?? 1024, maxNodes));
  let lens = new Uint8Array(cap);
  let keys = new Uint32Array(cap * 4);
  let kids = new Int32Array(cap * 2);
  let vals = new Int32Array(cap).fill(-1);
  let used = 2; // roots
  let count = 0;
  const free: number[] = [];
  const pw = new Uint32Array(4); // prefix words of the cidr being inserted/removed
  const addr = new Uint32Array(4);

  function grow(): boolean {
    if (cap >= maxNodes) return false;
    const next = Math.min(cap * 2, maxNodes);
    const l = new Uint8Array(next);
    l.set(lens);
    const k = new Uint32Array(next * 4);
    k.set(keys);
    const c = new Int32Array(next * 2);
    c.set(kids);
    const v = new Int32Array(next).fill(-1);
    v.set(vals);
    lens = l;
    keys = k;
    kids = c;
    vals = v;
    cap = next;
    return true;
  }

  /** Can two nodes be allocated (a split needs two)? */
  function reserve(n: number): boolean {
    while (free.length + (cap - used) < n) if (!grow()) return false;
    return true;
  }

  function alloc(len: number, value: number): number {
    const n = free.length > 0 ? free.pop()! : used++;
    lens[n] = len;
    const b = n << 2;
    for (let w = 0; w < 4; w++) keys[b + w] = (pw[w] & MASK[Math.max(0, Math.min(32, len - w * 32))]) >>> 0;
    kids[2 * n] = 0;
    kids[2 * n + 1] = 0;
    vals[n] = value;
    return n;
  }

  function release(n: number): void {
    vals[n] = -1;
    free.push(n);
  }

  /** Load a prefix into `pw`; returns the IPv4/IPv6 root and its bit count. */
  function load(c: Cidr): number {
    if (c.family === 4) {
      pw[0] = c.v4;
      pw[1] = pw[2] = pw[3] = 0;
      return 0;
    }
    pw.set(c.v6);
    return 1;
  }

  /** Common prefix length of node `n`'s key and `pw`, capped at `limit`. */
  function common(n: number, limit: number): number {
    const b = n << 2;
    for (let w = 0; w * 32 < limit; w++) {
      const x = (keys[b + w] ^ pw[w]) >>> 0;
      if (x !== 0) return Math.min(limit, w * 32 + Math.clz32(x));
    }
    return limit;
  }

  const bitOf = (words: Uint32Array, off: number, i: number): number => (words[off + (i >>> 5)] >>> (31 - (i & 31))) & 1;

  function insert(cidrIn: string | Cidr, value: number): boolean {
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
      throw Object.assign(new Error(`trie value must be an integer ≥ 0, got ${value}`), { code: 'BULWARK_ERR_NET_TRIE_VALUE' });
    }
    const c = toCidr(cidrIn);
    const bits = c.bits;
    let node = load(c);
    let slot = -1; // index in `kids` that points at `node`
    for (;;) {
      const len = lens[node];
      const cp = common(node, Math.min(len, bits));
      if (cp < len) {
        // The new prefix diverges inside this node's edge: put a node at depth cp above it.
        if (count >= maxPrefixes || !reserve(2)) return false;
        const nodeBit = bitOf(keys, node << 2, cp);
        let top: number;
        if (cp === bits) {
          top = alloc(bits, value);
        } else {
          top = alloc(cp, -1);
          kids[2 * top + (nodeBit ^ 1)] = alloc(bits, value);
        }
        kids[2 * top + nodeBit] = node;
        kids[slot] = top;
        count++;
        return true;
      }
      if (len === bits) {
        if (vals[node] < 0) {
          if (count >= maxPrefixes) return false;
          count++;
        }
        vals[node] = value;
        return true;
      }
      const s = 2 * node + bitOf(pw, 0, len);
      if (kids[s] === 0) {
        if (count >= maxPrefixes || !reserve(1)) return false;
        kids[s] = alloc(bits, value);
        count++;
        return true;
      }
      slot = s;
      node = kids[s];
    }
  }

  /** Find the node holding exactly `c`; fills `path` with [grandSlot, parentSlot]. -1 when absent. */
  function find(c: Cidr, path: Int32Array): number {
    let node = load(c);
    path[0] = path[1] = -1;
    for (;;) {
      const len = lens[node];
      if (len > c.bits || common(node, len) < len) return -1;
      if (len === c.bits) return vals[node] >= 0 ? node : -1;
      const s = 2 * node + bitOf(pw, 0, len);
      if (kids[s] === 0) return -1;
      path[0] = path[1];
      path[1] = s;
      node = kids[s];
    }
  }

  const path = new Int32Array(2);

  function get(cidr: string | Cidr): number {
    const n = find(toCidr(cidr), path);
    return n < 0 ? -1 : vals[n];
  }

  function remove(cidr: string | Cidr): boolean {
    const n = find(toCidr(cidr), path);
    if (n < 0) return false;
    vals[n] = -1;
    count--;
    if (n < 2) return true; // a root (/0) stays
    const grandSlot = path[0];
    const parentSlot = path[1];
    const k0 = kids[2 * n];
    const k1 = kids[2 * n + 1];
    if (k0 !== 0 && k1 !== 0) return true; // still a branch point
    kids[parentSlot] = k0 !== 0 ? k0 : k1; // splice out, or unlink a leaf
    release(n);
    const parent = parentSlot >>> 1;
    if (k0 === 0 && k1 === 0 && parent >= 2 && vals[parent] < 0 && grandSlot >= 0) {
      // The parent was a branch point with no value and now has a single child: splice it out too.
      kids[grandSlot] = kids[2 * parent] !== 0 ? kids[2 * parent] : kids[2 * parent + 1];
      release(parent);
    }
    return true;
  }

  function lookupV4(v4: number): number {
    let node = 0;
    let best = -1;
    for (;;) {
      const len = lens[node];
      if (((v4 ^ keys[node << 2]) & MASK[len]) !== 0) return best;
      const v = vals[node];
      if (v >= 0) best = v;
      if (len === 32) return best;
      node = kids[2 * node + ((v4 >>> (31 - len)) & 1)];
      if (node === 0) return best;
    }
  }

  function lookupV6(a: Uint32Array): number {
    let node = 1;
    let best = -1;
    for (;;) {
      const len = lens[node];
      const b = node << 2;
      if (len <= 32) {
        if (((a[0] ^ keys[b]) & MASK[len]) !== 0) return best;
      } else if (len <= 64) {
        if (a[0] !== keys[b] || ((a[1] ^ keys[b + 1]) & MASK[len - 32]) !== 0) return best;
      } else if (len <= 96) {
        if (a[0] !== keys[b] || a[1] !== keys[b + 1] || ((a[2] ^ keys[b + 2]) & MASK[len - 64]) !== 0) return best;
      } else if (a[0] !== keys[b] || a[1] !== keys[b + 1] || a[2] !== keys[b + 2] || ((a[3] ^ keys[b + 3]) & MASK[len - 96]) !== 0) {
        return best;
      }
      const v = vals[node];
      if (v >= 0) best = v;
      if (len === 128) return best;
      node = kids[2 * node + ((a[len >>> 5] >>> (31 - (len & 31))) & 1)];
      if (node === 0) return best;
    }
  }

  function lookup(address: string | ParsedIp): number {
    if (typeof address === 'string') {
      const fam = parseIpInto(address, addr);
      return fam === 4 ? lookupV4(addr[0]) : fam === 6 ? lookupV6(addr) : -1;
    }
    return address.family === 4 ? lookupV4(address.v4) : lookupV6(address.v6);
  }

  function stats(): CidrTrieStats {
    return {
      prefixes: count,
      maxPrefixes,
      nodes: used - free.length,
      capacityNodes: cap,
      maxNodes,
      bytes: lens.byteLength + keys.byteLength + kids.byteLength + vals.byteLength + free.length * 8,
    };
  }

  return {
    insert,
    get,
    remove,
    lookup,
    lookupV4,
    lookupV6,
    get size() {
      return count;
    },
    stats,
  };
}
