import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createReturningClients } from './returning-clients.ts';

describe('returning clients', () => {
  it('a client served before the surge is returning once old enough; a new source is not', () => {
    const r = createReturningClients({ minAgeMs: 20_000, rememberMs: 600_000 });
    r.served('198.51.100.0/24', 0);
    assert.equal(r.isReturning('198.51.100.0/24', 10_000), false, 'too young');
    assert.equal(r.isReturning('198.51.100.0/24', 20_000), true);
    r.served('203.0.113.0/24', 30_000); // a flood's source, served at the onset
    assert.equal(r.isReturning('203.0.113.0/24', 32_000), false);
    assert.equal(r.isReturning('192.0.2.0/24', 32_000), false, 'never seen');
  });

  it('is forgotten after the memory window', () => {
    const r = createReturningClients({ minAgeMs: 1_000, rememberMs: 60_000 });
    r.served('a', 0);
    r.served('a', 2_000); // promoted to known
    assert.equal(r.stats().known, 1);
    assert.equal(r.isReturning('a', 62_000), true);
    assert.equal(r.isReturning('a', 62_001), false);
    assert.equal(r.stats().known, 0, 'dropped when met');
    r.served('b', 0);
    assert.equal(r.isReturning('b', 60_001), false);
  });

  it('a burst of new sources cannot flush the known clients', () => {
    const r = createReturningClients({ minAgeMs: 20_000, maxClients: 1_000 }); // 250 young, 750 known
    for (let i = 0; i < 200; i++) r.served(`visitor-${i}`, 0);
    for (let i = 0; i < 200; i++) r.served(`visitor-${i}`, 25_000); // seen again: known
    // The onset: 100 000 new sources served within seconds.
    for (let i = 0; i < 100_000; i++) r.served(`flood-${i}`, 60_000 + i / 100);
    const s = r.stats();
    assert.ok(s.known + s.young <= s.capacity, 'bounded');
    assert.equal(s.knownEvicted, 0);
    assert.ok(s.youngDropped > 99_000);
    for (let i = 0; i < 200; i++) assert.equal(r.isReturning(`visitor-${i}`, 61_000), true, `visitor-${i}`);
    assert.equal(r.isReturning('flood-99999', 61_000), false);
  });

  it('when the known table is full, a promotion pushes out the least recently seen', () => {
    const r = createReturningClients({ minAgeMs: 10, maxClients: 8 }); // 2 young, 6 known
    for (let i = 0; i < 7; i++) {
      r.served(`k${i}`, i * 100);
      r.served(`k${i}`, i * 100 + 20);
    }
    const s = r.stats();
    assert.deepEqual([s.known, s.knownEvicted, s.promotions], [6, 1, 7]);
    assert.equal(r.isReturning('k0', 1_000), false, 'the least recently seen went');
    assert.equal(r.isReturning('k6', 1_000), true);
  });
});
