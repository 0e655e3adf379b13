/**
 * Forwarding over real sockets: routing by Host, header rewriting, request IDs,
 * origin failures as 502/504 pages that never show the origin's address, and one record per request.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { request } from 'undici';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

let origin: SimpleOrigin;
let slow: SimpleOrigin;
let silent: net.Server;
let silentPort: number;
let b: TestBulwark;

before(async () => {
  origin = await startSimpleOrigin();
  slow = await startSimpleOrigin((_req, res) => setTimeout(() => res.end('late'), 3000).unref());
  // Accepts TCP but never speaks: an https origin here never finishes its TLS handshake (connect timeout).
  silent = net.createServer(() => {}).listen(0, '127.0.0.1');
  await new Promise((r) => silent.once('listening', r));
  silentPort = (silent.address() as net.AddressInfo).port;
  b = await startBulwark({
    sites: [
      { name: 'main', hosts: ['main.test'], origins: [origin.url], max_body_bytes: 1024 },
      { name: 'slow', hosts: ['slow.test'], origins: [slow.url], origin: { headers_timeout: '300ms' } },
      { name: 'down', hosts: ['down.test'], origins: ['http://127.0.0.1:9'] },
      { name: 'hang', hosts: ['hang.test'], origins: [`https://127.0.0.1:${silentPort}`], origin: { connect_timeout: '300ms' } },
    ],
  });
});

after(async () => {
  await b.stop();
  await origin.close();
  await slow.close();
  silent.close();
});

test('a request is forwarded with X-Forwarded-*, Via and a request ID that comes back to the client', async () => {
  const res = await request(`${b.url}/a/b?c=d`, { headers: { host: 'main.test:8080', 'x-forwarded-for': '6.6.6.6', 'x-request-id': 'forged-id-123' } });
  const body = (await res.body.json()) as { url: string; headers: Record<string, string> };
  assert.equal(res.statusCode, 200);
  assert.equal(body.url, '/a/b?c=d');
  assert.equal(body.headers['x-forwarded-for'], '127.0.0.1', 'client-supplied XFF is not trusted');
  assert.equal(body.headers['x-forwarded-proto'], 'http');
  assert.equal(body.headers['x-forwarded-host'], 'main.test:8080');
  assert.equal(body.headers.via, '1.1 bulwark');
  assert.equal(body.headers.host, 'main.test:8080');
  const id = res.headers['x-request-id'];
  assert.equal(typeof id, 'string');
  assert.notEqual(id, 'forged-id-123');
  assert.equal(body.headers['x-request-id'], id);
});

test('hop-by-hop headers named in Connection never reach the origin', async () => {
  const r = await rawExchange(b.port, 'GET /hop HTTP/1.1\r\nHost: main.test\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=1\r\nX-Kept: yes\r\n\r\n', { idleMs: 300 });
  assert.equal(r.status, 200);
  const seen = origin.requests.find((q) => q.url === '/hop')!;
  assert.equal(seen.headers['x-hop'], undefined);
  assert.equal(seen.headers['x-kept'], 'yes');
});

test('one keep-alive connection changing Host is routed per request (routing is remembered per connection, per Host)', async () => {
  const r = await rawExchange(
    b.port,
    'GET /a HTTP/1.1\r\nHost: main.test\r\n\r\nGET /b HTTP/1.1\r\nHost: nobody.test\r\n\r\nGET /c HTTP/1.1\r\nHost: main.test\r\n\r\nGET /d HTTP/1.1\r\nHost: bad host\r\n\r\n',
    { idleMs: 500 },
  );
  // Bodies do not end in a newline: status lines are found anywhere (no body here contains one).
  const statuses = [...r.text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
  assert.deepEqual(statuses, [200, 421, 200, 400]);
  assert.ok(origin.requests.some((q) => q.url === '/a') && origin.requests.some((q) => q.url === '/c'));
  assert.ok(!origin.requests.some((q) => q.url === '/b' || q.url === '/d'));
});

test('an unknown host gets a small 421 page and costs nothing upstream', async () => {
  const before = origin.requests.length;
  const res = await request(`${b.url}/`, { headers: { host: 'nobody.test', accept: 'text/html' } });
  const text = await res.body.text();
  assert.equal(res.statusCode, 421);
  assert.match(text, /Unknown site/);
  assert.match(text, new RegExp(String(res.headers['x-request-id'])));
  assert.equal(origin.requests.length, before);
});

test('a declared body over max_body_bytes is refused with 413 before forwarding', async () => {
  const before = origin.requests.length;
  const res = await request(`${b.url}/upload`, { method: 'POST', headers: { host: 'main.test' }, body: Buffer.alloc(4096) });
  await res.body.dump();
  assert.equal(res.statusCode, 413);
  assert.equal(origin.requests.length, before);
});

test('a chunked body over max_body_bytes is cut off with 413', async () => {
  const chunk = 'a'.repeat(600);
  const r = await rawExchange(
    b.port,
    `POST /up HTTP/1.1\r\nHost: main.test\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`,
    { idleMs: 500 },
  );
  assert.ok(r.status === 413 || (r.status === 0 && r.closed), `got ${r.text.slice(0, 80)}`);
});

test('an unreachable origin is a 502 page that shows the request ID and not the origin address', async () => {
  const res = await request(`${b.url}/`, { headers: { host: 'down.test', accept: 'application/json' } });
  const body = (await res.body.json()) as Record<string, unknown>;
  assert.equal(res.statusCode, 502);
  assert.equal(body.error, 'origin_unreachable');
  assert.equal(body.request_id, res.headers['x-request-id']);
  assert.doesNotMatch(JSON.stringify(body), /127\.0\.0\.1|:9\b|ECONNREFUSED/);
  assert.equal(res.headers['retry-after'], '5');
});

test('an origin that does not answer in headers_timeout is a 504', async () => {
  const res = await request(`${b.url}/`, { headers: { host: 'slow.test' } });
  const text = await res.body.text();
  assert.equal(res.statusCode, 504);
  assert.doesNotMatch(text, new RegExp(String(slow.port)));
});

test('an origin that cannot be connected in connect_timeout is a 504', async () => {
  const res = await request(`${b.url}/`, { headers: { host: 'hang.test' } });
  await res.body.dump();
  assert.equal(res.statusCode, 504);
});

test('every request produces exactly one record, refused and failed ones included', async () => {
  const seen: string[] = [];
  b.bulwark.recorder.addSink('test', (r) => seen.push(`${r.site}:${r.outcome}:${r.status}`));
  try {
    for (const host of ['main.test', 'nobody.test', 'down.test']) await (await request(`${b.url}/`, { headers: { host } })).body.dump();
    await rawExchange(b.port, 'GET / HTTP/1.1\r\nHost: main.test\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', { idleMs: 300 });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen.sort(), ['_unrouted:rejected:400', '_unrouted:rejected:421', 'down:failed:502', 'main:forwarded:200']);
  } finally {
    b.bulwark.recorder.removeSink('test');
  }
});

test('GET /stats on the admin listener reports per-site aggregates; healthz and readyz answer', async () => {
  const stats = (await (await request(`${b.adminUrl}/stats`, { headers: b.adminHeaders })).body.json()) as { sites: { site: string; totals: { requests: number; outcomes: Record<string, number> } }[] };
  const main = stats.sites.find((s) => s.site === 'main')!;
  assert.ok(main.totals.requests >= 3);
  assert.ok(main.totals.outcomes.forwarded >= 2);
  assert.equal((await request(`${b.adminUrl}/healthz`)).statusCode, 200);
  assert.equal((await request(`${b.adminUrl}/readyz`)).statusCode, 200);
});

test('repeated fields of any case reach the origin as sent; the field names remembered for header objects show in /stats', async () => {
  const r = await rawExchange(b.port, 'GET /names HTTP/1.1\r\nHost: main.test\r\nX-Dup: one\r\nx-dup: two\r\nCookie: a=1\r\ncookie: b=2\r\nConnection: close\r\n\r\n', { idleMs: 300 });
  assert.equal(r.status, 200);
  const seen = origin.requests.at(-1)!;
  assert.deepEqual(seen.rawHeaders.filter((_, i, a) => i % 2 === 0 && /^(x-dup|cookie)$/i.test(a[i]!)), ['X-Dup', 'x-dup', 'Cookie', 'cookie']);
  assert.equal(seen.headers['x-dup'], 'one, two');
  const stats = b.bulwark.stats() as { request_field_names: { known: number; cap: number }; forward_field_names: { request: number; response: number; cap: number } };
  const fields = stats.request_field_names;
  assert.ok(fields.known >= 6 && fields.known <= fields.cap, JSON.stringify(fields));
  // The forwarding decisions remembered per name, both directions, against their cap.
  const forward = stats.forward_field_names;
  assert.ok(forward.request >= 4 && forward.request <= forward.cap && forward.response >= 1 && forward.response <= forward.cap, JSON.stringify(forward));
});
