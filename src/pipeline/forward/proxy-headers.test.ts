import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import http, { type IncomingMessage } from 'node:http';
import { BulwarkResponse } from '../pages/prepared-head.ts';
import { clientResponseHeaders, originRequestHeaders, originResponseHeaders, writeClientHead } from './proxy-headers.ts';

const facts = { clientAddress: '203.0.113.7', trustedForwardedFor: '', proto: 'https' as const, authority: 'example.org', requestId: 'rid-1', originHost: 'example.org' };

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

test('Connection cannot strip Host nor any field Bulwark sets', () => {
  const out = toMap(
    originRequestHeaders(['Host', 'example.org', 'Connection', 'host, x-forwarded-for, x-forwarded-host, x-forwarded-proto, via, x-request-id, accept-language', 'Accept-Language', 'fr'], facts),
  );
  assert.deepEqual(out.get('host'), ['example.org']);
  assert.deepEqual(out.get('x-forwarded-for'), ['203.0.113.7']);
  assert.deepEqual(out.get('x-forwarded-host'), ['example.org']);
  assert.deepEqual(out.get('x-forwarded-proto'), ['https']);
  assert.deepEqual(out.get('x-request-id'), ['rid-1']);
  assert.deepEqual(out.get('via'), ['1.1 bulwark']);
  // Any other named field goes (and parse removed it from what Bulwark reads: forwarded-fields.ts).
  assert.equal(out.has('accept-language'), false);
});

test('fields origins read instead of Host, scheme, port, path or method never come from the client', () => {
  const names = ['X-Forwarded-Port', 'X-Forwarded-Server', 'X-Forwarded-Scheme', 'X-Forwarded-Ssl', 'X-Forwarded-Prefix', 'Front-End-Https', 'X-Host', 'X-Original-Host', 'X-Original-URL', 'X-Rewrite-URL', 'X-HTTP-Method-Override', 'Forwarded', 'X-Real-IP'];
  const out = toMap(originRequestHeaders(names.flatMap((n) => [n, 'evil']), facts));
  for (const n of names) assert.equal(out.has(n.toLowerCase()), false, n);
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

test('Host is always Bulwark\'s: the origin URL\'s host when the site does not preserve it', () => {
  const out = toMap(originRequestHeaders(['Host', 'Example.ORG.:80'], { ...facts, originHost: 'backend:8080' }));
  assert.deepEqual(out.get('host'), ['backend:8080']);
  assert.deepEqual(out.get('x-forwarded-host'), ['example.org']);
  const kept = originRequestHeaders(['Host', 'Example.ORG.:80'], facts);
  assert.deepEqual(kept.slice(0, 2), ['host', 'example.org']);
  assert.equal(kept.filter((v, i) => i % 2 === 0 && v.toLowerCase() === 'host').length, 1);
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

// Model-based: whatever the spelling and order of the fields, and whether a Connection names fields or
// not (the remembered fast path or the general one), both directions follow RFC 9110 §7.6.1 as written
// here from scratch.
const NAMES = ['Accept', 'Cookie', 'X-Bench-N', 'Cache-Control', 'Expires', 'Via', 'Connection', 'Keep-Alive', 'TE', 'Trailer', 'Upgrade', 'Transfer-Encoding', 'Proxy-Authorization', 'X-Request-Id', 'X-Forwarded-For', 'Host', 'X-Internal', 'Set-Cookie', 'Content-Length'];
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authenticate', 'proxy-authorization']);
const fieldArb = fc.tuple(
  fc.constantFrom(...NAMES),
  fc.constantFrom('lower', 'upper', 'as is'),
  fc.constantFrom('1', 'keep-alive', 'close', 'Keep-Alive', 'x-internal', 'close, X-Internal', 'cookie, accept', 'via', 'cache-control', '1.0 cdn'),
).map(([n, c, v]) => [c === 'lower' ? n.toLowerCase() : c === 'upper' ? n.toUpperCase() : n, v] as const);

function connectionNamed(fields: readonly (readonly [string, string])[]): Set<string> {
  const named = new Set<string>();
  for (const [n, v] of fields) if (n.toLowerCase() === 'connection') for (const t of v.split(',')) named.add(t.trim().toLowerCase());
  named.delete('keep-alive');
  named.delete('close');
  named.delete('');
  return named;
}

test('property: the client gets every origin field but hop-by-hop, Connection-named and X-Request-Id ones, in order', () => {
  fc.assert(
    fc.property(fc.array(fieldArb, { maxLength: 12 }), fc.boolean(), (fields, asBuffers) => {
      const named = connectionNamed(fields);
      const expected: string[] = [];
      const vias: string[] = [];
      for (const [n, v] of fields) {
        const lower = n.toLowerCase();
        if (HOP.has(lower) || lower === 'x-request-id' || named.has(lower)) continue;
        if (lower === 'via') vias.push(v);
        else expected.push(n, v);
      }
      expected.push('x-request-id', 'rid', 'via', [...vias, '1.1 bulwark'].join(', '));
      const raw: (Buffer | string)[] = fields.flatMap(([n, v]): (Buffer | string)[] => (asBuffers ? [Buffer.from(n), Buffer.from(v)] : [n, v]));
      const facts = { explicitFreshness: false, plainHead: false, hasDate: false, checkedValues: 0 };
      assert.deepEqual(clientResponseHeaders(raw, 'rid', facts), expected);
      const fresh = expected.some((x, i) => i % 2 === 0 && (x.toLowerCase() === 'cache-control' || x.toLowerCase() === 'expires'));
      // False only when surely no freshness field crossed (true is allowed when unsure).
      if (!facts.explicitFreshness) assert.equal(fresh, false);
      if (named.size === 0) assert.equal(facts.explicitFreshness, fresh);
    }),
  );
});

test('property: the origin gets every client field but hop-by-hop, Bulwark-set and Connection-named ones, in order', () => {
  const never = new Set(['host', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id']);
  fc.assert(
    fc.property(fc.array(fieldArb, { maxLength: 12 }), (fields) => {
      const named = connectionNamed(fields);
      for (const keep of ['host', 'content-length', 'via', ...never]) named.delete(keep);
      const expected: string[] = ['host', 'example.org'];
      const vias: string[] = [];
      for (const [n, v] of fields) {
        const lower = n.toLowerCase();
        if (HOP.has(lower) || never.has(lower) || named.has(lower)) continue;
        if (lower === 'via') vias.push(v);
        else expected.push(n, v);
      }
      expected.push('x-forwarded-for', '203.0.113.7', 'x-forwarded-proto', 'https', 'x-forwarded-host', 'example.org', 'x-request-id', 'rid-1', 'via', [...vias, '1.1 bulwark'].join(', '));
      assert.deepEqual(originRequestHeaders(fields.flatMap(([n, v]) => [n, v]), facts), expected);
    }),
  );
});

type Internals = { _header: string | null; _last: boolean; chunkedEncoding: boolean; shouldKeepAlive: boolean; _keepAliveTimeout: number };
const fakeReq = (method: string) => ({ method, httpVersionMajor: 1, httpVersionMinor: 1, headers: {} }) as unknown as IncomingMessage;
const noDate = (h: string | null) => h?.replace(/\r\nDate: [^\r]*/, '') ?? null;

test('property: the client head is byte for byte what node:http writes for the same list, and refused alike', () => {
  const field = fc.tuple(
    fc.constantFrom('Content-Type', 'content-length', 'Date', 'Set-Cookie', 'Connection', 'Keep-Alive', 'Transfer-Encoding', 'Expect', 'Trailer', 'X-Bad Name', 'Via', 'ETag', 'Cache-Control'),
    fc.constantFrom('text/html', '12', 'Tue, 01 Jan 2030 00:00:00 GMT', 'a=1; Path=/', 'keep-alive', 'close', 'timeout=5', 'chunked', '100-continue', 'x\u0001y', 'tab\there', 'del\u007f', 'caf\u00e9', '1.1 cdn'),
  );
  fc.assert(
    fc.property(fc.array(field, { maxLength: 10 }), fc.boolean(), fc.constantFrom('GET', 'HEAD'), fc.constantFrom(200, 204, 304, 404), (fields, keepAlive, method, status) => {
      const raw = fields.flatMap(([n, v]) => [Buffer.from(n, 'latin1'), Buffer.from(v, 'latin1')]);
      const facts = { explicitFreshness: false, plainHead: false, hasDate: false, checkedValues: 0 };
      const list = clientResponseHeaders(raw, 'rid-1', facts);
      list.push('x-bulwark-cache', 'MISS');
      const ours = new BulwarkResponse(fakeReq(method));
      const node = new http.ServerResponse(fakeReq(method));
      for (const r of [ours, node] as unknown as Internals[]) {
        r.shouldKeepAlive = keepAlive;
        r._keepAliveTimeout = 5000;
      }
      let nodeError: unknown = null;
      try {
        node.writeHead(status, [...list]);
      } catch (err) {
        nodeError = err;
      }
      let ourError: unknown = null;
      let block = false;
      try {
        block = writeClientHead(ours, status, list, facts);
      } catch (err) {
        ourError = err;
      }
      assert.equal((ourError as { code?: string } | null)?.code, (nodeError as { code?: string } | null)?.code);
      if (nodeError !== null) return;
      const a = ours as unknown as Internals;
      const b = node as unknown as Internals;
      assert.equal(noDate(a._header), noDate(b._header));
      assert.equal(a._last, b._last);
      assert.equal(a.chunkedEncoding, b.chunkedEncoding);
      // The block is taken whenever the names allow it and a Content-Length is there.
      const names = fields.map(([n]) => n.toLowerCase());
      const plainNames = !names.some((n) => ['x-bad name', 'expect'].includes(n)) && !fields.some(([n, v]) => n === 'Connection' && v !== 'keep-alive' && v !== 'close');
      if (plainNames && names.includes('content-length')) assert.equal(block, true, JSON.stringify(fields));
    }),
    { numRuns: 500 },
  );
});
