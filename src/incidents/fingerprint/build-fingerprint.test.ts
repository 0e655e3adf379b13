import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildFingerprint, distributionOf, distributionOfCounts } from './build-fingerprint.ts';
import { methodKey } from './fingerprint-recorder.ts';
import { fingerprintOf, parseFingerprint } from './read-fingerprint.ts';
import type { IncidentRecord } from '../../stores/index.ts';

const T = Date.UTC(2025, 2, 1, 12);
const SUMMARY = {
  version: 1, uncleared_requests: 10_000,
  top: {
    prefix: [{ key: '203.0.113.0/24', share: 0.6 }, { key: '2001:db8:1:2::/64', share: 0.3 }],
    address: [{ key: '203.0.113.7', share: 0.1 }],
    asn: [{ key: 64500, share: 0.9 }],
    path: [{ key: '/search', share: 0.95 }],
    user_agent: [{ key: 'kit/1', share: 0.4 }, { key: 'kit/2', share: 0.3 }, { key: 'kit/3', share: 0.2 }],
  },
  rate: { peak_rps: 500, mean_rps: 200, duration_s: 50, ramp_s: 4 },
  source_signature: [5, 9, 12],
};

function build(lookup = true) {
  return buildFingerprint({
    site: 'news', openedAtMs: T, endedAtMs: T + 50_000, totalRequests: 10_500, distinctSources: 1200, peakRps: 510, summary: SUMMARY,
    methods: { GET: 9000, POST: 1000 }, rateProfile: { bucket_seconds: 1, values: [100, 500, 300] },
    ...(lookup ? { lookup: (t: string) => (t.startsWith('203.0.113.') ? { asn: 64500, as_name: 'EXAMPLE-NET', country: 'NL' } : null) } : {}),
    normalShare: (d, k) => (d === 'prefix' && k === '203.0.113.0/24' ? 0.02 : 0),
  });
}

describe('attack fingerprint', () => {
  it('has the DDoS Clearing House style fields: distributions of http_uri, http_method, http_user_agent and source networks', () => {
    const f = build();
    const v = f.attack_vectors[0];
    assert.deepEqual(v.http_uri, { '/search': 0.95 });
    assert.deepEqual(v.http_method, { GET: 0.9, POST: 0.1 });
    assert.deepEqual(Object.keys(v.http_user_agent), ['kit/1', 'kit/2', 'kit/3']);
    assert.deepEqual(v.source_prefixes, { '203.0.113.0/24': 0.6, '2001:db8:1:2::/64': 0.3 });
    assert.deepEqual(v.source_asns, { 64500: 0.9 });
    assert.deepEqual(v.networks['203.0.113.0/24'], { asn: 64500, as_name: 'EXAMPLE-NET', country: 'NL' });
    assert.deepEqual(v.as_names, { 64500: 'EXAMPLE-NET' });
    assert.deepEqual(v.source_ips, ['203.0.113.7']);
    assert.equal(v.coverage.http_user_agent, 0.9);
    assert.deepEqual(v.normal_share_max?.source_prefixes, { '203.0.113.0/24': 0.02, '2001:db8:1:2::/64': 0 });
    assert.deepEqual(v.source_prefix_sketch, { k: 256, hashes: [5, 9, 12] });
    assert.deepEqual(f.tags, ['HTTP flood', 'GET flood', 'many sources', 'user-agent rotation']);
    assert.equal(f.time_start, '2025-03-01T12:00:00.000Z');
    assert.equal(f.duration_seconds, 50);
    assert.equal(f.peak_rps, 510);
  });

  it('has a key that is the SHA-256 of its content, the same for the same input', () => {
    assert.equal(build().key, build().key);
    assert.match(build().key, /^[0-9a-f]{64}$/);
    assert.notEqual(build(false).key, build().key, 'names are part of it');
  });

  it('keeps network names known earlier when the geo data is not loaded now', () => {
    const earlier = build();
    const later = buildFingerprint({ ...{ site: 'news', openedAtMs: T, endedAtMs: T + 60_000, totalRequests: 1, distinctSources: 1, peakRps: 1, summary: SUMMARY, methods: null, rateProfile: null }, previous: earlier });
    assert.equal(later.attack_vectors[0].networks['203.0.113.0/24']?.as_name, 'EXAMPLE-NET');
  });

  it('reads back what it stores, and rejects what it is not', () => {
    const f = build();
    assert.deepEqual(parseFingerprint(JSON.parse(JSON.stringify(f))), f);
    assert.equal(parseFingerprint({ version: 2 }), null);
    assert.equal(parseFingerprint(null), null);
  });

  it('derives one for an incident recorded before fingerprints, from its summary and timeline', () => {
    const r = { id: 'inc-1', site: 'news', openedAtMs: T, closedAtMs: T + 3000, lastSecondMs: T + 2000, totalRequests: 600, distinctSources: 10, peakRps: 300, summary: SUMMARY } as unknown as IncidentRecord;
    const f = fingerprintOf(r, [{ t: T, requests: 100, distinct: 1, level: 'elevated' }, { t: T + 1000, requests: 300, distinct: 1, level: 'under_attack' }]);
    assert.equal(f.fidelity, 'summary');
    assert.deepEqual(f.attack_vectors[0].http_method, {});
    assert.deepEqual(f.rate_profile, { bucket_seconds: 1, values: [100, 300] });
  });

  it('distributions: merged, capped, largest first; methods by name or OTHER', () => {
    assert.deepEqual(distributionOf([{ key: 'a', share: 0.1 }, { key: 'b', share: 0.5 }, { key: 'a', share: 0.1 }, { key: 'bad' }], 2), { b: 0.5, a: 0.2 });
    assert.deepEqual(distributionOfCounts({ GET: 3, POST: 1 }), { GET: 0.75, POST: 0.25 });
    assert.deepEqual([methodKey('GET'), methodKey('post'), methodKey('BREW'), methodKey('')], ['GET', 'POST', 'OTHER', 'OTHER']);
  });
});
