/**
 * Walking a MaxMind DB search tree directly on its bytes, without decoding records.
 *
 * The `maxmind` reader spends ~2 µs per lookup (string parsing plus decoding a fresh record object
 * every time). For country data there are only a few hundred distinct records, so we walk the tree
 * ourselves (at most 32 node reads for IPv4, 128 for IPv6, no allocation) and return the record
 * pointer; the caller decodes each distinct pointer once and caches the result.
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
}

/** Thrown when the bytes cannot hold the tree the metadata describes. */
export class MmdbTreeError extends Error {
  readonly code = 'BULWARK_ERR_GEO_MMDB_TREE';
}

/**
 * Wrap a MaxMind DB buffer. Checks that the record size is one of the three defined (24, 28, 32) and
 * that the buffer is long enough for `nodeCount` nodes; throws {@link MmdbTreeError} otherwise.
 */
export function createMmdbTree(bytes: Uint8Array, meta: MmdbTreeMeta): MmdbTree {
  const { nodeCount, recordSize, ipVersion } = meta;
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) throw new MmdbTreeError(`unsupported record size ${recordSize}`);
  if (ipVersion !== 4 && ipVersion !== 6) throw new MmdbTreeError(`unsupported IP version ${ipVersion}`);
  const nodeBytes = recordSize / 4;
  if (!Number.isInteger(nodeCount) || nodeCount <= 0 || nodeCount * nodeBytes > bytes.length) {
    throw new MmdbTreeError(`search tree of ${nodeCount} nodes does not fit in ${bytes.length} bytes`);
  }
  const b = bytes;

  function record(node: number, bit: number): number {
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
  }

  /** Follow the bits of `word` (most significant first) from `node`. */
  function walkWord(node: number, word: number): number {
    for (let i = 31; i >= 0 && node < nodeCount; i--) node = record(node, (word >>> i) & 1);
    return node;
  }

  const leaf = (node: number): number => (node > nodeCount ? node : 0);

  let v4Start = 0;
  if (ipVersion === 6) for (let i = 0; i < 96 && v4Start < nodeCount; i++) v4Start = record(v4Start, 0);

  return {
    leafV4(v4: number): number {
      return v4Start >= nodeCount ? leaf(v4Start) : leaf(walkWord(v4Start, v4));
    },
    leafV6(w: Uint32Array): number {
      if (ipVersion === 4) return 0;
      let node = 0;
      for (let k = 0; k < 4 && node < nodeCount; k++) node = walkWord(node, w[k]);
      return leaf(node);
    },
  };
}
