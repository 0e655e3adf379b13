import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSeasonalProfile, seasonalBucket, seasonalBucketValue } from './seasonal-profile.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** 2023-11-05T00:00:00Z, a Sunday. */
const SUNDAY = Date.UTC(2023, 10, 5);

/** Learns `value(second)` for every second of `hours` hours starting at `fromMs`. */
function feed(p: ReturnType<typeof createSeasonalProfile>, fromMs: number, hours: number, value: (ms: number) => number, normal: number | null = null): void {
  for (let ms = fromMs; ms < fromMs + hours * HOUR; ms += 1000) p.learn('unclearedRps', value(ms), ms, normal);
}

describe('seasonal profile', () => {
  it('buckets values four per doubling, read back within +19%', () => {
    for (const v of [0.07, 0.5, 1, 3, 100, 2500, 1e6]) {
      const up = seasonalBucketValue(seasonalBucket(v));
      assert.ok(up >= v && up <= v * 1.19 + 1e-9, `${v} → ${up}`);
    }
    assert.equal(seasonalBucket(0), 0);
    assert.equal(seasonalBucket(Number.NaN), 0);
  });

  it('trusts an hour-of-day slot only once two earlier days are behind it, then reports their quantiles', () => {
    const p = createSeasonalProfile({ minSamples: 300 });
    const at20 = (day: number) => SUNDAY + day * DAY + 20 * HOUR;
    feed(p, at20(0), 1, (ms) => (ms % 30_000 === 0 ? 400 : 100));
    feed(p, at20(1), 1, (ms) => (ms % 30_000 === 0 ? 400 : 100));
    assert.equal(p.reference('unclearedRps', at20(1) + 600_000), null, 'one earlier day is not enough');
    feed(p, at20(2), 0.5, (ms) => (ms % 30_000 === 0 ? 400 : 100));
    const r = p.reference('unclearedRps', at20(2) + 1_000_000);
    assert.ok(r !== null);
    assert.equal(r.basis, 'hour_of_day');
    assert.equal(r.slot, '20:00 UTC');
    assert.ok(r.median >= 100 && r.median < 120, `median ${r.median}`);
    assert.ok(r.high >= 100 && r.high < 120, `p95 ${r.high}: the one-in-thirty 400s are above it`);
    assert.equal(p.reference('unclearedRps', at20(2) - 5 * HOUR), null, 'an empty slot has no reference');
    assert.equal(p.reference('rps', at20(2) + 1_000_000), null, 'per metric');
  });

  it('a slot that is ready lends its high quantile to the next half hour (a peak a little early is still the usual peak)', () => {
    const p = createSeasonalProfile({ minPeriods: 1 });
    for (let d = 0; d < 2; d++) {
      feed(p, SUNDAY + d * DAY + 19 * HOUR, 1, () => 50);
      feed(p, SUNDAY + d * DAY + 20 * HOUR, 1, () => 500);
    }
    const early = p.reference('unclearedRps', SUNDAY + 2 * DAY + 19 * HOUR + 40 * 60_000);
    assert.ok(early !== null && early.high >= 500 && early.slot === '19:00 UTC', JSON.stringify(early));
    const before = p.reference('unclearedRps', SUNDAY + 2 * DAY + 19 * HOUR + 10 * 60_000);
    assert.ok(before !== null && before.high < 60, 'half an hour earlier: only 19:00 counts');
  });

  it('prefers the hour-of-week slot once weeks of data make it ready', () => {
    const p = createSeasonalProfile({ minPeriods: 1, minSamples: 60 });
    for (let w = 0; w < 2; w++) {
      for (let d = 0; d < 7; d++) feed(p, SUNDAY + (w * 7 + d) * DAY + 20 * HOUR, 0.1, () => (d === 0 ? 900 : 100));
    }
    const sunday = p.reference('unclearedRps', SUNDAY + 14 * DAY + 20 * HOUR + 100_000);
    assert.equal(sunday?.basis, 'hour_of_week');
    assert.equal(sunday?.slot, 'Sun 20:00 UTC');
    assert.ok(sunday!.high >= 900);
    const monday = p.reference('unclearedRps', SUNDAY + 15 * DAY + 20 * HOUR + 100_000);
    assert.equal(monday?.slot, 'Mon 20:00 UTC');
    assert.ok(monday!.high < 120, `${monday!.high}`);
  });

  it('compares with earlier periods only, and lets a slot grow at most by its growth factor per period', () => {
    const p = createSeasonalProfile({ minPeriods: 1, minSamples: 60, growth: 2, decay: 0.5 });
    const at3 = (day: number) => SUNDAY + day * DAY + 3 * HOUR;
    feed(p, at3(0), 1, () => 40, 40);
    const usual = p.reference('unclearedRps', at3(1) - 1000);
    assert.equal(usual, null, 'the first day is still the current period');
    feed(p, at3(1), 1, () => 1000, 40);
    const during = p.reference('unclearedRps', at3(1) + 3_000_000)!;
    assert.ok(during.high < 50, `a 3 a.m. surge does not move tonight's normal: ${during.high}`);
    assert.ok(p.stats().capped >= 3000, 'it was learned clamped to 2× the usual');
    feed(p, at3(2), 0.1, () => 40, 40);
    const next = p.reference('unclearedRps', at3(2) + 300_000)!;
    assert.ok(next.high > 50 && next.high <= 2 * 48 * 1.19, `the next night: at most 2× more (${next.high})`);
  });

  it('survives a JSON round trip and refuses a broken one', () => {
    const p = createSeasonalProfile({ minPeriods: 1, minSamples: 10 });
    feed(p, SUNDAY + 5 * HOUR, 0.2, (ms) => 30 + ((ms / 1000) % 7), 30);
    const json = JSON.parse(JSON.stringify(p.toJSON())) as unknown;
    const q = createSeasonalProfile({ minPeriods: 1, minSamples: 10 }, json);
    assert.deepEqual(q.toJSON(), p.toJSON());
    assert.deepEqual(q.reference('unclearedRps', SUNDAY + 5 * HOUR + 60_000), p.reference('unclearedRps', SUNDAY + 5 * HOUR + 60_000));
    assert.throws(() => createSeasonalProfile({}, { version: 1, day: { rps: [] }, week: {} }), { code: 'BULWARK_ERR_DETECT_BASELINE_INVALID' });
    const bad = JSON.parse(JSON.stringify(p.toJSON())) as { day: { unclearedRps: unknown[] } };
    bad.day.unclearedRps[5] = [1, 0, null, 3, [[999, 1]]];
    assert.throws(() => createSeasonalProfile({}, bad), { code: 'BULWARK_ERR_DETECT_BASELINE_INVALID' });
  });

  it('keeps nothing when disabled', () => {
    const p = createSeasonalProfile({ enabled: false, minPeriods: 1, minSamples: 1 });
    feed(p, SUNDAY, 0.1, () => 10);
    assert.equal(p.reference('unclearedRps', SUNDAY + 1000), null);
    assert.equal(p.stats().slots, 0);
  });
});
