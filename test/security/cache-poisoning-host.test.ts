/**
 * Web cache poisoning through the Host (docs/threats.md, "cache poisoning"): a cacheable page the origin
 * builds from the Host it receives must never be served to visitors of another authority. An attacker
 * chooses the Host (any port on an exact host, any name under `*.suffix` or `*`), strips it with
 * `Connection: Host`, or sends a field some origins read instead of it (`X-Forwarded-Port`,
 * `X-Original-URL`, ...); the page the origin builds for that must stay the attacker's own. Also over
 * the wire's cache-hit path (edge/wire/hit.ts), which answers copies before node:http parses them.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { KeepAliveClient } from '../helpers/keep-alive-client.ts';

let origin: SimpleOrigin;
let b: TestBulwark;

before(async () => {
  // An origin that builds absolute links from what it is told about the host, as many frameworks do.
  origin = await startSimpleOrigin((req, res) => {
    const h = req.headers;
    const body = `host=${h.host} xfh=${h['x-forwarded-host'] ?? '-'} port=${h['x-forwarded-port'] ?? '-'} url=${h['x-original-url'] ?? '-'} lang=${h['accept-language'] ?? '-'}`;
    const fields: Record<string, string | number> = { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=60' };
    if (req.url?.startsWith('/lang')) fields.vary = 'Accept-Language';
    res.writeHead(200, fields);
    res.end(body);
  });
  const cache = { cache: { admit_after_uses: 1 } };
  b = await startBulwark({
    policy: { escalation: { enabled: false } },
    sites: [
      { name: 'news', hosts: ['news.test', '*.news.test'], origins: [origin.url], shield: cache },
      { name: 'any', hosts: ['*'], origins: [origin.url], shield: cache },
    ],
  });
});

after(async () => {
  await b.stop();
  await origin.close();
});

async function get(path: string, headers: Record<string, string>): Promise<{ body: string; cache: string }> {
  const res = await request(`${b.url}${path}`, { headers });
  return { body: await res.body.text(), cache: String(res.headers['x-bulwark-cache']) };
}

test('cache poisoning through Host: a port of the attacker\'s choosing on an exact host stays the attacker\'s page', async () => {
  const attack = await get('/port', { host: 'news.test:1337' });
  assert.match(attack.body, /^host=news\.test:1337 xfh=news\.test:1337 /);
  for (let i = 0; i < 3; i++) {
    const visitor = await get('/port', { host: 'news.test' });
    assert.match(visitor.body, /^host=news\.test xfh=news\.test /, `visitor ${i} got a page built for another Host`);
  }
  assert.equal((await get('/port', { host: 'news.test' })).cache, 'HIT', 'the visitors\' own page is cached');
});

test('cache poisoning through Host: any name under *.suffix or * stays the attacker\'s page', async () => {
  assert.match((await get('/wild', { host: 'evil.news.test' })).body, /^host=evil\.news\.test /);
  assert.match((await get('/wild', { host: 'www.news.test' })).body, /^host=www\.news\.test /);
  assert.match((await get('/any', { host: 'attacker.example' })).body, /^host=attacker\.example /);
  assert.match((await get('/any', { host: 'site.example' })).body, /^host=site\.example /);
});

test('cache poisoning through Host: spellings of one authority share one page, and the origin sees the normalised one', async () => {
  const seen = origin.requests.length;
  assert.match((await get('/spell', { host: 'NEWS.test.:80' })).body, /^host=news\.test xfh=news\.test /);
  const again = await get('/spell', { host: 'news.test' });
  assert.equal(again.cache, 'HIT');
  assert.match(again.body, /^host=news\.test /);
  assert.deepEqual(origin.requests.slice(seen).map((r) => r.headers.host), ['news.test']);
});

test('cache poisoning through Host: absolute-form targets name the authority like Host does', async () => {
  const r = await rawExchange(b.port, 'GET http://news.test:1337/absolute HTTP/1.1\r\nHost: news.test:1337\r\nConnection: close\r\n\r\n');
  assert.match(r.text, /host=news\.test:1337 /);
  assert.match((await get('/absolute', { host: 'news.test' })).body, /^host=news\.test /);
});

test('cache poisoning through Connection: a client cannot strip Host, nor a field the page varies on', async () => {
  const r = await rawExchange(b.port, 'GET /conn HTTP/1.1\r\nHost: news.test:1337\r\nConnection: Host, X-Forwarded-Host\r\n\r\n', { idleMs: 300 });
  assert.equal(r.status, 200);
  assert.match(r.text, /host=news\.test:1337 xfh=news\.test:1337 /, 'the origin got the routed authority, not its own address');
  assert.match((await get('/conn', { host: 'news.test' })).body, /^host=news\.test /);
  // A page varying on Accept-Language: the attacker hides its language from the origin only.
  const hidden = await rawExchange(b.port, 'GET /lang HTTP/1.1\r\nHost: news.test\r\nAccept-Language: fr\r\nConnection: accept-language\r\n\r\n', { idleMs: 300 });
  assert.match(hidden.text, /lang=-/);
  const french = await get('/lang', { host: 'news.test', 'accept-language': 'fr' });
  assert.match(french.body, /lang=fr$/, 'a French visitor got the page built without a language');
  for (const q of origin.requests) assert.ok(q.headers.host !== undefined && !q.headers.host.startsWith('127.0.0.1'), `the origin saw Host ${q.headers.host}`);
});

test('cache poisoning through host and path override fields: X-Forwarded-Port, X-Original-URL and the like never reach the origin', async () => {
  const attack = await get('/override', {
    host: 'news.test',
    'x-forwarded-port': '1337',
    'x-original-url': '/admin',
    'x-forwarded-scheme': 'http',
    'x-forwarded-server': 'evil.example',
    'x-host': 'evil.example',
    'x-http-method-override': 'POST',
  });
  assert.match(attack.body, /port=- url=- /);
  assert.match((await get('/override', { host: 'news.test' })).body, /port=- url=- /);
  for (const q of origin.requests) {
    for (const name of ['x-forwarded-port', 'x-original-url', 'x-forwarded-scheme', 'x-forwarded-server', 'x-host', 'x-http-method-override']) {
      assert.equal(q.headers[name], undefined, `${name} reached the origin`);
    }
  }
});

test('cache poisoning through Host on the wire: copies answered before node:http parses them keep their own authority', async () => {
  const wire = () => (b.bulwark.stats() as { wire: { answered: number } }).wire.answered;
  const copy = (host: string) => `GET /wire HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: flood/1.0\r\n\r\n`;
  const attacker = await KeepAliveClient.open(b.port, '127.0.91.1');
  const visitor = await KeepAliveClient.open(b.port, '127.0.91.2');
  const before = wire();
  for (let i = 0; i < 6; i++) {
    const a = await attacker.send(copy('news.test:1337'));
    const v = await visitor.send(copy('news.test'));
    assert.match(a!.raw, /host=news\.test:1337 /, `attacker copy ${i}`);
    assert.match(v!.raw, /host=news\.test xfh=news\.test /, `visitor copy ${i}`);
  }
  assert.ok(wire() - before >= 4, 'copies were answered on the wire');
  attacker.close();
  visitor.close();
});
