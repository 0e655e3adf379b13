/**
 * Lane answers at the parsed head over real sockets (edge/wire/head-hook.ts): once a limit has refused a
 * keep-alive client and opened its refusal lane, its requests that vary in fields no decision reads — a
 * session cookie, a Referer, an extension header, the query string — are answered as soon as node's
 * parser has their head, with the answer, record and counts node:http's lane answer gives; anything the
 * lane does not serve, and anything that must wait for an answer still being written, takes node:http's
 * path in order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import tls from 'node:tls';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { fixtureTls, startHttpsBulwark } from '../helpers/https.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { floodUnread, KeepAliveClient, refusalShape, type Answer } from '../helpers/keep-alive-client.ts';

/** A flood's request: fixed Host, User-Agent and Accept; a cookie and Referer of its own when `n` is given. */
const request = (path = '/', n?: number, method = 'GET', extra = ''): string =>
  `${method} ${path} HTTP/1.1\r\nHost: head.test\r\nUser-Agent: flood/3.0\r\nAccept: text/html\r\n` +
  (n === undefined ? '' : `Cookie: session=${n}\r\nReferer: https://elsewhere.test/${n}\r\n`) +
  `${extra}\r\n`;

let origin: OriginFixture;
let b: TestBulwark;
const records: RequestRecord[] = [];

before(async () => {
  origin = await startOriginFixture({ paths: { '/': { status: 200 }, '/slow': { status: 200, latencyMs: 300 } } });
  b = await startBulwark({
    origin: origin.url,
    policy: { escalation: { address_threshold: 100_000, prefix_threshold: 100_000 } },
    sites: [{ name: 'head', hosts: ['head.test'], origins: [origin.url], policy: { limits: [{ name: 'per-ip', average: 1, period: '1m', burst: 1, key: ['address'] }] } }],
  });
  b.bulwark.recorder.addSink('test', (r) => records.push(r));
  // The hook learns the parser's method numbers from node:http's own requests: the process's first lane
  // request with a method goes through node:http. One lane on a throwaway connection teaches it GET.
  const c = await KeepAliveClient.open(b.port, '127.63.9.9');
  for (let i = 0; i < 4; i++) await c.send(request(`/?warm=${i}`, i));
  c.close();
});
after(async () => {
  await b.stop();
  await origin.stop();
});

const stats = (t: TestBulwark = b, site = 'head') => t.bulwark.runtime().services.policyStatsOf(site).snapshot();
const mine = (address: string) => records.filter((r) => r.clientAddress === address);
/** A record without what differs from one lane answer to the next. */
const stableFields = ({ requestId, timeMs, durationMs, bytesOut, bytesIn, path, referer, ...rest }: RequestRecord) => rest;

test('cookie-rotating flood on a keep-alive connection: answered at the parsed head, with node:http\'s lane answer, record and counts', async () => {
  const address = '127.63.0.1';
  const c = await KeepAliveClient.open(b.port, address);
  const before = stats();
  const sent: string[] = [];
  const answers: Answer[] = [];
  const send = async (req: string) => {
    sent.push(req);
    answers.push((await c.send(req))!);
  };
  await send(request('/', 0)); // admitted
  await send(request('/', 1)); // refused by decide: opens the lane
  for (let i = 2; i < 12; i++) await send(request(`/?page=${i}`, i)); // the lane, at the head
  await send(request('/?page=11', 11)); // an exact repeat: node:http's lane answer (it arms the wire)
  c.close();
  assert.deepEqual(answers.map((a) => a.status), [200, ...Array(12).fill(429)]);
  const after = stats();
  assert.equal(after.refusal_lane_head_answers - before.refusal_lane_head_answers, 10, 'every varied request after the one that opened the lane');
  assert.equal(after.refusal_lane_answers - before.refusal_lane_answers, 11, 'head answers are lane answers');
  assert.equal(after.decisions['limit/per-ip']! - (before.decisions['limit/per-ip'] ?? 0), 12, 'each refusal counted once');
  const wire = (b.bulwark.stats() as { wire: { head_answered: number } }).wire;
  assert.ok(wire.head_answered >= 10, 'the stats document counts them');
  // The answer at the head is node:http's lane answer to the same request, byte for byte, but for the
  // request ID, Date and the limit's clock.
  assert.equal(refusalShape(answers[11]!.raw), refusalShape(answers[12]!.raw));
  assert.equal(refusalShape(answers[2]!.raw), refusalShape(answers[1]!.raw), 'and what decide answered');
  for (const a of answers.slice(1)) {
    assert.match(a.headers['ratelimit-policy']!, /^"per-ip";q=1;w=60$/);
    assert.ok(Number(a.headers['retry-after']) >= 1);
  }
  const rs = mine(address);
  assert.equal(rs.length, 13, 'one record per request');
  assert.deepEqual(rs.map((r) => r.requestId).slice(1), answers.slice(1).map((a) => a.headers['x-request-id']), 'records carry the IDs the client saw, in order');
  for (let i = 2; i < 12; i++) {
    const r = rs[i]!;
    assert.equal(r.path, `/?page=${i}`, 'the request\'s own target');
    assert.equal(r.referer, `https://elsewhere.test/${i}`, 'the request\'s own Referer');
    assert.equal(r.outcome, 'limited');
    assert.equal(r.decisionBy, 'limit/per-ip');
    assert.equal(r.bytesIn, Buffer.byteLength(sent[i]!), 'bytes in: the request');
    // Field by field what node:http's lane answer recorded for the same kind of request.
    assert.deepEqual(stableFields(r), stableFields(rs[12]!));
  }
  assert.equal(rs.reduce((n, r) => n + r.bytesOut, 0), c.received, 'bytes out: what the client received');
  assert.equal(rs.reduce((n, r) => n + r.bytesIn, 0), sent.reduce((n, s) => n + Buffer.byteLength(s), 0), 'bytes in: each request once');
});

test('pipelined: lane requests answered at the head in order among node:http\'s answers; none overtakes an answer still being written', async () => {
  const address = '127.63.0.2';
  const c = await KeepAliveClient.open(b.port, address);
  // One read: an admitted request to a slow page, the refusal that opens the lane, and lane requests.
  // The 200 takes 300 ms: every answer after it must wait for it (node:http's queue), so none of the
  // lane requests behind it may be answered at its head.
  const first = [request('/slow', 0), request('/', 1), request('/?a', 2), request('/?b', 3)];
  const headBefore = stats().refusal_lane_head_answers;
  c.write(first.join(''));
  const answers: Answer[] = [];
  for (let i = 0; i < first.length; i++) answers.push((await c.read())!);
  assert.deepEqual(answers.map((a) => a.status), [200, 429, 429, 429]);
  assert.equal(stats().refusal_lane_head_answers, headBefore, 'nothing answered ahead of the 200');
  // A lane request alone: node:http's lane answers it (the queued refusal above opened the lane without
  // the hook seeing it), and the hook attaches to the connection.
  answers.push((await c.send(request('/?b2', 3)))!);
  assert.equal(stats().refusal_lane_head_answers, headBefore);
  // Now nothing is pending: lane requests, one request the lane does not serve (a user agent of another
  // class, which leaves the lane) and one after it, in one read: all answered, in order, each recorded once.
  const second = [request('/?c', 4), request('/?d', 5), request('/?e', 6).replace('flood/3.0', 'curl/8.4.0'), request('/?f', 7)];
  c.write(second.join(''));
  for (let i = 0; i < second.length; i++) answers.push((await c.read())!);
  c.close();
  assert.deepEqual(answers.slice(4).map((a) => a.status), [429, 429, 429, 429, 429]);
  assert.equal(stats().refusal_lane_head_answers - headBefore, 2, 'the two lane requests before the lane closed');
  const rs = mine(address);
  assert.equal(rs.length, 9);
  assert.deepEqual(rs.map((r) => r.path), ['/slow', '/', '/?a', '/?b', '/?b2', '/?c', '/?d', '/?e', '/?f']);
  // Pipelined requests share reads: each record has what its connection read and wrote since the one
  // before, so together they add up to the connection's traffic, whichever path answered.
  const sent = [...first, request('/?b2', 3), ...second].reduce((n, r) => n + Buffer.byteLength(r), 0);
  assert.equal(rs.reduce((n, r) => n + r.bytesIn, 0), sent, 'bytes in add up');
  assert.equal(rs.reduce((n, r) => n + r.bytesOut, 0), c.received, 'bytes out add up');
  assert.deepEqual(rs.map((r) => r.requestId).slice(1), answers.slice(1).map((a) => a.headers['x-request-id']), 'each answer is its request\'s');
});

test('user-agent-rotating flood (browsers\' user agents): answered at the head, each record with its own user agent; a library\'s leaves the lane', async () => {
  const address = '127.63.0.6';
  const agents = [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
    'Mozilla/5.0 (X11; Linux x86_64; rv:139.0) Gecko/20100101 Firefox/139.0',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15',
  ];
  const c = await KeepAliveClient.open(b.port, address);
  const before = stats().refusal_lane_head_answers;
  const statuses: number[] = [];
  for (let i = 0; i < 9; i++) statuses.push((await c.send(request('/', i).replace('flood/3.0', agents[i % 3]!)))!.status);
  const rotated = stats().refusal_lane_head_answers - before;
  statuses.push((await c.send(request('/', 9).replace('flood/3.0', 'python-requests/2.32.4')))!.status);
  c.close();
  assert.deepEqual(statuses, [200, ...Array(9).fill(429)]);
  assert.equal(rotated, 7, 'every request after the refusal that opened the lane');
  assert.equal(stats().refusal_lane_head_answers - before, 7, 'a library\'s user agent is decided again');
  const rs = mine(address);
  assert.deepEqual(rs.map((r) => r.userAgent), [...Array.from({ length: 9 }, (_, i) => agents[i % 3]), 'python-requests/2.32.4']);
  assert.deepEqual(rs.map((r) => r.uaClass), [...Array(9).fill('browser'), 'library']);
  assert.equal(new Set(rs.map((r) => r.fingerprint)).size, 1);
});

test('a lane opened for a client claiming to be a crawler keeps its user agent bound (verification depends on it)', async () => {
  const c = await KeepAliveClient.open(b.port, '127.63.0.7');
  const bots = ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)'];
  const before = stats().refusal_lane_head_answers;
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await c.send(request(`/?n=${i}`, i).replace('flood/3.0', bots[i % 2]!)))!.status);
  c.close();
  assert.deepEqual(statuses, [200, ...Array(5).fill(429)]);
  assert.equal(stats().refusal_lane_head_answers, before, 'every changed crawler user agent is decided again');
  assert.ok(mine('127.63.0.7').every((r) => r.uaClass === 'crawler'));
});

test('a lane request behind an answer still being written is left to node:http, which answers it in order', async () => {
  const s = await startBulwark({
    origin: origin.url,
    policy: { escalation: { address_threshold: 100_000, prefix_threshold: 100_000 } },
    sites: [{ name: 'head', hosts: ['head.test'], origins: [origin.url], policy: { limits: [{ name: 'per-ip', average: 1, period: '1s', burst: 1, key: ['address'] }] } }],
  });
  try {
    const c = await KeepAliveClient.open(s.port, '127.63.0.8');
    for (let i = 0; i < 3; i++) await c.send(request('/', i)); // admitted, refused (lane opens), the head
    assert.equal(stats(s).refusal_lane_head_answers, 1);
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the limit admits again
    // One read: an admitted request to a page that takes 300 ms, two refusals (the first opens no lane:
    // the lane before just ended; the second opens one), and a lane request. The hook is attached and
    // the lane open, but the 200 is still being written: the lane request must not overtake it.
    const batch = [request('/slow', 3), request('/', 4), request('/', 5), request('/?after', 6)];
    c.write(batch.join(''));
    const answers: Answer[] = [];
    for (let i = 0; i < batch.length; i++) answers.push((await c.read())!);
    c.close();
    assert.deepEqual(answers.map((a) => a.status), [200, 429, 429, 429], 'in order');
    assert.equal(stats(s).refusal_lane_head_answers, 1, 'not answered at the head');
    assert.equal(stats(s).refusal_lane_answers, 2, 'node:http\'s lane answered it');
  } finally {
    await s.stop();
  }
});

test('HEAD at the head: the lane\'s fields without a body, as node:http answers HEAD', async () => {
  const c = await KeepAliveClient.open(b.port, '127.63.0.3');
  const answers: Answer[] = [];
  for (let i = 0; i < 6; i++) answers.push((await c.send(request(`/?h=${i}`, i, 'HEAD'), true))!);
  const head = stats().refusal_lane_head_answers;
  answers.push((await c.send(request('/?h=5', 5, 'HEAD'), true))!); // an exact repeat: node:http
  c.close();
  assert.deepEqual(answers.map((a) => a.status), [200, 429, 429, 429, 429, 429, 429]);
  assert.equal(stats().refusal_lane_head_answers, head);
  assert.equal(refusalShape(answers[5]!.raw), refusalShape(answers[6]!.raw), 'the head answer is node:http\'s HEAD answer');
  assert.ok(Number(answers[5]!.headers['content-length']) > 0, 'the length of the page a GET would get');
  assert.equal(answers[5]!.raw.endsWith('\r\n\r\n'), true, 'no body');
  const rs = mine('127.63.0.3');
  assert.equal(rs.reduce((n, r) => n + r.bytesOut, 0), c.received);
});

test('a client that does not read its answers: reading stops, nothing is lost, every request answered once and in order', async () => {
  const address = '127.63.0.4';
  const c = await KeepAliveClient.open(b.port, address);
  for (let i = 0; i < 2; i++) await c.send(request('/', i));
  const headBefore = stats().refusal_lane_head_answers;
  const n = 20_000;
  // ~3 MB of varied requests while not reading ~38 MB of answers: the send buffer fills and the
  // server stops reading (node:http's own pause), then goes on as the client reads.
  const { whilePaused: answeredWhilePaused, ids } = await floodUnread(c, Array.from({ length: n }, (_, i) => request(`/?n=${i}`, i + 2)), 429, () => mine(address).length);
  c.close();
  assert.ok(answeredWhilePaused < n / 2, `the server stopped answering while its answers were not read (${answeredWhilePaused} of ${n})`);
  const rs = mine(address).slice(2);
  assert.equal(rs.length, n, 'one record per request');
  assert.deepEqual(rs.map((r) => r.requestId), ids, 'in order');
  assert.deepEqual(rs.slice(0, 3).map((r) => r.path), ['/?n=0', '/?n=1', '/?n=2']);
  assert.ok(stats().refusal_lane_head_answers - headBefore > n / 2, 'answered at the head (an exact repeat or a split head goes to node:http)');
});

test('the lane\'s limits hold at the head: a ban drops the next request, and a request after the limit admits again is decided', async () => {
  const s = await startBulwark({
    origin: origin.url,
    policy: { escalation: { address_threshold: 100_000, prefix_threshold: 100_000 } },
    sites: [{ name: 'head', hosts: ['head.test'], origins: [origin.url], policy: { limits: [{ name: 'per-ip', average: 1, period: '2s', burst: 1, key: ['address'] }] } }],
  });
  try {
    const c = await KeepAliveClient.open(s.port, '127.63.0.5');
    assert.equal((await c.send(request('/', 0)))!.status, 200);
    assert.equal((await c.send(request('/', 1)))!.status, 429);
    assert.equal((await c.send(request('/', 2)))!.status, 429);
    assert.equal(stats(s).refusal_lane_head_answers, 1);
    // The limit admits one request every 2 s: after that, the lane no longer serves and decide admits.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.equal((await c.send(request('/', 3)))!.status, 200, 'admitted again');
    assert.equal(stats(s).refusal_lane_head_answers, 1);
    // Refused again: decide refuses (the lane that just ended makes the next refusal open none), the
    // refusal after opens a new lane, and the next request is answered from it at the head.
    for (let i = 4; i < 7; i++) assert.equal((await c.send(request('/', i)))!.status, 429);
    assert.equal(stats(s).refusal_lane_head_answers, 2);
    const now = Date.now();
    await s.bulwark.runtime().services.stores.bans.add(
      { key: '127.63.0.5', scope: 'address', reason: 'test', by: 'test', level: 1, createdAtMs: now, untilMs: now + 60_000, source: 'manual' },
      { actor: 'manual', nowMs: now },
    );
    assert.equal(await c.send(request('/', 7)), null, 'dropped, not answered at the head');
    assert.equal(stats(s).refusal_lane_head_answers, 2);
  } finally {
    await s.stop();
  }
});

test('over TLS: lane requests on an HTTPS connection are answered at the head too', async () => {
  const s = await startHttpsBulwark({
    origin: origin.url,
    policy: { escalation: { address_threshold: 100_000, prefix_threshold: 100_000 } },
    sites: [{ name: 'alpha', hosts: ['alpha.test'], origins: [origin.url], tls: fixtureTls('alpha.test'), policy: { limits: [{ name: 'one', average: 1, period: '1m', burst: 1, key: ['address'] }] } }],
  });
  try {
    const socket = tls.connect({ port: s.httpsPort, host: '127.0.0.1', servername: 'alpha.test', rejectUnauthorized: false });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const c = new KeepAliveClient(socket);
    const statuses = [];
    for (let i = 0; i < 8; i++) statuses.push((await c.send(`GET /?n=${i} HTTP/1.1\r\nHost: alpha.test\r\nUser-Agent: flood/3.0\r\nCookie: s=${i}\r\n\r\n`))!.status);
    c.close();
    assert.deepEqual(statuses, [200, ...Array(7).fill(429)]);
    assert.equal(stats(s, 'alpha').refusal_lane_head_answers, 6);
  } finally {
    await s.stop();
  }
});

test('node:http clients and servers of the same process keep working on parsers the proxy\'s connections used', async () => {
  // Parsers are pooled across every node:http server and client of the process: open and close proxy
  // connections (their parsers go back to the pool with the hook in place), then use node:http's
  // client and a server of its own on parsers taken from that pool.
  for (let k = 0; k < 5; k++) {
    const c = await KeepAliveClient.open(b.port, `127.63.1.${k + 1}`);
    for (let i = 0; i < 4; i++) await c.send(request(`/?k=${i}`, i));
    c.close();
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  const server = http.createServer((req, res) => res.end(`${req.method} ${req.url} ${req.headers['x-probe']}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const bodies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new Promise<string>((resolve, reject) => {
          http
            .get({ host: '127.0.0.1', port, path: `/p${i}`, headers: { 'x-probe': String(i), cookie: `s=${i}` }, agent: false }, (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (d: string) => (body += d));
              res.on('end', () => resolve(`${res.statusCode} ${body}`));
            })
            .on('error', reject);
        }),
      ),
    );
    assert.deepEqual(bodies, Array.from({ length: 20 }, (_, i) => `200 GET /p${i} ${i}`));
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
