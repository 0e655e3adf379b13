import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLearningQueue } from './learning-queue.ts';

describe('learning queue', () => {
  it('releases seconds oldest first once they are old enough', () => {
    const q = createLearningQueue<number>(10);
    for (let s = 0; s < 5; s++) q.push(s * 1000, s);
    assert.deepEqual(q.release(2500, 1000), [0, 1]);
    assert.deepEqual(q.release(2500, 1000), []);
    assert.deepEqual(q.release(10_000, 1000), [2, 3, 4]);
    assert.deepEqual(q.stats(), { pending: 0, capacity: 10, discarded: 0, dropped: 0 });
  });

  it('with no delay releases what was just queued', () => {
    const q = createLearningQueue<string>(2);
    q.push(5, 'a');
    assert.deepEqual(q.release(5, 0), ['a']);
  });

  it('discards everything waiting and counts it', () => {
    const q = createLearningQueue<number>(10);
    for (let s = 0; s < 4; s++) q.push(s, s);
    assert.equal(q.discard(), 4);
    assert.deepEqual(q.release(1e9, 0), []);
    q.push(100, 9);
    assert.deepEqual(q.stats(), { pending: 1, capacity: 10, discarded: 4, dropped: 0 });
  });

  it('when full drops the oldest unlearned, never releases it early', () => {
    const q = createLearningQueue<number>(3);
    for (let s = 0; s < 5; s++) q.push(s * 1000, s);
    assert.equal(q.stats().dropped, 2);
    assert.deepEqual(q.release(2000, 1000), []);
    assert.deepEqual(q.release(3000, 1000), [2]);
    assert.deepEqual(q.release(9000, 1000), [3, 4]);
  });
});
