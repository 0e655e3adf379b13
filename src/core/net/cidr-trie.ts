/**
 * Longest-prefix match over IPv4 and IPv6 in a path-compressed binary (PATRICIA) trie stored in typed
 * arrays — no object per node, so 100k prefixes cost a few MB. Once a family holds 1024 prefixes, a
 * table indexed by the first 16 address bits (./cidr-trie-layout.ts, built by the first lookup) skips
 * the dense top of the trie, so a lookup at 100k prefixes walks ~2–3 nodes instead of ~17 (IPv6 values
 * crowded with prefixes get a second table over the next 16 bits).
 *
 * Layout: one Int32Array, 8 ints (32 bytes) per node so a step of the walk touches one cache line:
 * prefix length, value (-1 = no prefix ends here), two children (0 = none; node ids 0 and 1 are the
 * IPv4 and IPv6 roots, which are never anyone's child) and the key bits (network order, host bits
 * zero). Internal nodes without a value always have two children, so a trie of N prefixes has at most
 * 2N + 2 nodes. The array starts small and doubles up to the cap derived from `maxPrefixes`; removal
 * recycles nodes.
 *
 * Values are small non-negative integers: callers keep entry metadata (source, allow/deny) in a side
 * table and store its index here.
 */
import { parseIpInto } from './ip-parse.ts';
import { checkCidr } from './cidr.ts';
import type { Cidr } from './cidr.ts';
import type { ParsedIp } from './ip.ts';
import { createRootTable, KEY, KID, LEN, MASK, VAL, W, walkV4, walkV6 } from './cidr-trie-layout.ts';
import type { RootTable } from './cidr-trie-layout.ts';

/** Options of {@link createCidrTrie}. */
export interface CidrTrieOptions {
  /** Hard cap on stored prefixes; inserts beyond it return false (no eviction). Default 1,000,000 (≤ 65 MB). */
  readonly maxPrefixes?: number;
  /** Nodes allocated up front (grown by doubling). Default 1024. */
  readonly initialNodes?: number;
  /** Prefixes of one family before its 512 KB first-16-bits table is built (default 1024; Infinity = never). */
  readonly rootTableMin?: number;
  /**
   * IPv6 prefixes longer than /16 under one first-16-bits value before that value gets a 512 KB table of
   * the next 16 bits (./cidr-trie-layout.ts; chosen when the root table is built; default 1024,
   * at least 1; Infinity = never).
   */
  readonly secondTableMin?: number;
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


function toCidr(cidr: string | Cidr): Cidr {
  if (typeof cidr !== 'string') return cidr;
  const c = checkCidr(cidr, true);
  if (typeof c === 'string') {
    throw Object.assign(new Error(`invalid CIDR ${JSON.stringify(cidr)}: ${c}`), { code: 'BULWARK_ERR_NET_INVALID_CIDR' });
  }
  return c;
}

/** Prefixes a family needs before it gets a first-16-bits root table (see ./cidr-trie-layout.ts). */
const ROOT_TABLE_MIN = 1024;

/**
 * Create an empty trie. Lookups are allocation-free for `ParsedIp` and string input alike; inserting
 * 100k prefixes takes tens of milliseconds.
 */
export function createCidrTrie(options: CidrTrieOptions = {}): CidrTrie {
  const maxPrefixes = options.maxPrefixes ?? 1_000_000;
  const maxNodes = 2 * maxPrefixes + 2;
  const rootTableMin = options.rootTableMin ?? ROOT_TABLE_MIN;
  const secondTableMin = options.secondTableMin ?? ROOT_TABLE_MIN;
  let cap = Math.max(4, Math.min(options.initialNodes ?? 1024, maxNodes));
  let t = new Int32Array(cap * W); // keys are stored as int32 bit patterns and compared with `^`
  t[VAL] = t[W + VAL] = -1; // roots: node 0 (IPv4) and node 1 (IPv6), length 0, no value
  let used = 2;
  let count = 0;
  const familyCount = [0, 0]; // prefixes per root: IPv4, IPv6
  const roots: Array<RootTable | null> = [null, null];
  const free: number[] = [];
  const pw = new Uint32Array(4); // prefix words of the cidr being inserted/removed
  const addr = new Uint32Array(4);

  function grow(): boolean {
    if (cap >= maxNodes) return false;
    cap = Math.min(cap * 2, maxNodes);
    const next = new Int32Array(cap * W);
    next.set(t);
    t = next;
    return true;
  }

  /** Can `n` nodes be allocated (a split needs two)? */
  function reserve(n: number): boolean {
    while (free.length + (cap - used) < n) if (!grow()) return false;
    return true;
  }

  function alloc(len: number, value: number): number {
    const n = free.length > 0 ? free.pop()! : used++;
    const b = n * W;
    t[b + LEN] = len;
    t[b + VAL] = value;
    t[b + KID] = 0;
    t[b + KID + 1] = 0;
    for (let w = 0; w < 4; w++) t[b + KEY + w] = pw[w] & MASK[Math.max(0, Math.min(32, len - w * 32))];
    return n;
  }

  /** Account for a prefix added (+1) or removed (-1) under `root`. */
  function counted(root: number, delta: number): void {
    count += delta;
    familyCount[root] += delta;
  }

  /**
   * The root table of a family, built by the first lookup once the family is big enough — not while
   * a list is being loaded, where keeping it exact insert after insert would cost more than building
   * it once. Once built it is kept exact by `touched`.
   */
  function rootTable(root: number): RootTable | null {
    const rt = roots[root];
    if (rt !== null || familyCount[root] < rootTableMin) return rt;
    return (roots[root] = createRootTable(t, root, root === 1 ? secondTableMin : Infinity));
  }

  /** Node `n` under `root` changed (value or child link): keep the root table exact. */
  function touched(root: number, n: number): void {
    roots[root]?.touch(t, n);
  }

  function release(n: number): void {
    t.fill(0, n * W, n * W + W); // cleared, so a stale reference could not reach live nodes
    t[n * W + VAL] = -1;
    free.push(n);
  }

  /** Load a prefix into `pw`; returns the IPv4/IPv6 root. */
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
    const b = n * W + KEY;
    for (let w = 0; w * 32 < limit; w++) {
      const x = t[b + w] ^ pw[w];
      if (x !== 0) return Math.min(limit, w * 32 + Math.clz32(x));
    }
    return limit;
  }

  /** Bit `i` (0 = most significant) of the node's key. */
  const keyBit = (n: number, i: number): number => (t[n * W + KEY + (i >>> 5)] >>> (31 - (i & 31))) & 1;
  const pwBit = (i: number): number => (pw[i >>> 5] >>> (31 - (i & 31))) & 1;

  function insert(cidrIn: string | Cidr, value: number): boolean {
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
      throw Object.assign(new Error(`trie value must be an integer ≥ 0, got ${value}`), { code: 'BULWARK_ERR_NET_TRIE_VALUE' });
    }
    const c = toCidr(cidrIn);
    const bits = c.bits;
    const root = load(c);
    let node = root;
    let slot = -1; // index in `t` of the kid pointer that points at `node`
    for (;;) {
      const len = t[node * W + LEN];
      const cp = common(node, Math.min(len, bits));
      if (cp < len) {
        // The new prefix diverges inside this node's edge: put a node at depth cp above it.
        if (count >= maxPrefixes || !reserve(2)) return false;
        const nodeBit = keyBit(node, cp);
        let top: number;
        if (cp === bits) {
          top = alloc(bits, value);
        } else {
          top = alloc(cp, -1);
          t[top * W + KID + (nodeBit ^ 1)] = alloc(bits, value);
        }
        t[top * W + KID + nodeBit] = node;
        t[slot] = top;
        touched(root, (slot / W) | 0);
        counted(root, 1);
        return true;
      }
      if (len === bits) {
        const fresh = t[node * W + VAL] < 0;
        if (fresh && count >= maxPrefixes) return false;
        t[node * W + VAL] = value;
        touched(root, node);
        if (fresh) counted(root, 1);
        return true;
      }
      const s = node * W + KID + pwBit(len);
      if (t[s] === 0) {
        if (count >= maxPrefixes || !reserve(1)) return false;
        const leaf = alloc(bits, value);
        t[s] = leaf; // after alloc: `t` may have grown
        touched(root, node);
        counted(root, 1);
        return true;
      }
      slot = s;
      node = t[s];
    }
  }

  /** Find the node holding exactly `c`; fills `path` with [grandSlot, parentSlot]. -1 when absent. */
  function find(c: Cidr, path: Int32Array): number {
    let node = load(c);
    path[0] = path[1] = -1;
    for (;;) {
      const len = t[node * W + LEN];
      if (len > c.bits || common(node, len) < len) return -1;
      if (len === c.bits) return t[node * W + VAL] >= 0 ? node : -1;
      const s = node * W + KID + pwBit(len);
      if (t[s] === 0) return -1;
      path[0] = path[1];
      path[1] = s;
      node = t[s];
    }
  }

  const path = new Int32Array(2);

  function get(cidr: string | Cidr): number {
    const n = find(toCidr(cidr), path);
    return n < 0 ? -1 : t[n * W + VAL];
  }

  function remove(cidr: string | Cidr): boolean {
    const c = toCidr(cidr);
    const n = find(c, path);
    if (n < 0) return false;
    const root = c.family === 4 ? 0 : 1;
    t[n * W + VAL] = -1;
    touched(root, n);
    counted(root, -1);
    if (n < 2) return true; // a root (/0) stays
    const grandSlot = path[0];
    const parentSlot = path[1];
    const k0 = t[n * W + KID];
    const k1 = t[n * W + KID + 1];
    if (k0 !== 0 && k1 !== 0) return true; // still a branch point
    t[parentSlot] = k0 !== 0 ? k0 : k1; // splice out, or unlink a leaf
    release(n);
    const parent = (parentSlot / W) | 0;
    if (k0 === 0 && k1 === 0 && parent >= 2 && t[parent * W + VAL] < 0 && grandSlot >= 0) {
      // The parent was a branch point with no value and now has a single child: splice it out too.
      const pk = parent * W + KID;
      t[grandSlot] = t[pk] !== 0 ? t[pk] : t[pk + 1];
      release(parent);
      touched(root, (grandSlot / W) | 0);
    } else {
      touched(root, parent);
    }
    return true;
  }

  // A family without prefixes answers at once (a rule's IPv4-only CIDR list, asked about IPv6 clients).
  const lookupV4 = (v4: number): number => (familyCount[0] === 0 ? -1 : walkV4(t, roots[0] ?? rootTable(0), v4));
  const lookupV6 = (w: Uint32Array): number => (familyCount[1] === 0 ? -1 : walkV6(t, roots[1] ?? rootTable(1), w));

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
      bytes: t.byteLength + free.length * 8 + roots.reduce((sum, r) => sum + (r ? r.slots.byteLength + r.seconds.length * r.slots.byteLength : 0), 0),
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
