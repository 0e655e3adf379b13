import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKmv, kmvJaccard, mergeKmv } from './kmv.ts';
import { hash32 } from '../sketch/hash.ts';

function sketch(keys: string[]): number[] {
  const k = createKmv();
  for (const key of keys) k.add(hash32(key, 7));
  return k.values();
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => `10.${(from + i) >> 8}.${(from + i) & 255}.0/24`);

test('the same set of thousands of prefixes is recognised; a disjoint one is not; overlap is estimated', () => {
  const a = sketch(range(0, 5000));
  assert.ok(kmvJaccard(a, sketch(range(0, 5000))) > 0.99);
  assert.equal(kmvJaccard(a, sketch(range(10_000, 5000))), 0);
  const half = kmvJaccard(a, sketch(range(2500, 5000))); // |A∩B| = 2500, |A∪B| = 7500
  assert.ok(Math.abs(half - 1 / 3) < 0.1, `estimate ${half}`);
});

test('bounded: k values whatever the number of keys; merge keeps the union', () => {
  const k = createKmv(64);
  for (let i = 0; i < 100_000; i++) k.add(hash32(`k${i}`, 1));
  assert.equal(k.size, 64);
  const m = mergeKmv(sketch(range(0, 100)), sketch(range(100, 100)));
  assert.ok(kmvJaccard(m, sketch(range(0, 200))) > 0.95);
});
