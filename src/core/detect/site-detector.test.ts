/**
 * End to end through the real aggregates: request events in, levels and signature rules out — a flood
 * from 2,000 distinct 127.x.y.z addresses, each far below any per-address limit, on a site that learned
 * its normal traffic; then a restart in the middle of the attack; then calm.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from './prng.ts';
import { createSiteDetector, type SiteDetector, type SiteTick } from './site-detector.ts';
import type { RequestEvent } from './window-aggregates.ts';

const T0 = 1_700_000_000_000;
const PATHS = ['/', '/', '/news/1', '/news/2', '/about'];

function visitor(random: () => number): RequestEvent {
  const i = Math.floor(random() * 300);
  return {
    site: 'news', outcome: random() < 0.6 ? 'cached' : 'forwarded', status: 200, address: `10.0.${i % 40}.${i}`, prefix: `10.0.${i % 40}.0/24`,
    asn: i % 2 ? 3320 : 6805, country: 'DE', path: PATHS[i % PATHS.length]!, userAgent: 'Mozilla/5.0 Firefox', fingerprint: `browser${i % 3}`,
    cleared: random() < 0.3, originLatencyMs: 30 + 20 * random(), bytesIn: 400, bytesOut: 9000, cache: null, challenge: null,
  };
}

function bot(n: number): RequestEvent {
  const a = n % 2000;
  return {
    site: 'news', outcome: 'forwarded', status: 200, address: `127.0.${a >> 8}.${a & 255}`, prefix: `127.0.${a >> 8}.0/24`, asn: null,
    country: 'loopback', path: '/', userAgent: 'undici', fingerprint: 'undici-h1', cleared: false, originLatencyMs: 400, bytesIn: 200,
    bytesOut: 9000, cache: 'miss', challenge: null,
  };
}

/** Runs `seconds` of traffic (visitors per second, bots per second) with a tick at each second start. */
function run(d: SiteDetector, from: number, seconds: number, visitors: number, bots: number, random: () => number): SiteTick[] {
  const ticks: SiteTick[] = [];
  let n = 0;
  for (let s = from; s < from + seconds; s++) {
    ticks.push(d.tick(T0 + s * 1000));
    for (let i = 0; i < visitors; i++) d.observe(visitor(random), T0 + s * 1000 + (i * 997) / visitors);
    for (let i = 0; i < bots; i++) d.observe(bot(n++), T0 + s * 1000 + (i * 997) / bots);
  }
  return ticks;
}

describe('site detector, end to end', () => {
  it('detects a many-source flood within two ticks, proposes rules on its prefixes, survives a restart and calms down', () => {
    const random = seededRandom(11);
    const options = { baseline: { warmupSeconds: 120 } };
    const d = createSiteDetector(options, T0);
    const normal = run(d, 0, 200, 60, 0, random);
    assert.ok(normal.every((t) => t.detection.level === 'normal'));
    assert.ok(d.baseline.warm);

    const flood = run(d, 200, 20, 60, 6000, random);
    const first = flood.findIndex((t) => t.detection.level === 'under_attack');
    assert.ok(first >= 0 && first <= 2, `under_attack after ${first} ticks`);
    const last = flood.at(-1)!;
    const applied = d.activeRules.filter((r) => r.mode === 'apply');
    const prefixes = applied.filter((r) => r.match.prefix !== undefined).map((r) => r.match.prefix);
    assert.ok(prefixes.length >= 5 && prefixes.every((p) => String(p).startsWith('127.0.')), `prefix rules: ${prefixes.join(', ')}`);
    assert.ok(applied.some((r) => r.match.fingerprint === 'undici-h1' && r.action === 'block'));
    assert.ok(!d.activeRules.some((r) => String(r.match.prefix ?? '').startsWith('10.')), 'no rule hits the visitors');
    assert.ok(last.snapshot.distinct.unclearedLast > 1900 && last.snapshot.distinct.unclearedLast < 2200);

    // restart: a new detector from the persisted baseline and state keeps the level and the learned normal
    const saved = JSON.parse(JSON.stringify({ baseline: d.baselineJson(), state: d.state })) as { baseline: unknown; state: SiteDetector['state'] };
    const restarted = createSiteDetector({ ...options, savedBaseline: saved.baseline, savedState: saved.state }, T0 + 220_000);
    assert.equal(restarted.level, 'under_attack');
    const resumed = run(restarted, 220, 20, 60, 6000, random);
    assert.ok(resumed.every((t) => t.detection.level === 'under_attack'), 'no drop to normal after the restart');

    const calm = run(restarted, 240, 150, 60, 0, random);
    const back = calm.findIndex((t) => t.detection.level === 'normal');
    assert.ok(back > 0 && back <= 100, `normal again after ${back} s`);
    assert.ok(calm[back]!.rules.retired.length > 0 || restarted.activeRules.length === 0);
    assert.deepEqual(restarted.activeRules, []);
  });
});
