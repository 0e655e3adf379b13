import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fmix32, hash32 } from '../sketch/hash.ts';
import { createHyperLogLog, estimateCardinality } from './hyperloglog.ts';
import { createWindowedDistinct } from './windowed-distinct.ts';

function address(i: number): string {
  return `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
}

describe('hash32', () => {
  it('is deterministic, seed-dependent and spreads short keys over the high bits', () => {
    assert.equal(hash32('203.0.113.7'), hash32('203.0.113.7'));
    assert.notEqual(hash32('203.0.113.7', 1), hash32('203.0.113.7', 2));
    assert.notEqual(hash32('ab'), hash32('ba'));
    assert.equal(hash32(''), fmix32(0));
    const buckets = new Array<number>(16).fill(0);
    for (let i = 0; i < 160_000; i++) buckets[hash32(address(i)) >>> 28]!++;
    for (const b of buckets) assert.ok(Math.abs(b - 10_000) < 500, `bucket ${b} far from 10000`);
  });
});

describe('HyperLogLog', () => {
  const table: Array<[number, number]> = [[0, 0], [1, 0], [10, 0], [1000, 0.02], [50_000, 0.03], [1_000_000, 0.03]];
  for (const [n, tolerance] of table) {
    it(`counts ${n} distinct keys within ${tolerance * 100}%`, () => {
      const hll = createHyperLogLog();
      for (let i = 0; i < n; i++) hll.add(address(i));
      const est = hll.count();
      assert.ok(Math.abs(est - n) <= Math.max(tolerance * n, 0), `estimate ${est} for ${n}`);
    });
  }

  it('stays within 3% at 1M for other seeds and at 5M', () => {
    for (const seed of [7, 0x9e3779b9]) {
      const hll = createHyperLogLog({ seed });
      for (let i = 0; i < 1_000_000; i++) hll.add(`k${i}`);
      assert.ok(Math.abs(hll.count() / 1e6 - 1) < 0.03, `seed ${seed}: ${hll.count()}`);
    }
    const big = createHyperLogLog();
    for (let i = 0; i < 5_000_000; i++) big.addHash(fmix32(i * 0x9e3779b1 + 12345));
    assert.ok(Math.abs(big.count() / 5e6 - 1) < 0.03, `5M: ${big.count()}`);
  });

  it('ignores duplicates', () => {
    const hll = createHyperLogLog();
    for (let r = 0; r < 10; r++) for (let i = 0; i < 1000; i++) hll.add(address(i));
    assert.ok(Math.abs(hll.count() - 1000) <= 20);
  });

  it('merges into the union, and resets', () => {
    const a = createHyperLogLog();
    const b = createHyperLogLog();
    for (let i = 0; i < 600_000; i++) a.add(address(i));
    for (let i = 400_000; i < 1_000_000; i++) b.add(address(i));
    a.merge(b);
    assert.ok(Math.abs(a.count() / 1e6 - 1) < 0.03, `union ${a.count()}`);
    a.reset();
    assert.equal(a.count(), 0);
    assert.equal(estimateCardinality(b.registers, 14), b.count());
  });

  it('has 2^p bytes of registers and rejects bad precisions', () => {
    assert.equal(createHyperLogLog({ precision: 12 }).registers.length, 4096);
    for (const precision of [3, 17, 12.5]) {
      assert.throws(() => createHyperLogLog({ precision }), { code: 'BULWARK_ERR_DETECT_HLL_PRECISION' });
    }
    assert.throws(() => createHyperLogLog().merge(createHyperLogLog({ precision: 10 })), { code: 'BULWARK_ERR_DETECT_HLL_MISMATCH' });
  });
});

describe('windowed distinct counter', () => {
  it('counts per second and over a range, forgetting seconds that left the ring', () => {
    const w = createWindowedDistinct({ seconds: 5, precision: 12 });
    for (let s = 100; s < 110; s++) for (let i = 0; i < 1000; i++) w.addHash(hash32(address(s * 1000 + i)), s);
    assert.ok(Math.abs(w.countRange(109, 109) - 1000) < 40);
    assert.ok(Math.abs(w.countRange(105, 109) - 5000) < 200, `${w.countRange(105, 109)}`);
    // seconds 100..103 were overwritten: asking for them counts nothing extra
    assert.ok(Math.abs(w.countRange(100, 109) - w.countRange(104, 109)) < 1);
    assert.equal(w.countRange(50, 60), 0);
  });

  it('does not double count a client seen in several seconds, and ignores too-late adds', () => {
    const w = createWindowedDistinct({ seconds: 3 });
    for (let s = 10; s < 13; s++) for (let i = 0; i < 500; i++) w.addHash(hash32(address(i)), s);
    assert.ok(Math.abs(w.countRange(10, 12) - 500) < 15);
    w.addHash(hash32('late'), 1);
    assert.ok(Math.abs(w.countRange(10, 12) - 500) < 15);
    assert.equal(w.bytes, 5 * 16384);
    w.reset();
    assert.equal(w.countRange(10, 12), 0);
  });
});
