/**
 * The pipeline run at the parsed head, over real sockets (edge/wire/head-hook.ts, head-exchange.ts): on a
 * keep-alive connection Bulwark already answered at once, the next GET and HEAD requests run their
 * phases before node:http makes request objects of them. What they are answered there — a fresh cache
 * hit, a challenge page, a refusal — is node:http's answer byte for byte (but for what differs between
 * any two answers: request ID, Date, Age, a token), with the same record and counts; a request that needs
 * the origin is handed to node:http's objects part-way and goes on from there with what the phases so far
 * found; and answers leave in the order the requests came.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { fixtureTls, startHttpsBulwark } from '../helpers/https.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';
import { floodUnread, KeepAliveClient, type Answer } from '../helpers/keep-alive-client.ts';
import { readChallengeForm } from '../../src/drill/visitors/challenge-solvers.ts';
import { solvePow } from '../../src/core/challenge/pow.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

/** A browser's request: its own Referer and extension field when `n` is given (what a varied flood changes). */
const request = (path: string, n?: number, extra = '', method = 'GET'): string =>
  `${method} ${path} HTTP/1.1\r\nHost: run.test\r\nUser-Agent: ${UA}\r\nAccept: text/html,*/*;q=0.8\r\n` +
  (n === undefined ? '' : `Referer: https://elsewhere.test/${n}\r\nX-Bench-N: ${n}\r\n`) +
  `${extra}\r\n`;

let origin: SimpleOrigin;
let b: TestBulwark;
const records: RequestRecord[] = [];

before(async () => {
  origin = await startSimpleOrigin((req, res) => {
    if (req.url === '/page' || req.url === '/big') {
      const page = req.url === '/page' ? 'cached page' : 'x'.repeat(2048);
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'public, max-age=60', 'content-length': String(page.length) });
      res.end(page);
      return;
    }
    const body = JSON.stringify({ url: req.url, headers: req.headers });
    const send = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.url === '/slow') setTimeout(send, 200);
    else send();
  });
  b = await startBulwark({
    origin: origin.url,
    sites: [{
      name: 'run', hosts: ['run.test'], origins: [origin.url],
      shield: { cache: { admit_after_uses: 1 } },
      policy: { rules: [{ name: 'gate', match: { path: '/gate' }, action: 'challenge' }] },
    }],
  });
  b.bulwark.recorder.addSink('test', (r) => records.push(r));
  // The hook learns the parser's method numbers from node:http's own requests: a GET and a HEAD first.
  const c = await KeepAliveClient.open(b.port, '127.64.9.9');
  for (let i = 0; i < 3; i++) await c.send(request('/page', i));
  await c.send(request('/page', 9, '', 'HEAD'), true);
  c.close();
});
after(async () => {
  await b.stop();
  await origin.close();
});

const headStats = () => (b.bulwark.stats() as { wire: { head_ran: number; head_handed_over: number } }).wire;
const mine = (address: string) => records.filter((r) => r.clientAddress === address);
/** An answer with what differs between two answers of one kind blanked. */
const shape = (a: Answer) =>
  a.raw
    .replace(/[a-z2-7]{8}-[0-9a-z]{6}/g, 'ID')
    .replace(/Date: [^\r]+/, 'Date: -')
    .replace(/age: \d+/, 'age: -')
    .replace(/token=[A-Za-z0-9_-]+|value="[A-Za-z0-9_-]{96}"/g, 'TOKEN')
    .replace(/data-seed="[^"]+"/, 'data-seed="-"');
/** A record without what differs from one answer to the next. */
const stable = ({ requestId, timeMs, durationMs, bytesIn, bytesOut, path, referer, ...rest }: RequestRecord) => rest;

test('varied requests for a cached page on a keep-alive connection: answered at the parsed head, with node:http\'s hit, record and counts', async () => {
  const address = '127.64.0.1';
  const c = await KeepAliveClient.open(b.port, address);
  const before = headStats();
  const sent: string[] = [];
  const answers: Answer[] = [];
  for (let i = 0; i < 12; i++) {
    sent.push(request('/page', i));
    answers.push((await c.send(sent.at(-1)!))!);
  }
  c.close();
  assert.deepEqual(answers.map((a) => a.headers['x-bulwark-cache']), Array(12).fill('HIT'));
  // The first request of the connection is node:http's; every later one ran at its head.
  assert.equal(headStats().head_ran - before.head_ran, 11);
  assert.equal(headStats().head_handed_over - before.head_handed_over, 0);
  for (const a of answers.slice(1)) assert.equal(shape(a), shape(answers[0]!), 'node:http\'s hit, byte for byte');
  const rs = mine(address);
  assert.equal(rs.length, 12, 'one record per request');
  for (const [i, r] of rs.entries()) {
    assert.deepEqual(stable(r), stable(rs[0]!), `record ${i}`);
    assert.equal(r.outcome, 'cached');
    assert.equal(r.referer, `https://elsewhere.test/${i}`);
    assert.equal(r.requestId, answers[i]!.headers['x-request-id']);
    assert.equal(r.bytesIn, Buffer.byteLength(sent[i]!), 'the request\'s own bytes');
    assert.equal(r.bytesOut, Buffer.byteLength(answers[i]!.raw, 'latin1'), 'the answer\'s own bytes');
  }
});

test('an uncleared browser\'s varied requests to a challenged path: node:http\'s challenge page from the head, with a token that solves', async () => {
  const address = '127.64.0.2';
  const c = await KeepAliveClient.open(b.port, address);
  const stats = () => b.bulwark.runtime().services.challengeStatsOf('run').snapshot()['rule/gate']?.issued ?? 0;
  const issuedBefore = stats();
  const ranBefore = headStats().head_ran;
  const answers: Answer[] = [];
  for (let i = 0; i < 6; i++) answers.push((await c.send(request('/gate', i)))!);
  assert.deepEqual(answers.map((a) => [a.status, a.headers['x-bulwark-challenge']]), Array(6).fill([403, 'page']));
  assert.equal(headStats().head_ran - ranBefore, 5);
  assert.equal(stats() - issuedBefore, 6, 'every page counted as issued');
  for (const a of answers.slice(1)) assert.equal(shape(a), shape(answers[0]!), 'node:http\'s page, byte for byte but token and seed');
  const tokens = new Set(answers.map((a) => readChallengeForm(a.raw)!.token));
  assert.equal(tokens.size, 6, 'a token of its own for each page');
  const rs = mine(address);
  assert.deepEqual(rs.map((r) => [r.outcome, r.challenge, r.decisionBy]), Array(6).fill(['challenged', 'issued', 'rule/gate']));
  // A page issued at the head is solved like any: the answer is verified (at the head, a GET), the
  // clearance cookie comes back, and the cleared request goes on to the origin.
  const form = readChallengeForm(answers[5]!.raw)!;
  const found = solvePow(form.seed, form.work, { maxIterations: 1 << 24 })!;
  const verify = await c.send(request(`/.bulwark/challenge/verify?${new URLSearchParams({ token: form.token, return: form.returnPath, solution: found.solution })}`));
  assert.equal(verify!.status, 303, verify!.raw);
  const cookie = verify!.headers['set-cookie']!.split(';')[0]!;
  const through = await c.send(request('/gate', 7, `Cookie: ${cookie}\r\n`));
  c.close();
  assert.equal(through!.status, 200);
  assert.equal(JSON.parse(through!.raw.slice(through!.raw.indexOf('\r\n\r\n') + 4)).url, '/gate');
  assert.equal(mine(address).at(-1)!.outcome, 'forwarded');
});

test('a request that needs the origin is handed to node:http part-way: forwarded without the fields its Connection names, recorded once', async () => {
  const address = '127.64.0.3';
  const c = await KeepAliveClient.open(b.port, address);
  await c.send(request('/page', 0)); // node:http's hit: the connection is hooked
  const before = headStats();
  const seen = origin.requests.length;
  const a = await c.send(request('/dyn', 1, 'Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-Keep: 2\r\n'));
  assert.equal(a!.status, 200);
  assert.equal(headStats().head_handed_over - before.head_handed_over, 1);
  const got = origin.requests.slice(seen);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.headers['x-keep'], '2');
  assert.equal(got[0]!.headers['x-hop'], undefined, 'a field the client\'s Connection names is not forwarded');
  // A connection whose requests go to the origin is node:http's again (starting them at the head would
  // only add a hand-over to each) until node:http answers one at once; then the head takes it again.
  const hits = [await c.send(request('/page', 2)), await c.send(request('/page', 3))];
  c.close();
  assert.deepEqual(hits.map((h) => h!.headers['x-bulwark-cache']), ['HIT', 'HIT']);
  assert.equal(headStats().head_ran - before.head_ran, 1, 'the second hit, not the first');
  assert.equal(headStats().head_handed_over - before.head_handed_over, 1);
  const rs = mine(address);
  assert.deepEqual(rs.map((r) => [r.path, r.outcome]), [['/page', 'cached'], ['/dyn', 'forwarded'], ['/page', 'cached'], ['/page', 'cached']]);
  assert.equal(rs[1]!.requestId, a!.headers['x-request-id']);
});

test('pipelined: a hit, a slow request to the origin and a hit leave in the order they came', async () => {
  const address = '127.64.0.4';
  const c = await KeepAliveClient.open(b.port, address);
  await c.send(request('/page', 0));
  c.write(request('/page', 1) + request('/slow', 2) + request('/page', 3) + request('/page', 4));
  const answers = [await c.read(), await c.read(), await c.read(), await c.read()];
  c.close();
  assert.deepEqual(answers.map((a) => a!.status), [200, 200, 200, 200]);
  assert.deepEqual(answers.map((a) => a!.raw.includes('"url":"/slow"') || a!.headers['x-bulwark-cache']), ['HIT', true, 'HIT', 'HIT']);
  assert.deepEqual(mine(address).slice(1).map((r) => r.path), ['/page', '/slow', '/page', '/page']);
  assert.deepEqual(mine(address).slice(1).map((r) => r.requestId), answers.map((a) => a!.headers['x-request-id']));
});

test('an answer that closes the connection is node:http\'s to write: the same bytes as without the head, then the close', async () => {
  const bad = 'GET /page HTTP/1.1\r\nHost: run.test\r\nHost: other.test\r\nUser-Agent: x\r\n\r\n';
  const fresh = await KeepAliveClient.open(b.port, '127.64.0.5');
  const direct = await fresh.send(bad);
  fresh.close();
  const c = await KeepAliveClient.open(b.port, '127.64.0.6');
  await c.send(request('/page', 0));
  const before = headStats();
  const viaHead = await c.send(bad);
  assert.equal(direct!.status, 400);
  assert.equal(shape(viaHead!), shape(direct!));
  assert.match(viaHead!.raw, /Connection: close/);
  assert.equal(headStats().head_handed_over - before.head_handed_over, 1, 'written by node:http from the recorded calls');
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(c.closed, true, 'the connection closed after it');
});

test('HEAD for a cached page at the head: the hit\'s head alone', async () => {
  const c = await KeepAliveClient.open(b.port, '127.64.0.7');
  const get = await c.send(request('/page', 0));
  const head = await c.send(request('/page', 1, '', 'HEAD'), true);
  const after = await c.send(request('/page', 2));
  c.close();
  assert.equal(head!.raw, head!.raw.slice(0, head!.raw.indexOf('\r\n\r\n') + 4), 'no body');
  assert.equal(shape(head!), shape(get!).slice(0, shape(get!).indexOf('\r\n\r\n') + 4));
  assert.equal(after!.headers['x-bulwark-cache'], 'HIT', 'and the next answer is whole');
});

test('a client that does not read its answers: reading stops, nothing is lost, every request answered once and in order', async () => {
  const address = '127.64.0.8';
  const c = await KeepAliveClient.open(b.port, address);
  await c.send(request('/big', 0));
  const before = headStats().head_ran;
  const n = 20_000;
  // ~5 MB of varied requests while not reading ~47 MB of answers: more than the kernel's buffers hold.
  const { whilePaused: answeredWhilePaused, ids } = await floodUnread(c, Array.from({ length: n }, (_, i) => request('/big', i + 1)), 200, () => mine(address).length);
  c.close();
  // What the kernel's buffers hold is ~2,000 answers; without node:http's pause the server goes on
  // answering into memory (~10,000 in the same half second, measured).
  assert.ok(answeredWhilePaused < n / 4, `the server stopped answering while its answers were not read (${answeredWhilePaused} of ${n})`);
  const rs = mine(address).slice(1);
  assert.equal(rs.length, n, 'one record per request');
  assert.deepEqual(rs.map((r) => r.requestId), ids, 'in order');
  assert.ok(headStats().head_ran - before > n / 2, 'answered at the head (a split head goes to node:http)');
});

test('request smuggling: a GET whose body is another request, on a connection answered at the head, is node:http\'s and its body is never read as a request', async () => {
  const address = '127.64.0.9';
  const c = await KeepAliveClient.open(b.port, address);
  await c.send(request('/page', 0));
  const before = headStats();
  const seen = origin.requests.length;
  const hidden = 'GET /gate HTTP/1.1\r\nHost: run.test\r\n\r\n';
  const a = await c.send(request('/dyn', 1, `Content-Length: ${hidden.length}\r\n`) + hidden);
  // Had the body been read as a request, the next answer would be its challenge page.
  const next = await c.send(request('/page', 2));
  c.close();
  assert.equal(a!.status, 200);
  assert.equal(next!.headers['x-bulwark-cache'], 'HIT', 'the answer to the next request is the next request\'s');
  // The GET with a body is node:http's from the start (neither run nor handed over at the head); the
  // next request may be run at its head (or node:http's, should node:http's answer still be finishing).
  assert.ok(headStats().head_ran - before.head_ran <= 1);
  assert.equal(headStats().head_handed_over - before.head_handed_over, 0, 'node:http\'s from the start');
  assert.deepEqual(origin.requests.slice(seen).map((r) => r.url), ['/dyn']);
  assert.deepEqual(mine(address).map((r) => r.path), ['/page', '/dyn', '/page']);
});

test('over TLS: an HTTPS connection\'s varied requests for a cached page are run at the head too', async () => {
  const s = await startHttpsBulwark({
    origin: origin.url,
    sites: [{ name: 'alpha', hosts: ['alpha.test'], origins: [origin.url], tls: fixtureTls('alpha.test'), shield: { cache: { admit_after_uses: 1 } } }],
  });
  try {
    const ran = () => (s.bulwark.stats() as { wire: { head_ran: number } }).wire.head_ran;
    const socket = tls.connect({ port: s.httpsPort, host: '127.0.0.1', servername: 'alpha.test', rejectUnauthorized: false });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const c = new KeepAliveClient(socket);
    const answers: Answer[] = [];
    for (let i = 0; i < 8; i++) answers.push((await c.send(`GET /page HTTP/1.1\r\nHost: alpha.test\r\nUser-Agent: ${UA}\r\nX-Bench-N: ${i}\r\n\r\n`))!);
    c.close();
    assert.deepEqual(answers.map((a) => a.status), Array(8).fill(200));
    assert.deepEqual(answers.slice(2).map((a) => a.headers['x-bulwark-cache']), Array(6).fill('HIT'));
    // The first request stores the page (a miss, node:http's), the second is node:http's hit (the
    // process learns HEAD's and GET's numbers from node:http's own requests on this listener too).
    assert.ok(ran() >= 5, `run at the head: ${ran()}`);
    for (const a of answers.slice(3)) assert.equal(shape(a), shape(answers[2]!));
  } finally {
    await s.stop();
  }
});
