import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createMmdbTree, mmdbLeafRuns } from './mmdb-tree.ts';

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

/** The leaf of the run holding `v4`, found by scanning the runs (the slow, obvious way). */
function runLeafV4(runs: { count: number; starts: Uint32Array; values: Int32Array }, v4: number): number {
  let leaf = 0;
  for (let i = 0; i < runs.count && runs.starts[i]! <= v4; i++) leaf = runs.values[i]!;
  return leaf;
}

test('leaf runs cover the address space in order and agree with the tree walk (property)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(0xffffffff), fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 12 }),
      fc.constantFrom(24, 28, 32),
      fc.array(fc.nat(0xffffffff), { minLength: 20, maxLength: 20 }),
      (prefixes, recordSize, probes) => {
        // Longer prefixes after shorter ones, and none nested in a leaf already placed (a tree has leaves only at its ends).
        const sorted = prefixes.map(([a, len, id]) => [bits32(a, len), id] as [string, number]).sort((x, y) => x[0].length - y[0].length);
        const kept: Array<[string, number]> = [];
        for (const p of sorted) if (!kept.some(([k]) => p[0].startsWith(k) || k.startsWith(p[0]))) kept.push(p);
        const { bytes, nodeCount } = buildTree(kept, recordSize as 24 | 28 | 32);
        const meta = { nodeCount, recordSize, ipVersion: 4 };
        const tree = createMmdbTree(bytes, meta);
        const runs = mmdbLeafRuns(bytes, meta, 4);
        assert.equal(runs.starts[0], 0);
        for (let i = 1; i < runs.count; i++) {
          assert.ok(runs.starts[i]! > runs.starts[i - 1]!, 'starts increase');
          assert.notEqual(runs.values[i], runs.values[i - 1], 'adjacent runs differ');
        }
        for (const a of [...probes, 0, 0xffffffff, ...Array.from(runs.starts)]) assert.equal(runLeafV4(runs, a), tree.leafV4(a), `address ${a}`);
      },
    ),
    { numRuns: 200 },
  );
});

test('leaf runs of an IPv6 tree: IPv4 under ::/96, IPv6 runs in 128-bit order; an IPv4 tree has no IPv6 data', () => {
  const v6bits = (w: number[], len: number): string => w.map((x) => bits32(x, 32)).join('').slice(0, len);
  const { bytes, nodeCount } = buildTree([[v6bits([0x20010db8, 0, 0, 0], 32), 5], ['0'.repeat(96) + bits32(0x08080800, 24), 6]], 24);
  const meta = { nodeCount, recordSize: 24, ipVersion: 6 };
  const v4 = mmdbLeafRuns(bytes, meta, 4);
  assert.deepEqual([...v4.starts], [0, 0x08080800, 0x08080900]);
  assert.deepEqual([...v4.values], [0, nodeCount + 16 + 6, 0]);
  const v6 = mmdbLeafRuns(bytes, meta, 6);
  const starts = Array.from({ length: v6.count }, (_, i) => [...v6.starts.subarray(i * 4, i * 4 + 4)]);
  assert.deepEqual(starts, [[0, 0, 0, 0], [0, 0, 0, 0x08080800], [0, 0, 0, 0x08080900], [0x20010db8, 0, 0, 0], [0x20010db9, 0, 0, 0]]);
  assert.deepEqual([...v6.values], [0, nodeCount + 16 + 6, 0, nodeCount + 16 + 5, 0]);
  const only4 = buildTree([['1', 1]], 24);
  const none = mmdbLeafRuns(only4.bytes, { nodeCount: only4.nodeCount, recordSize: 24, ipVersion: 4 }, 6);
  assert.deepEqual([none.count, [...none.values]], [1, [0]]);
});

test('a damaged tree that points back up is refused instead of walked forever', () => {
  // Two nodes whose records point at each other: every path loops.
  const bytes = Uint8Array.of(0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0);
  assert.throws(() => mmdbLeafRuns(bytes, { nodeCount: 2, recordSize: 24, ipVersion: 6 }, 6), { code: 'BULWARK_ERR_GEO_MMDB_TREE' });
  assert.throws(() => mmdbLeafRuns(bytes, { nodeCount: 2, recordSize: 24, ipVersion: 4 }, 4), { code: 'BULWARK_ERR_GEO_MMDB_TREE' });
});
