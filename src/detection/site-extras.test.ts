import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSiteExtras, decisionKey, MAX_DECISION_KEYS } from './site-extras.ts';

describe('site extras', () => {
  it('keeps cleared visitors’ latency per second, for the last few seconds only', () => {
    const x = createSiteExtras(1);
    x.observe(100, true, 50, 'default/allow', '10.0.0.1');
    x.observe(100, false, 5000, 'default/allow', '10.0.0.2');
    x.observe(100, true, -1, 'default/allow', '10.0.0.3');
    const h = x.clearedLatency(100)!;
    assert.equal(h.reduce((a, b) => a + b, 0), 1, 'only the cleared request that reached the origin');
    assert.equal(x.clearedLatency(99), null);
    x.observe(104, true, 10, 'default/allow', '10.0.0.1');
    assert.equal(x.clearedLatency(100), null, 'overwritten by a later second');
  });

  it('counts decisions by key, bounded, bans by kind only', () => {
    const x = createSiteExtras(1);
    for (let i = 0; i < MAX_DECISION_KEYS + 10; i++) x.observe(1, false, -1, `limit/l${i}`, '10.0.0.1');
    x.observe(1, false, -1, 'ban/203.0.113.7', '10.0.0.1');
    x.observe(1, false, -1, 'limit/l0', '10.0.0.1');
    const d = x.takeDecisions();
    assert.equal(d.get('limit/l0'), 2);
    assert.equal(d.get('other'), 11);
    assert.equal(d.size, MAX_DECISION_KEYS + 1);
    assert.equal(x.takeDecisions().size, 0, 'taken');
    assert.equal(decisionKey('ban/2001:db8::/64'), 'ban');
  });

  it('counts distinct sources until reset', () => {
    const x = createSiteExtras(3);
    for (let i = 0; i < 2000; i++) x.observe(1, false, -1, 'default/allow', `127.1.${i >> 8}.${i & 255}`);
    assert.ok(Math.abs(x.distinctSources() - 2000) < 60, String(x.distinctSources()));
    x.resetSources();
    assert.equal(x.distinctSources(), 0);
  });
});
