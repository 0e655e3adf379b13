import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createCountMinSketch } from './count-min.ts';
import { fmix32, hashString64 } from './hash.ts';

function hash(key: string, seed: number): [number, number] {
  const out = new Uint32Array(2);
  hashString64(key, seed, out);
  return [out[0], out[1]];
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) n++;
  return n;
}

describe('hashString64', () => {
  it('is deterministic and depends on key and seed (low and high seed bits)', () => {
    assert.deepEqual(hash('limit:per-ip|203.0.113.7', 1), hash('limit:per-ip|203.0.113.7', 1));
    const cases: Array<[string, number, string, number]> = [
      ['a', 1, 'b', 1],
      ['ab', 1, 'ba', 1],
      ['', 1, '\0', 1],
      ['abc', 1, 'abc', 2],
      ['abc', 2 ** 32, 'abc', 2 ** 33],
    ];
    for (const [k1, s1, k2, s2] of cases) assert.notDeepEqual(hash(k1, s1), hash(k2, s2), `${k1}/${s1} vs ${k2}/${s2}`);
  });

  it('packs one-byte and wider characters so that they never line up: crafted pairs and long keys differ', () => {
    // The same words would come out of four one-byte characters and of two UTF-16 units if the packing
    // position did not go in: e.g. (1, 0, 2, 0) as one word and (1, 2) as one word are both 0x00020001.
    const pairs: Array<[string, string]> = [
      ['\u0001\u0000\u0002\u0000\u0100\u0000', '\u0001\u0002\u0100\u0000\u0000\u0000'],
      ['abcd\u0100x', 'abc\u0100dx'],
      ['\u00ff\u00ff\u00ff\u00ff', '\uffff\uffff\u0000\u0000'],
    ];
    for (const [a, b] of pairs) {
      assert.equal(a.length, b.length);
      assert.notDeepEqual(hash(a, 7), hash(b, 7), JSON.stringify([a, b]));
    }
    // Keys far longer than the packing buffer's first size, equal and one character apart.
    const long = 'x'.repeat(5000);
    assert.deepEqual(hash(long + 'a', 7), hash('x'.repeat(5000) + 'a', 7));
    assert.notDeepEqual(hash(long + 'a', 7), hash(long + 'b', 7));
    assert.notDeepEqual(hash(long + '\u0100', 7), hash(long + '\u0101', 7));
  });

  it('different strings of one length hash differently, whatever mix of one-byte and wide characters (property)', () => {
    const char = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0xfe, max: 0x102 }), fc.integer({ min: 0, max: 0xffff })).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.array(char, { minLength: 1, maxLength: 12 }), fc.array(char, { minLength: 1, maxLength: 12 }), (xs, ys) => {
        const a = xs.join('');
        const b = ys.slice(0, xs.length).join('').padEnd(a.length, '\u0100');
        if (a === b) return;
        assert.notDeepEqual(hash(a, 3), hash(b, 3), JSON.stringify([a, b]));
      }),
      { numRuns: 2000 },
    );
  });

  it('spreads sequential keys evenly over 1024 buckets (both lanes)', () => {
    const n = 102_400;
    for (const lane of [0, 1]) {
      const counts = new Uint32Array(1024);
      for (let i = 0; i < n; i++) counts[hash(`limit:per-ip|10.0.${i >> 8}.${i & 255}`, 42)[lane] & 1023]++;
      let chi = 0;
      for (const c of counts) chi += (c - 100) ** 2 / 100;
      // 1023 degrees of freedom: mean 1023, sd ≈ 45; 1300 is > 6 sd out.
      assert.ok(chi < 1300, `lane ${lane}: chi-square ${chi.toFixed(0)}`);
    }
  });

  it('avalanches: one changed character flips about half of the 64 bits', () => {
    let flipped = 0;
    const trials = 2000;
    for (let i = 0; i < trials; i++) {
      const base = `key-${i}-abcdefgh`;
      const changed = base.slice(0, 4) + String.fromCharCode(base.charCodeAt(4) ^ 1) + base.slice(5);
      const [a1, b1] = hash(base, 7);
      const [a2, b2] = hash(changed, 7);
      flipped += popcount(a1 ^ a2) + popcount(b1 ^ b2);
    }
    const mean = flipped / trials / 64;
    assert.ok(mean > 0.45 && mean < 0.55, `mean flip rate ${mean}`);
  });

  it('fmix32 returns uint32', () => {
    for (const x of [0, 1, -1, 0xffffffff, 123456789]) {
      const y = fmix32(x);
      assert.ok(Number.isInteger(y) && y >= 0 && y <= 0xffffffff);
    }
  });
});

describe('createCountMinSketch', () => {
  it('rounds width to a power of two and reports its bytes', () => {
    const table = [
      { width: 1, cells: 'uint32' as const, depth: 4, expectWidth: 16, bytes: 16 * 4 * 4 },
      { width: 1000, cells: 'uint32' as const, depth: 2, expectWidth: 1024, bytes: 1024 * 2 * 4 },
      { width: 1024, cells: 'float64' as const, depth: 3, expectWidth: 1024, bytes: 1024 * 3 * 8 },
    ];
    for (const t of table) {
      const s = createCountMinSketch({ width: t.width, depth: t.depth, seed: 1, cells: t.cells });
      assert.equal(s.width, t.expectWidth);
      assert.equal(s.bytes, t.bytes);
      assert.equal(s.stats().bytes, t.bytes);
    }
  });

  it('rejects bad options with a stable code', () => {
    const bad = [
      { width: 0, seed: 1 },
      { width: 2 ** 29, seed: 1 },
      { width: 64, depth: 0, seed: 1 },
      { width: 64, depth: 17, seed: 1 },
      { width: 64, seed: -1 },
      { width: 64, seed: 1.5 },
    ];
    for (const o of bad) assert.throws(() => createCountMinSketch(o), { code: 'BULWARK_ERR_SKETCH_OPTIONS' }, JSON.stringify(o));
    const s = createCountMinSketch({ width: 64, seed: 1 });
    assert.throws(() => s.add('x', -1), { code: 'BULWARK_ERR_SKETCH_OPTIONS' });
  });

  it('counts exactly when keys do not collide, and the hashed calls agree with the string calls', () => {
    const s = createCountMinSketch({ width: 1 << 16, seed: 9 });
    s.add('a');
    s.add('a', 4);
    s.add('b', 2);
    assert.equal(s.estimate('a'), 5);
    assert.equal(s.estimate('b'), 2);
    assert.equal(s.estimate('never'), 0);
    const out = new Uint32Array(2);
    hashString64('a', 9, out);
    assert.equal(s.estimateHashed(out[0], out[1]), 5);
  });

  it('never undercounts, and conservative update never counts more than plain update (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 1, max: 5 })), { maxLength: 400 }), (ops) => {
        const cons = createCountMinSketch({ width: 32, depth: 3, seed: 5 });
        const plain = createCountMinSketch({ width: 32, depth: 3, seed: 5, conservative: false });
        const truth = new Map<string, number>();
        for (const [k, n] of ops) {
          const key = `k${k}`;
          cons.add(key, n);
          plain.add(key, n);
          truth.set(key, (truth.get(key) ?? 0) + n);
        }
        for (const [key, n] of truth) {
          assert.ok(cons.estimate(key) >= n);
          assert.ok(cons.estimate(key) <= plain.estimate(key));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('raise keeps every key at or above the largest value raised for it (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.double({ min: 0, max: 1e13, noNaN: true })), { maxLength: 300 }), (ops) => {
        const s = createCountMinSketch({ width: 16, depth: 2, seed: 3, cells: 'float64' });
        const truth = new Map<string, number>();
        for (const [k, v] of ops) {
          s.raise(`k${k}`, v);
          truth.set(`k${k}`, Math.max(truth.get(`k${k}`) ?? 0, v));
        }
        for (const [key, v] of truth) assert.ok(s.estimate(key) >= v);
      }),
      { numRuns: 200 },
    );
  });

  it('saturates uint32 cells instead of wrapping', () => {
    const s = createCountMinSketch({ width: 16, seed: 1 });
    s.add('x', 0xffffffff);
    s.add('x', 10);
    assert.equal(s.estimate('x'), 0xffffffff);
  });

  it('halves on demand and every `halveEvery` units; reset zeroes', () => {
    const s = createCountMinSketch({ width: 1024, seed: 2, halveEvery: 100 });
    s.add('a', 50);
    s.add('b', 7);
    s.halve();
    assert.equal(s.estimate('a'), 25);
    assert.equal(s.estimate('b'), 3);
    assert.equal(s.stats().halvings, 1);
    s.add('a', 100); // 125 → crosses halveEvery → halved to 62
    assert.equal(s.estimate('a'), 62);
    assert.equal(s.stats().halvings, 2);
    assert.equal(s.stats().added, 0);
    const f = createCountMinSketch({ width: 1024, seed: 2, cells: 'float64' });
    f.add('a', 3);
    f.halve();
    assert.equal(f.estimate('a'), 1.5);
    s.reset();
    assert.equal(s.estimate('a'), 0);
  });
});
