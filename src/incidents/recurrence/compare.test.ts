import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildFingerprint } from '../fingerprint/build-fingerprint.ts';
import type { AttackFingerprint } from '../fingerprint/fingerprint-types.ts';
import { compareFingerprints } from './compare.ts';

interface Shape {
  readonly prefixes: Record<string, number>;
  readonly asns?: Record<string, number>;
  readonly paths?: Record<string, number>;
  readonly uas?: Record<string, number>;
  readonly fps?: Record<string, number>;
  readonly sources?: number;
  readonly fidelity?: 'full' | 'summary';
}

const list = (d: Record<string, number> | undefined) => Object.entries(d ?? {}).map(([key, share]) => ({ key, share }));

function fp(s: Shape, openedAtMs = 0): AttackFingerprint {
  return buildFingerprint({
    site: 'news', openedAtMs, endedAtMs: openedAtMs + 60_000, totalRequests: 60_000, distinctSources: s.sources ?? 500, peakRps: 1000,
    summary: { version: 1, uncleared_requests: 59_000, top: { prefix: list(s.prefixes), asn: list(s.asns), path: list(s.paths ?? { '/search': 1 }), user_agent: list(s.uas ?? { kit: 1 }), fingerprint: list(s.fps ?? { 'fp-1': 1 }) }, rate: { peak_rps: 1000, mean_rps: 900, duration_s: 60, ramp_s: 3 } },
    methods: { GET: 59_000 }, rateProfile: { bucket_seconds: 1, values: [100, 600, 1000, 1000, 950, 1000, 200, 0] }, fidelity: s.fidelity ?? 'full',
  });
}

const A = { '198.51.100.0/24': 0.5, '203.0.113.0/24': 0.5 };
const B = { '192.0.2.0/24': 0.6, '198.18.0.0/24': 0.4 };

describe('compareFingerprints: verdict and confidence', () => {
  const cases: ReadonlyArray<[string, Shape, Shape, string, string]> = [
    ['the same networks and tooling again', { prefixes: A }, { prefixes: A }, 'same_actor', 'high'],
    ['the same networks, new tooling', { prefixes: A }, { prefixes: A, paths: { '/login': 1 }, uas: { curl: 1 }, fps: { 'fp-9': 1 } }, 'same_actor', 'high'],
    ['other networks, the same requests', { prefixes: A }, { prefixes: B }, 'copycat', 'high'],
    ['other networks, other requests', { prefixes: A }, { prefixes: B, paths: { '/login': 1 }, uas: { curl: 1 }, fps: { 'fp-9': 1 } }, 'unrelated', 'high'],
    ['half the prefixes shared', { prefixes: A }, { prefixes: { '198.51.100.0/24': 0.5, '192.0.2.0/24': 0.5 } }, 'same_actor', 'medium'],
    ['a thin top list cannot rule the same networks out', { prefixes: { '198.51.100.0/24': 0.3 } }, { prefixes: { '192.0.2.0/24': 0.3 } }, 'copycat', 'low'],
    ['other prefixes but the same ASNs: possibly the same actor', { prefixes: A, asns: { 64496: 1 } }, { prefixes: B, asns: { 64496: 1 } }, 'copycat', 'low'],
    ['a fingerprint derived from an old summary caps confidence', { prefixes: A }, { prefixes: B, fidelity: 'summary' }, 'copycat', 'medium'],
    ['few sources cap confidence', { prefixes: A, sources: 4 }, { prefixes: A, sources: 5 }, 'same_actor', 'medium'],
  ];
  for (const [name, x, y, verdict, confidence] of cases) {
    it(name, () => {
      const c = compareFingerprints(fp(x, 86_400_000), fp(y), 'inc-1');
      assert.equal(c.verdict, verdict, c.words);
      assert.equal(c.confidence, confidence, `${c.words} limits: ${c.limits.join('; ')}`);
      assert.equal(c.confidence_score, { high: 85, medium: 50, low: 15 }[c.confidence]);
      assert.match(c.words, new RegExp(`inc-1 \\(${confidence} confidence\\)`));
    });
  }

  it('is symmetric in its verdict (a report on either incident says the same)', () => {
    const a = fp({ prefixes: A });
    const b = fp({ prefixes: B }, 86_400_000);
    assert.equal(compareFingerprints(a, b, 'b').verdict, compareFingerprints(b, a, 'a').verdict);
  });

  it('measures carry their intervals and what they rest on', () => {
    const c = compareFingerprints(fp({ prefixes: A }, 86_400_000), fp({ prefixes: A }), 'inc-1');
    const prefix = c.measures.find((m) => m.id === 'prefix_distribution')!;
    assert.deepEqual([prefix.estimate, prefix.low, prefix.high], [1, 1, 1]);
    assert.equal(c.network?.measure, 'prefix_distribution');
    assert.equal(c.measures.find((m) => m.id === 'asn_distribution')!.available, false);
    assert.match(c.measures.find((m) => m.id === 'gap')!.detail, /^23 h 59 min/);
  });
});
