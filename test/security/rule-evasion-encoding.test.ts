/**
 * Rule evasion by encoding (docs/threats.md): percent-encoding, dot segments and duplicate slashes must not
 * slip a request past a path rule while the origin, which decodes and resolves them, serves the
 * protected path. Rules, the cache key, the 404 budget, the record and the origin all see one
 * normalised path (core/http/request-target.ts); escaped separators are refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';

let origin: SimpleOrigin;
let b: TestBulwark;
const records: RequestRecord[] = [];

before(async () => {
  // An origin that resolves what it is given the way common servers do: decoded, dots resolved,
  // slashes merged, and IIS / Symfony's X-Original-URL honoured.
  origin = await startSimpleOrigin((req, res) => {
    const override = req.headers['x-original-url'];
    const resolved = new URL(typeof override === 'string' ? override : req.url!, 'http://origin').pathname.replace(/\/+/g, '/');
    const path = decodeURIComponent(resolved);
    const secret = path === '/admin' || path === '/wp-login.php';
    const body = secret ? `SECRET ${path}` : `page ${req.url}`;
    res.writeHead(path.startsWith('/missing') ? 404 : 200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=60' });
    res.end(body);
  });
  b = await startBulwark({
    policy: { escalation: { enabled: false }, not_found: { average: 3, period: '1m', burst: 3 } },
    sites: [
      {
        name: 'site', hosts: ['*'], origins: [origin.url],
        shield: { cache: { admit_after_uses: 1 } },
        policy: { rules: [{ name: 'no-admin', match: { path: ['=/admin', '=/wp-login.php'] }, action: 'block' }] },
      },
    ],
  });
  b.bulwark.recorder.addSink('test', (r) => records.push(r));
});

after(async () => {
  await b.stop();
  await origin.close();
});

const get = (target: string, extra = '', from = '127.0.92.1') => rawExchange(b.port, `GET ${target} HTTP/1.1\r\nHost: site.test\r\n${extra}Connection: close\r\n\r\n`, { localAddress: from });

test('rule evasion by percent-encoding and dot segments: every spelling of a blocked path is blocked, none reaches the origin', async () => {
  const spellings = ['/admin', '/%61dmin', '/%61%64%6D%69%6E', '/wp-login%2ephp', '/wp-login%2Ephp', '/x/../admin', '/x/%2e%2e/admin', '/./admin', '//admin', '/x//..//admin', '/admin/.', '/%2e/admin'];
  for (const target of spellings) {
    const r = await get(target);
    assert.equal(r.status, target.endsWith('/.') ? 200 : 403, target);
    assert.doesNotMatch(r.text, /SECRET/, `${target} reached the protected page`);
  }
  assert.ok(!origin.requests.some((q) => q.url !== '/admin/' && /admin|wp-login/.test(q.url)), `forwarded: ${origin.requests.map((q) => q.url).join(' ')}`);
});

test('rule evasion by encoded separators: %2F and %5C in a path are refused with 400', async () => {
  for (const target of ['/admin%2F', '/x%2F..%2Fadmin', '/x%5C..%5Cadmin', '/a%00']) {
    const r = await get(target);
    assert.equal(r.status, 400, target);
    assert.match(r.text, /Request ID/);
  }
  assert.ok(!origin.requests.some((q) => /%2F|%5C|%00/i.test(q.url)));
});

test('rule evasion by path override fields: X-Original-URL never reaches the origin', async () => {
  const r = await get('/harmless', 'X-Original-URL: /admin\r\nX-Rewrite-URL: /admin\r\n');
  assert.equal(r.status, 200);
  assert.doesNotMatch(r.text, /SECRET/);
});

test('rule evasion by encoding: the cache key, the record and the origin see the one normalised path', async () => {
  const seen = origin.requests.length;
  assert.match((await get('/news/story')).text, /page \/news\/story/);
  const r = await get('/news/%73tory/../%73tory');
  assert.match(r.text, /x-bulwark-cache: HIT/i, 'a spelling of a cached page is the same cache key');
  assert.deepEqual(origin.requests.slice(seen).map((q) => q.url), ['/news/story']);
  const rec = records.filter((x) => x.path.startsWith('/news'));
  assert.deepEqual(rec.map((x) => x.path), ['/news/story', '/news/story']);
});

test('rule evasion by encoding: the refusal lane, which answers before parse, records the normalised path too', async () => {
  const limited = await startBulwark({
    policy: { escalation: { enabled: false } },
    sites: [{ name: 'lane', hosts: ['*'], origins: [origin.url], policy: { limits: [{ name: 'one', average: 1, period: '1m', burst: 1, key: ['address'] }] } }],
  });
  const seen: RequestRecord[] = [];
  limited.bulwark.recorder.addSink('test', (r) => seen.push(r));
  try {
    const req = (target: string) => `GET ${target} HTTP/1.1\r\nHost: lane.test\r\n\r\n`;
    const r = await rawExchange(limited.port, req('/first') + req('/second') + req('/x/%2e%2e/admin') + req('/third'), { localAddress: '127.0.92.9', idleMs: 500 });
    assert.deepEqual([...r.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])), [200, 429, 429, 429]);
    assert.deepEqual(seen.map((x) => x.path), ['/first', '/second', '/admin', '/third']);
  } finally {
    await limited.stop();
  }
});
