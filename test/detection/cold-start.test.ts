/**
 * The drill's `cache-busting` flood met by a detection service that starts with no saved baseline
 * (a fresh state directory), driven by a fake clock: ~1000 uncleared req/s from 50 addresses while the
 * shield's admission queue sheds a share of the requests. The cold-start rule raises the level within
 * seconds and none of the flood is learned; a busy but healthy site started the same way raises nothing
 * and is learned as usual.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHarness, flood, visitors, type FloodShape, type Harness } from './harness.ts';

const SITE = 'news';
const BUSTERS: FloodShape = { block: 7, addresses: 50, path: '/', fingerprint: 'fp-buster', userAgent: 'Mozilla/5.0 (cache buster)' };

describe('detection service: cold start', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.dispose();
  });

  it('cache-busting: a service started in the middle of the flood rises within seconds and learns none of it', async () => {
    const h = await createHarness();
    harnesses.push(h);
    await h.run(60, (s) => {
      const level = h.service.levelOf(SITE);
      // The admission queue is full: one request in ten is shed (still counted by the detector).
      const attack = flood(SITE, 1000, s, level, BUSTERS).map((r, i) => (i % 10 === 0 ? { ...r, outcome: 'shed' as const } : r));
      return [...visitors(SITE, 50, s, level), ...attack];
    });
    const levels = h.levels.get(SITE) ?? [];
    const raisedAt = levels.findIndex((l) => l !== 'normal');
    assert.ok(raisedAt >= 0 && raisedAt <= 3, `raised at tick ${raisedAt}: ${levels.slice(0, 5).join(',')}`);
    assert.ok(levels.slice(raisedAt).every((l) => l !== 'normal'), 'stays up while the flood lasts');
    const stats = h.service.stats().sites[SITE]!;
    assert.ok(stats.signals.some((x) => (x as { kind: string }).kind === 'cold_start'), JSON.stringify(stats.signals));
    assert.equal(stats.baseline.samples, 0, 'none of the flood seconds was learned');
  });

  it('a busy, healthy site started without a baseline raises nothing and is learned', async () => {
    const h = await createHarness();
    harnesses.push(h);
    await h.run(90, (s) => visitors(SITE, 500, s, h.service.levelOf(SITE)));
    assert.deepEqual([...new Set(h.levels.get(SITE) ?? [])].filter((l) => l !== 'normal'), []);
    assert.equal(h.service.levelOf(SITE), 'normal');
    assert.ok(h.service.stats().sites[SITE]!.baseline.samples > 30, 'ordinary seconds are learned');
  });
});
