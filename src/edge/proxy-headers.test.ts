import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientResponseHeaders, originRequestHeaders, originResponseHeaders } from './proxy-headers.ts';

const facts = { clientAddress: '203.0.113.7', trustedForwardedFor: '', proto: 'https' as const, host: 'example.org', requestId: 'rid-1', originHost: null };

function toMap(flat: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) {
    const k = flat[i]!.toLowerCase();
    m.set(k, [...(m.get(k) ?? []), flat[i + 1]!]);
  }
  return m;
}

test('hop-by-hop request headers are removed, including those named in Connection (RFC 9110 §7.6.1)', () => {
  const out = toMap(
    originRequestHeaders(
      ['Host', 'example.org', 'Connection', 'keep-alive, X-Secret', 'X-Secret', 's', 'Keep-Alive', 'timeout=5', 'TE', 'trailers', 'Upgrade', 'h2c', 'Proxy-Authorization', 'x', 'Transfer-Encoding', 'chunked', 'Accept', '*/*'],
      facts,
    ),
  );
  for (const h of ['connection', 'x-secret', 'keep-alive', 'te', 'upgrade', 'proxy-authorization', 'transfer-encoding']) assert.equal(out.has(h), false, h);
  assert.deepEqual(out.get('accept'), ['*/*']);
  assert.deepEqual(out.get('host'), ['example.org']);
});

test('X-Forwarded-* and Via are set by Bulwark, never taken from the client', () => {
  const out = toMap(originRequestHeaders(['X-Forwarded-For', '1.2.3.4', 'X-Forwarded-Proto', 'gopher', 'X-Request-Id', 'evil', 'Via', '1.0 other'], facts));
  assert.deepEqual(out.get('x-forwarded-for'), ['203.0.113.7']);
  assert.deepEqual(out.get('x-forwarded-proto'), ['https']);
  assert.deepEqual(out.get('x-forwarded-host'), ['example.org']);
  assert.deepEqual(out.get('x-request-id'), ['rid-1']);
  assert.deepEqual(out.get('via'), ['1.0 other, 1.1 bulwark']);
});

test('a trusted chain is extended with the client address', () => {
  const out = toMap(originRequestHeaders([], { ...facts, trustedForwardedFor: '198.51.100.1, 10.0.0.2' }));
  assert.deepEqual(out.get('x-forwarded-for'), ['198.51.100.1, 10.0.0.2, 203.0.113.7']);
});

test('Host is replaced when the site does not preserve it', () => {
  const out = toMap(originRequestHeaders(['Host', 'example.org'], { ...facts, originHost: 'backend:8080' }));
  assert.deepEqual(out.get('host'), ['backend:8080']);
});

test('response: hop-by-hop removed, Set-Cookie kept as separate fields, request ID and Via added', () => {
  const raw = ['Content-Type', 'text/html', 'Connection', 'close, X-Internal', 'X-Internal', '1', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'X-Request-Id', 'origin-id'].map((s) => Buffer.from(s));
  const out = toMap(clientResponseHeaders(raw, 'rid-9'));
  assert.equal(out.has('connection'), false);
  assert.equal(out.has('x-internal'), false);
  assert.equal(out.has('transfer-encoding'), false);
  assert.deepEqual(out.get('set-cookie'), ['a=1', 'b=2']);
  assert.deepEqual(out.get('x-request-id'), ['rid-9']);
  assert.deepEqual(out.get('via'), ['1.1 bulwark']);
});

test('what the cache stores is the origin\'s fields: no request ID, the origin\'s Via chain without Bulwark\'s', () => {
  const plain = clientResponseHeaders(['Content-Type', 'text/plain', 'X-Request-Id', 'from-origin'], 'rid-9');
  assert.deepEqual(originResponseHeaders(plain), ['Content-Type', 'text/plain']);
  const chained = clientResponseHeaders(['Via', '1.1 cdn', 'Content-Type', 'text/plain'], 'rid-9');
  assert.deepEqual(originResponseHeaders(chained), ['Content-Type', 'text/plain', 'via', '1.1 cdn']);
  // A list of another shape: request IDs dropped all the same.
  assert.deepEqual(originResponseHeaders(['A', '1', 'X-Request-Id', 'x', 'B', '2']), ['A', '1', 'B', '2']);
});
