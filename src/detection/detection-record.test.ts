import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pathOf, toRequestEvent, type DetectionRecord } from './detection-record.ts';

const record: DetectionRecord = {
  timeMs: 1, site: 'news', outcome: 'forwarded', status: 200, path: '/search?q=1', clientAddress: '203.0.113.7', prefix: '203.0.113.0/24',
  userAgent: 'curl/8', bytesIn: 10, bytesOut: 20, originLatencyMs: 12, decisionBy: 'default/allow', cacheStatus: 'HIT', cleared: true,
  asn: 64500, country: 'DE', fingerprint: 'fp1', uaClass: 'library', challenge: 'solved',
};

describe('request record → detector event', () => {
  it('maps every field', () => {
    assert.deepEqual(toRequestEvent(record), {
      site: 'news', outcome: 'forwarded', status: 200, address: '203.0.113.7', prefix: '203.0.113.0/24', asn: 64500, country: 'DE', path: '/search',
      userAgent: 'curl/8', fingerprint: 'fp1', cleared: true, originLatencyMs: 12, bytesIn: 10, bytesOut: 20, cache: 'hit', challenge: 'solved',
    });
  });

  it('turns unknowns into null', () => {
    const e = toRequestEvent({ ...record, prefix: '', country: '', userAgent: undefined, fingerprint: '', originLatencyMs: -1, cacheStatus: 'weird', path: '' });
    assert.deepEqual([e.prefix, e.country, e.userAgent, e.fingerprint, e.originLatencyMs, e.cache, e.path], [null, null, null, null, null, null, null]);
  });

  const paths: Array<[string, string | null]> = [['/a?b', '/a'], ['/a', '/a'], ['?x', null], ['', null], ['*', '*']];
  for (const [input, out] of paths) it(`path ${JSON.stringify(input)}`, () => assert.equal(pathOf(input), out));
});
