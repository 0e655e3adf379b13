import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandomTicketKeys } from '../../core/tls/ticket-keys.ts';
import { createTicketRotation } from './ticket-rotation.ts';

describe('ticket key rotation', () => {
  it('applies the current period\'s key once, and the next one when the period turns', () => {
    let now = 10 * 3_600_000;
    let n = 0;
    const applied: Buffer[] = [];
    const r = createTicketRotation(createRandomTicketKeys(3_600_000, (b) => Buffer.alloc(b, ++n)), (k) => applied.push(k), () => now);
    assert.equal(r.tick(), true);
    assert.equal(r.tick(), false);
    now += 3_599_999;
    assert.equal(r.tick(), false);
    now += 1;
    assert.equal(r.tick(), true);
    assert.equal(applied.length, 2);
    assert.notDeepEqual(applied[0], applied[1]);
    assert.deepEqual(r.stats(), { epoch: 11, rotations: 1, period_ms: 3_600_000 });
    assert.deepEqual(r.current(), applied[1]);
  });
});
