import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMmdbTree } from './mmdb-tree.ts';

type Slot = { node: number } | { leaf: number } | null;

/** Build a search tree from (bit string, data id) pairs and serialise it with the given record size. */
function buildTree(prefixes: Array<[string, number]>, recordSize: 24 | 28 | 32): { bytes: Uint8Array; nodeCount: number } {
  const nodes: Array<[Slot, Slot]> = [[null, null]];
  for (const [bits, leaf] of prefixes) {
    let n = 0;
    for (let i = 0; i < bits.length; i++) {
      const b = Number(bits[i]) as 0 | 1;
      if (i === bits.length - 1) {
        nodes[n][b] = { leaf };
        break;
      }
      const next = nodes[n][b];
      if (next && 'node' in next) n = next.node;
      else {
        nodes.push([null, null]);
        nodes[n][b] = { node: nodes.length - 1 };
        n = nodes.length - 1;
      }
    }
  }
  const nodeCount = nodes.length;
  const value = (s: Slot): number => (s === null ? nodeCount : 'node' in s ? s.node : nodeCount + 16 + s.leaf);
  const bytes = new Uint8Array((nodeCount * recordSize) / 4 + 16);
  nodes.forEach(([l, r], i) => {
    const a = value(l);
    const b = value(r);
    if (recordSize === 24) {
      bytes.set([a >> 16, (a >> 8) & 255, a & 255, b >> 16, (b >> 8) & 255, b & 255], i * 6);
    } else if (recordSize === 28) {
      bytes.set([(a >> 16) & 255, (a >> 8) & 255, a & 255, ((a >> 20) & 0xf0) | ((b >> 24) & 0x0f), (b >> 16) & 255, (b >> 8) & 255, b & 255], i * 7);
    } else {
      const dv = new DataView(bytes.buffer);
      dv.setUint32(i * 8, a);
      dv.setUint32(i * 8 + 4, b);
    }
  });
  return { bytes, nodeCount };
}

const bits32 = (v4: number, len: number): string => (v4 >>> 0).toString(2).padStart(32, '0').slice(0, len);

for (const recordSize of [24, 28, 32] as const) {
  test(`IPv4 tree, ${recordSize}-bit records`, () => {
    const { bytes, nodeCount } = buildTree(
      [
        ['0', 1], // 0.0.0.0/1
        ['10', 2], // 128.0.0.0/2
        [bits32(0xcb007100, 24), 3], // 203.0.113.0/24
      ],
      recordSize,
    );
    const tree = createMmdbTree(bytes, { nodeCount, recordSize, ipVersion: 4 });
    const leaf = (id: number): number => nodeCount + 16 + id;
    assert.equal(tree.leafV4(0x01020304), leaf(1));
    assert.equal(tree.leafV4(0x80000001), leaf(2));
    assert.equal(tree.leafV4(0xcb007107), leaf(3));
    assert.equal(tree.leafV4(0xcb007207), 0);
    assert.equal(tree.leafV4(0xffffffff), 0);
    assert.equal(tree.leafV6(Uint32Array.of(0x20010db8, 0, 0, 1)), 0);
  });
}

test('IPv6 tree: IPv4 lives under ::/96', () => {
  const v6bits = (w: number[], len: number): string => w.map((x) => bits32(x, 32)).join('').slice(0, len);
  const { bytes, nodeCount } = buildTree(
    [
      [v6bits([0x20010db8, 0, 0, 0], 32), 5], // 2001:db8::/32
      ['0'.repeat(96) + bits32(0x08080800, 24), 6], // 8.8.8.0/24
    ],
    24,
  );
  const tree = createMmdbTree(bytes, { nodeCount, recordSize: 24, ipVersion: 6 });
  assert.equal(tree.leafV6(Uint32Array.of(0x20010db8, 1, 2, 3)), nodeCount + 16 + 5);
  assert.equal(tree.leafV6(Uint32Array.of(0x20010db9, 1, 2, 3)), 0);
  assert.equal(tree.leafV4(0x08080808), nodeCount + 16 + 6);
  assert.equal(tree.leafV4(0x08080908), 0);
});

test('malformed metadata is refused with a coded error', () => {
  const bytes = new Uint8Array(60);
  assert.throws(() => createMmdbTree(bytes, { nodeCount: 2, recordSize: 20, ipVersion: 4 }), { code: 'BULWARK_ERR_GEO_MMDB_TREE' });
  assert.throws(() => createMmdbTree(bytes, { nodeCount: 100, recordSize: 24, ipVersion: 4 }), { code: 'BULWARK_ERR_GEO_MMDB_TREE' });
  assert.throws(() => createMmdbTree(bytes, { nodeCount: 2, recordSize: 24, ipVersion: 5 }), { code: 'BULWARK_ERR_GEO_MMDB_TREE' });
});
