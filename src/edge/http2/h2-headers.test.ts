import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headersObjectOf, headListSize, h1ViewOf, responseHead } from './h2-headers.ts';

describe('HTTP/2 headers in their HTTP/1.1 view', () => {
  const cases: [name: string, raw: string[], rawHeaders: string[], host: string][] = [
    ['authority becomes Host, first', [':method', 'GET', ':scheme', 'https', ':authority', 'a.test', ':path', '/', 'accept', '*/*'], ['host', 'a.test', 'accept', '*/*'], 'a.test'],
    ['a host field equal to :authority is not repeated', [':authority', 'a.test', 'host', 'a.test', 'x', '1'], ['host', 'a.test', 'x', '1'], 'a.test'],
    ['a host field that differs is kept (parse refuses two Hosts)', [':authority', 'a.test', 'host', 'b.test'], ['host', 'a.test', 'host', 'b.test'], 'a.test'],
    ['no :authority: the host field', [':method', 'GET', 'host', 'c.test'], ['host', 'c.test'], 'c.test'],
    ['cookie crumbs joined with "; " at the first crumb (RFC 9113 §8.2.3)', [':authority', 'a', 'cookie', 'a=1', 'x', 'y', 'cookie', 'b=2'], ['host', 'a', 'cookie', 'a=1; b=2', 'x', 'y'], 'a'],
  ];
  for (const [name, raw, rawHeaders, host] of cases) {
    it(name, () => assert.deepEqual(h1ViewOf(raw), { rawHeaders, host }));
  }

  it('the headers object follows node:http: repeats of single-value fields discarded, set-cookie an array, cookie joined', () => {
    const h = headersObjectOf(['Host', 'a', 'host', 'b', 'Accept', 'x', 'accept', 'y', 'set-cookie', '1', 'Set-Cookie', '2', 'cookie', 'a=1', 'cookie', 'b=2', 'User-Agent', 'u1', 'user-agent', 'u2']);
    assert.deepEqual({ ...h }, { host: 'a', accept: 'x, y', 'set-cookie': ['1', '2'], cookie: 'a=1; b=2', 'user-agent': 'u1' });
  });

  it('a response head drops connection-specific fields, merges setHeader under writeHead and sizes it', () => {
    const set = new Map<string, string | string[]>([['content-type', 'text/plain'], ['x-a', '1']]);
    const { head, size } = responseHead(200, set, ['X-A', '2', 'Connection', 'close', 'transfer-encoding', 'chunked', 'set-cookie', 'a', 'set-cookie', 'b', 'content-length', '5']);
    assert.deepEqual({ ...head }, { ':status': 200, 'content-type': 'text/plain', 'x-a': '2', 'set-cookie': ['a', 'b'], 'content-length': '5' });
    assert.equal(size, 42 + (12 + 10 + 32) + (3 + 1 + 32) + 2 * (10 + 1 + 32) + (14 + 1 + 32));
    assert.deepEqual({ ...responseHead(404, new Map(), { 'Cache-Control': 'no-store', 'content-length': 0 }).head }, { ':status': 404, 'cache-control': 'no-store', 'content-length': '0' });
  });

  it('header list size as RFC 9113 §6.5.2 counts it', () => {
    assert.equal(headListSize([':path', '/', 'a', 'bc']), 5 + 1 + 32 + 1 + 2 + 32);
  });
});
