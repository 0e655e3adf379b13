import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFrequencySketch, hashKey } from './frequency-sketch.ts';

describe('frequency sketch', () => {
  it('counts uses, saturates at 255', () => {
    const s = createFrequencySketch({ width: 1024, sampleSize: 1e9 });
    const h = hashKey('GET example.org/');
    for (let i = 0; i < 7; i++) s.increment(h);
    assert.equal(s.estimate(h), 7);
    for (let i = 0; i < 500; i++) s.increment(h);
    assert.equal(s.estimate(h), 255);
  });
  it('halves every sampleSize increments (aging)', () => {
    const s = createFrequencySketch({ width: 1024, sampleSize: 100 });
    const h = hashKey('a');
    for (let i = 0; i < 99; i++) s.increment(h);
    assert.equal(s.estimate(h), 99);
    s.increment(h);
    assert.equal(s.estimate(h), 50);
    assert.equal(s.stats().halvings, 1);
  });
  it('rarely overestimates unseen keys after many distinct ones', () => {
    const s = createFrequencySketch({ width: 16_384, sampleSize: 1e9 });
    for (let i = 0; i < 20_000; i++) s.increment(hashKey(`GET example.org/r/${i}`));
    let over = 0;
    for (let i = 0; i < 10_000; i++) if (s.estimate(hashKey(`GET example.org/unseen/${i}`)) >= 2) over++;
    assert.ok(over < 200, `${over} of 10 000 unseen keys look used twice`);
  });
  it('a seed changes the hash', () => assert.notEqual(hashKey('x'), hashKey('x', 12345)));
});
