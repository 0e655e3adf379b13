import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatCombined, formatJson } from './access-log.ts';
import type { RequestRecord } from './request-record.ts';

const record: RequestRecord = {
  timeMs: Date.UTC(2026, 10, 28, 13, 5, 9),
  site: 'news',
  requestId: 'abcdefgh-00002a',
  outcome: 'forwarded',
  status: 200,
  method: 'GET',
  host: 'news.example',
  path: '/a?b="c"',
  httpVersion: '1.1',
  clientAddress: '203.0.113.7',
  prefix: '203.0.113.0/24',
  userAgent: 'Mozilla/5.0 "quoted"\n',
  referer: undefined,
  bytesIn: 120,
  bytesOut: 5120,
  durationMs: 12.345,
  originLatencyMs: 10.04,
  decisionBy: 'default/allow',
  cacheStatus: null,
  errorCode: null,
  cleared: false,
  asn: 64500,
  country: 'NL',
  fingerprint: 'ge11nr08_abc',
  uaClass: 'browser',
  challenge: null,
  level: 'normal',
};

test('Combined Log Format, parseable by stock fail2ban/CrowdSec patterns, with quotes escaped', () => {
  assert.equal(
    formatCombined(record),
    '203.0.113.7 - - [28/Nov/2026:13:05:09 +0000] "GET /a?b=\\"c\\" HTTP/1.1" 200 5120 "-" "Mozilla/5.0 \\"quoted\\"" "abcdefgh-00002a"\n',
  );
});

test('JSON lines carry the decision, outcome and timings', () => {
  const j = JSON.parse(formatJson(record));
  assert.equal(j.time, '2026-11-28T13:05:09.000Z');
  assert.equal(j.outcome, 'forwarded');
  assert.equal(j.decision, 'default/allow');
  assert.equal(j.duration_ms, 12.3);
  assert.equal(j.origin_ms, 10);
  assert.equal(j.referer, null);
});
