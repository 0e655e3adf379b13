import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDerivedTicketKeys, createRandomTicketKeys, TICKET_KEY_BYTES } from './ticket-keys.ts';

const HOUR = 3_600_000;

describe('ticket keys', () => {
  it('random: one key per period, a new one when the period turns', () => {
    let draws = 0;
    const keys = createRandomTicketKeys(HOUR, (n) => Buffer.alloc(n, ++draws));
    const a = keys.keyAt(10 * HOUR + 5);
    assert.equal(a.key.length, TICKET_KEY_BYTES);
    assert.equal(keys.keyAt(11 * HOUR - 1), a, 'same period, same key');
    const b = keys.keyAt(11 * HOUR);
    assert.notDeepEqual(b.key, a.key);
    assert.equal(b.epoch, a.epoch + 1);
    assert.equal(draws, 2);
  });

  it('derived: holders of one secret agree per period; another secret or period differs', () => {
    const secret = Buffer.alloc(32, 7);
    const one = createDerivedTicketKeys(HOUR, secret);
    const two = createDerivedTicketKeys(HOUR, Buffer.from(secret));
    const t = 1_800_000_000_000;
    assert.deepEqual(one.keyAt(t).key, two.keyAt(t + 1000).key);
    assert.notDeepEqual(one.keyAt(t).key, one.keyAt(t + HOUR).key);
    assert.notDeepEqual(one.keyAt(t).key, createDerivedTicketKeys(HOUR, Buffer.alloc(32, 8)).keyAt(t).key);
    assert.equal(one.keyAt(t).key.length, TICKET_KEY_BYTES);
  });

  it('refuses a short secret, a bad period and a wrong-sized random key', () => {
    assert.throws(() => createDerivedTicketKeys(HOUR, Buffer.alloc(16)), /32 bytes/);
    assert.throws(() => createRandomTicketKeys(0, (n) => Buffer.alloc(n)), /positive/);
    assert.throws(() => createRandomTicketKeys(HOUR, () => Buffer.alloc(8)).keyAt(0), /48/);
  });
});
