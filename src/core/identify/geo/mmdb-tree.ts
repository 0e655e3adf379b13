/**
 * Walking a MaxMind DB search tree directly on its bytes, without decoding records.
 *
 * The `maxmind` reader spends ~2 µs per lookup (string parsing plus decoding a fresh record object
 * every time). For country data there are only a few hundred distinct records, so we walk the tree
 * ourselves and return the record pointer; the caller decodes each distinct pointer once and caches
 * the result. A table of where the walk stands after the first 16 bits (built at load, 128k node
 * reads) leaves at most 16 node reads for IPv4; no allocation.
 *
 * Format: https://maxmind.github.io/MaxMind-DB/ ("Binary Search Tree Section"). Node `n` holds two
 * records of `recordSize` bits; a record below `nodeCount` is the next node, equal to `nodeCount`
 * means "no data", above it is a pointer into the data section. In an IPv6 tree, IPv4 addresses live
 * under `::/96` (the first 96 bits zero).
 */

/** The metadata fields the walk needs (as in `Reader.metadata`). */
export interface MmdbTreeMeta {
  readonly nodeCount: number;
  readonly recordSize: number;
  readonly ipVersion: number;
}

/** A search tree over a MaxMind DB buffer. Leaf values are opaque, > 0 when data exists. */
export interface MmdbTree {
  /** Record pointer for a uint32 IPv4 address, or 0 when the database has no data for it. */
  leafV4(v4: number): number;
  /** Record pointer for an IPv6 address (four big-endian words), or 0. Always 0 in an IPv4-only tree. */
  leafV6(words: Uint32Array): number;
  /** Bytes of the first-16-bits jump tables (256 KB per family) built on top of the file's bytes. */
  readonly bytes: number;
}

/** Thrown when the bytes cannot hold the tree the metadata describes. */
export class MmdbTreeError extends Error {
  readonly code = 'BULWARK_ERR_GEO_MMDB_TREE';
}

/** Reads record `bit` (0 left, 1 right) of node `node`; checks the record size and that the nodes fit. */
function recordReader(bytes: Uint8Array, meta: MmdbTreeMeta): (node: number, bit: number) => number {
  const { nodeCount, recordSize, ipVersion } = meta;
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) throw new MmdbTreeError(`unsupported record size ${recordSize}`);
  if (ipVersion !== 4 && ipVersion !== 6) throw new MmdbTreeError(`unsupported IP version ${ipVersion}`);
  const nodeBytes = recordSize / 4;
  if (!Number.isInteger(nodeCount) || nodeCount <= 0 || nodeCount * nodeBytes > bytes.length) {
    throw new MmdbTreeError(`search tree of ${nodeCount} nodes does not fit in ${bytes.length} bytes`);
  }
  const b = bytes;
  return function record(node: number, bit: number): number {
    if (recordSize === 24) {
      const o = node * 6 + bit * 3;
      return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
    }
    if (recordSize === 28) {
      const o = node * 7;
      if (bit === 0) return ((b[o + 3] & 0xf0) << 20) | (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
      return ((b[o + 3] & 0x0f) << 24) | (b[o + 4] << 16) | (b[o + 5] << 8) | b[o + 6];
    }
    const o = node * 8 + bit * 4;
    return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
  };
}

/** The node where IPv4 addresses start: the root of an IPv4 tree, `::/96` of an IPv6 tree. */
function v4Root(record: (node: number, bit: number) => number, meta: MmdbTreeMeta): number {
  let node = 0;
  if (meta.ipVersion === 6) for (let i = 0; i < 96 && node < meta.nodeCount; i++) node = record(node, 0);
  return node;
}

/**
 * Wrap a MaxMind DB buffer. Checks that the record size is one of the three defined (24, 28, 32) and
 * that the buffer is long enough for `nodeCount` nodes; throws {@link MmdbTreeError} otherwise.
 */
export function createMmdbTree(bytes: Uint8Array, meta: MmdbTreeMeta): MmdbTree {
  const { nodeCount } = meta;
  const record = recordReader(bytes, meta);

  /** Follow bits `from`..0 of `word` (most significant first) from `node`. */
  function walkBits(node: number, word: number, from: number): number {
    for (let i = from; i >= 0 && node < nodeCount; i--) node = record(node, (word >>> i) & 1);
    return node;
  }

  /** Where the walk stands after the first 16 bits, for every 16-bit prefix (level by level: 128k reads). */
  function jumpTable(start: number): Uint32Array {
    let level = Uint32Array.of(start);
    for (let d = 0; d < 16; d++) {
      const next = new Uint32Array(level.length * 2);
      for (let i = 0; i < level.length; i++) {
        const n = level[i];
        next[2 * i] = n >= nodeCount ? n : record(n, 0);
        next[2 * i + 1] = n >= nodeCount ? n : record(n, 1);
      }
      level = next;
    }
    return level;
  }

  const leaf = (node: number): number => (node > nodeCount ? node : 0);

  const jump4 = jumpTable(v4Root(record, meta));
  const jump6 = meta.ipVersion === 6 ? jumpTable(0) : null;

  return {
    leafV4(v4: number): number {
      return leaf(walkBits(jump4[v4 >>> 16], v4, 15));
    },
    leafV6(w: Uint32Array): number {
      if (jump6 === null) return 0;
      let node = walkBits(jump6[w[0] >>> 16], w[0], 15);
      for (let k = 1; k < 4 && node < nodeCount; k++) node = walkBits(node, w[k], 31);
      return leaf(node);
    },
    bytes: jump4.byteLength + (jump6?.byteLength ?? 0),
  };
}

/** Covering runs of leaves (see ./geo-runs.ts): each run's value is its leaf pointer, 0 where there is no data. */
export interface LeafRuns {
  readonly words: 1 | 4;
  readonly count: number;
  readonly starts: Uint32Array;
  readonly values: Int32Array;
}

/**
 * Every leaf of one family's tree, in address order, as covering runs (adjacent ranges with the same
 * leaf joined). An IPv4 tree has no IPv6 data: one run without data. Visits each node once per path
 * that reaches it (an IPv6 tree may alias its IPv4 subtree under a few prefixes), and refuses a tree
 * that needs more than eight visits per node — a damaged tree whose records point back up would
 * otherwise walk forever — or more than `maxRuns` runs; throws {@link MmdbTreeError}.
 */
export function mmdbLeafRuns(bytes: Uint8Array, meta: MmdbTreeMeta, family: 4 | 6, maxRuns = 8_000_000): LeafRuns {
  const { nodeCount } = meta;
  const record = recordReader(bytes, meta);
  const words = family === 4 ? 1 : 4;
  const bits = family === 4 ? 32 : 128;
  const cur = new Uint32Array(words);
  let starts = new Uint32Array(1024 * words);
  let values = new Int32Array(1024);
  let count = 0;
  let visits = 0;
  const maxVisits = nodeCount * 8 + 1024;
  const emit = (leaf: number): void => {
    if (count > 0 && values[count - 1] === leaf) return;
    if (count >= maxRuns) throw new MmdbTreeError(`more than ${maxRuns} IPv${family} ranges`);
    if (count === values.length) {
      const s = new Uint32Array(starts.length * 2);
      s.set(starts);
      starts = s;
      const v = new Int32Array(values.length * 2);
      v.set(values);
      values = v;
    }
    starts.set(cur, count * words);
    values[count++] = leaf;
  };
  const walk = (node: number, depth: number): void => {
    if (node >= nodeCount) return emit(node > nodeCount ? node : 0);
    if (depth === bits) throw new MmdbTreeError(`IPv${family} search tree deeper than ${bits} bits`);
    if (++visits > maxVisits) throw new MmdbTreeError('search tree loops back on itself');
    const word = depth >>> 5;
    const mask = 1 << (31 - (depth & 31));
    walk(record(node, 0), depth + 1);
    cur[word] |= mask;
    walk(record(node, 1), depth + 1);
    cur[word] &= ~mask;
  };
  if (family === 6 && meta.ipVersion === 4) emit(0);
  else walk(family === 4 ? v4Root(record, meta) : 0, 0);
  return { words, count, starts: starts.slice(0, count * words), values: values.slice(0, count) };
}
