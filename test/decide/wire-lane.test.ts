/**
 * The refusal lane on the wire over real sockets (edge/wire-lane.ts): once the lane has answered a
 * request that arrived alone in its read, exact copies of that request head are answered 429 before
 * node:http parses them — with the same page and fields, one record each, every byte accounted for —
 * and everything else (another request, a partial read, an upgrade, a ban, the limit admitting again,
 * a reload, a drain) goes to node:http as before.
 */
import { retryDelayS } from '../../src/pipeline/pages/retry-page-html.ts';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { startBulwark, testConfig, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { canonicalHead, leadingCopies, onlyCopies } from '../../src/edge/wire/index.ts';
import { KeepAliveClient as WireClient, refusalShape, type Answer } from '../helpers/keep-alive-client.ts';

const request = (path = '/', extra = '', method = 'GET'): string => `${method} ${path} HTTP/1.1\r\nHost: wire.test\r\nUser-Agent: flood/2.0\r\nAccept: */*\r\n${extra}\r\n`;

let origin: OriginFixture;
let b: TestBulwark;
const records: RequestRecord[] = [];

before(async () => {
  origin = await startOriginFixture({ paths: { '/': { status: 200 }, '/other': { status: 200 } } });
  b = await startBulwark({
    origin: origin.url,
    policy: { escalation: { address_threshold: 100_000, prefix_threshold: 100_000 } },
    sites: [{ name: 'wire', hosts: ['wire.test'], origins: [origin.url], policy: { limits: [{ name: 'per-ip', average: 1, period: '1m', burst: 1, key: ['address'] }] } }],
  });
  b.bulwark.recorder.addSink('test', (r) => records.push(r));
});
after(async () => {
  await b.stop();
  await origin.stop();
});

const stats = (t: TestBulwark = b, site = 'wire') => t.bulwark.runtime().services.policyStatsOf(site).snapshot();
const mine = (address: string) => records.filter((r) => r.clientAddress === address);
/** A record without what differs from one copy of a request to the next. */
const stableFields = ({ requestId, timeMs, durationMs, bytesOut, ...rest }: RequestRecord) => rest;
/** The page's retry delay is the one every 429 of Bulwark's gets for this Retry-After and request ID. */
const retryDelayOk = (a: Answer) => {
  const delay = retryDelayS(Number(a.headers['retry-after']), a.headers['x-request-id']!);
  assert.equal(a.headers.refresh, String(delay));
  assert.ok(a.raw.includes(`id="bw-count">${delay}<`) || !a.raw.includes('bw-count'), 'the countdown starts at the delay');
};

test('canonicalHead, leadingCopies and onlyCopies', () => {
  const head = canonicalHead('GET', '/a?b=1', '1.1', ['Host', 'x', 'User-Agent', 'ü-agent']);
  assert.equal(head.toString('latin1'), 'GET /a?b=1 HTTP/1.1\r\nHost: x\r\nUser-Agent: ü-agent\r\n\r\n');
  assert.equal(head.length, head.toString('latin1').length, 'latin1: one byte per character, as node:http read it');
  const other = Buffer.from(head);
  other[other.length - 5] ^= 1;
  const cases: [Buffer, number, boolean][] = [
    [head, 1, true],
    [Buffer.concat([head, head, head]), 3, true],
    [Buffer.concat([head, head.subarray(0, 5)]), 1, false],
    [head.subarray(0, head.length - 1), 0, false],
    [Buffer.concat([head, other]), 1, false],
    [Buffer.concat([other, head]), 0, false],
    [Buffer.alloc(0), 0, false],
  ];
  for (const [chunk, leading, only] of cases) {
    assert.equal(leadingCopies(chunk, head), leading, chunk.toString('latin1'));
    assert.equal(onlyCopies(chunk, head), only, chunk.toString('latin1'));
  }
  assert.equal(leadingCopies(head, Buffer.alloc(0)), 0);
});

test('exact repeats are answered on the wire: the same answer as the lane gives, one record each, every byte counted', async () => {
  const address = '127.62.0.1';
  const c = await WireClient.open(b.port, address);
  const before = stats();
  const answers: Answer[] = [];
  const req = request();
  for (let i = 0; i < 10; i++) answers.push((await c.send(req))!);
  assert.deepEqual(answers.map((a) => a.status), [200, ...Array(9).fill(429)]);
  const after = stats();
  // 2nd: decide refuses and opens the lane; 3rd: the lane answers a repeat that arrived alone in its
  // read (node:http) and arms the wire; 4th–10th: the wire.
  assert.equal(after.refusal_lane_answers - before.refusal_lane_answers, 8);
  assert.equal(after.refusal_lane_wire_answers - before.refusal_lane_wire_answers, 7);
  assert.equal(after.decisions['limit/per-ip']! - (before.decisions['limit/per-ip'] ?? 0), 9);
  // The wire's answer is node:http's, byte for byte, but for the request ID, Date and the limit's clock.
  assert.equal(refusalShape(answers[3]!.raw), refusalShape(answers[2]!.raw));
  assert.equal(refusalShape(answers[9]!.raw), refusalShape(answers[1]!.raw));
  for (const a of answers.slice(1)) retryDelayOk(a);
  assert.match(answers[9]!.headers['ratelimit-policy']!, /^"per-ip";q=1;w=60$/);
  assert.ok(Number(answers[9]!.headers['retry-after']) >= 1);
  c.close();
  const rs = mine(address);
  assert.equal(rs.length, 10, 'one record per request');
  assert.equal(new Set(rs.map((r) => r.requestId)).size, 10);
  assert.deepEqual(rs.map((r) => r.requestId).slice(1), answers.slice(1).map((a) => a.headers['x-request-id']), 'records carry the IDs the client saw');
  for (const r of rs.slice(1)) {
    assert.equal(r.outcome, 'limited');
    assert.equal(r.status, 429);
    assert.equal(r.decisionBy, 'limit/per-ip');
    assert.equal(r.path, '/');
    assert.equal(r.host, 'wire.test');
    assert.equal(r.userAgent, 'flood/2.0');
    assert.equal(r.prefix, '127.62.0.0/24');
    assert.ok(r.fingerprint !== '');
    assert.equal(r.bytesIn, Buffer.byteLength(req));
  }
  // Field by field, a wire answer's record is the one node:http's lane answer (the 3rd) got, but for the
  // request's own ID, time and bytes out.
  for (const r of rs.slice(3)) assert.deepEqual(stableFields(r), stableFields(rs[2]!));
  assert.equal(rs.reduce((n, r) => n + r.bytesIn, 0), Buffer.byteLength(req) * 10, 'bytes in: each request once');
  assert.equal(rs.reduce((n, r) => n + r.bytesOut, 0), c.received, 'bytes out: what the client received');
});

test('pipelined copies are answered in order; what is not a copy goes to node:http; a split copy is parsed by node:http and re-arms', async () => {
  const address = '127.62.0.2';
  const c = await WireClient.open(b.port, address);
  const req = request();
  for (let i = 0; i < 3; i++) await c.send(req);
  const before = stats().refusal_lane_wire_answers;
  // Three copies and another request in one write.
  c.write(req + req + req + request('/other'));
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push((await c.read())!);
  assert.deepEqual(answers.map((a) => a.status), [429, 429, 429, 429]);
  assert.equal(stats().refusal_lane_wire_answers - before, 3, 'the copies on the wire, /other through node:http');
  const ids = answers.map((a) => a.headers['x-request-id']);
  const rs = mine(address).slice(-4);
  assert.deepEqual(rs.map((r) => r.requestId), ids, 'answered and recorded in the order sent');
  assert.deepEqual(rs.map((r) => r.path), ['/', '/', '/', '/other']);

  // A copy split across two reads: node:http parses it (the wire only answers whole copies).
  const mid = stats().refusal_lane_wire_answers;
  c.write(req.slice(0, 10));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal((await c.send(req.slice(10)))!.status, 429);
  assert.equal(stats().refusal_lane_wire_answers, mid);
  // The next whole copy reaches node:http (the wire stood aside), whose lane answer arms it again.
  assert.equal((await c.send(req))!.status, 429);
  assert.equal(stats().refusal_lane_wire_answers, mid);
  assert.equal((await c.send(req))!.status, 429);
  assert.equal(stats().refusal_lane_wire_answers, mid + 1);
  c.close();
  const all = mine(address);
  assert.equal(all.reduce((n, r) => n + r.bytesOut, 0), c.received, 'bytes out add up across wire and node:http answers');
  assert.equal(all.reduce((n, r) => n + r.bytesIn, 0), Buffer.byteLength(req) * 9 + Buffer.byteLength(request('/other')));
});

test('property: any mix of copies, other requests and partial reads is answered once each, in order, every byte counted', async () => {
  const kinds = { copy: request(), other: request('/other'), header: request('/', 'X-Extra: 1\r\n') };
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom<keyof typeof kinds>('copy', 'copy', 'copy', 'other', 'header'), { minLength: 1, maxLength: 24 }),
      fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 12 }),
      async (sequence, cuts) => {
        const address = `127.63.${n >> 8}.${(n++ & 255) + 1}`;
        const c = await WireClient.open(b.port, address);
        // Refused and armed first: one admitted request, one refusal that opens the lane and arms the wire.
        await c.send(kinds.copy);
        await c.send(kinds.copy);
        const bytes = Buffer.from(sequence.map((k) => kinds[k]).join(''), 'latin1');
        // Written in pieces cut at random points (TCP may still join some): copies, splits, mixes.
        await c.writeInPieces(bytes, cuts);
        for (let i = 0; i < sequence.length; i++) {
          const a = await c.read();
          assert.ok(a !== null && a.status === 429, `answer ${i} of ${sequence.join(',')}`);
        }
        c.close();
        const rs = mine(address).slice(2);
        assert.equal(rs.length, sequence.length, 'one record per request');
        assert.deepEqual(rs.map((r) => r.path), sequence.map((k) => (k === 'other' ? '/other' : '/')));
        assert.equal(rs.reduce((x, r) => x + r.bytesIn, 0), bytes.length, 'bytes in: every byte once');
        assert.equal(mine(address).reduce((x, r) => x + r.bytesOut, 0), c.received, 'bytes out: what the client received');
      },
    ),
    { numRuns: 40 },
  );
  assert.ok(stats().refusal_lane_wire_answers > 0);
});

test('a flood that varies its requests never repeats one: the lane answers, the wire never takes the connection', async () => {
  const c = await WireClient.open(b.port, '127.62.0.10');
  const before = stats();
  const statuses = [];
  for (let i = 0; i < 10; i++) statuses.push((await c.send(request(`/?n=${i}`)))!.status);
  assert.deepEqual(statuses, [200, ...Array(9).fill(429)]);
  const after = stats();
  assert.equal(after.refusal_lane_answers - before.refusal_lane_answers, 8);
  assert.equal(after.refusal_lane_wire_answers - before.refusal_lane_wire_answers, 0);
  // Once it repeats itself, the wire takes over from the request after the repeat.
  for (let i = 0; i < 4; i++) assert.equal((await c.send(request('/?n=same')))!.status, 429);
  assert.equal(stats().refusal_lane_wire_answers - after.refusal_lane_wire_answers, 2);
  c.close();
});

test('a connection that stops repeating itself goes back to node:http\'s native reads, and comes back when it repeats again', async () => {
  const wireStats = () => (b.bulwark.stats() as { wire: { connections_taken: number; connections_returned: number } }).wire;
  const c = await WireClient.open(b.port, '127.62.0.11');
  const before = wireStats();
  for (let i = 0; i < 4; i++) assert.equal((await c.send(request()))!.status, i === 0 ? 200 : 429);
  assert.equal(wireStats().connections_taken - before.connections_taken, 1, 'taken after the first repeat');
  for (let i = 0; i < 6; i++) assert.equal((await c.send(request(`/?n=${i}`)))!.status, 429);
  assert.equal(wireStats().connections_returned - before.connections_returned, 1, 'given back after reads it could not answer');
  const wired = stats().refusal_lane_wire_answers;
  for (let i = 0; i < 4; i++) assert.equal((await c.send(request('/again')))!.status, 429);
  assert.equal(wireStats().connections_taken - before.connections_taken, 2, 'taken again');
  assert.equal(stats().refusal_lane_wire_answers - wired, 2);
  c.close();
  const rs = mine('127.62.0.11');
  assert.equal(rs.length, 14, 'one record per request throughout');
  assert.equal(rs.reduce((n, r) => n + r.bytesOut, 0), c.received);
});

test('HEAD: the wire answers without a body, as node:http does', async () => {
  const c = await WireClient.open(b.port, '127.62.0.3');
  const req = request('/', '', 'HEAD');
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push((await c.send(req, true))!);
  assert.deepEqual(answers.map((a) => a.status), [200, 429, 429, 429, 429]);
  assert.equal(refusalShape(answers[4]!.raw), refusalShape(answers[2]!.raw));
  for (const a of answers.slice(1)) retryDelayOk(a);
  assert.ok(Number(answers[4]!.headers['content-length']) > 0, 'the length of the page a GET would get');
  // Nothing but heads arrived: a GET now gets its 429 with its body, read whole.
  const get = (await c.send(request()))!;
  assert.equal(get.status, 429);
  assert.equal(Buffer.byteLength(get.raw.slice(get.raw.indexOf('\r\n\r\n') + 4)), Number(get.headers['content-length']));
  c.close();
});

test('a client that does not read its answers: nothing is lost, every copy is answered in order once it reads', async () => {
  const c = await WireClient.open(b.port, '127.62.0.4');
  const req = request();
  for (let i = 0; i < 3; i++) await c.send(req);
  c.socket.pause();
  const n = 20_000;
  // ~1 MB of copies while not reading ~3 MB of answers: the server's send buffer fills, it stops reading.
  c.write(Buffer.from(req.repeat(n), 'latin1'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  c.socket.resume();
  let last = '';
  for (let i = 0; i < n; i++) {
    const a = await c.read();
    assert.ok(a !== null && a.status === 429, `answer ${i}`);
    last = a.headers['x-request-id']!;
  }
  assert.equal(mine('127.62.0.4').at(-1)!.requestId, last);
  assert.equal(mine('127.62.0.4').length, n + 3);
  c.close();
});

test('an upgrade after the wire armed: node:http takes the connection, the wire lets go', async () => {
  const c = await WireClient.open(b.port, '127.62.0.5');
  const req = request();
  for (let i = 0; i < 4; i++) await c.send(req);
  const upgrade = request('/', 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n');
  const a = (await c.send(upgrade))!;
  assert.equal(a.status, 429, 'the refused client is refused for the upgrade too');
  // Bytes after the upgrade reach a socket node:http no longer parses: ignored, no crash.
  c.write(req);
  await new Promise((resolve) => setTimeout(resolve, 100));
  c.close();
  const other = await WireClient.open(b.port, '127.62.0.6');
  assert.equal((await other.send(request()))!.status, 200, 'the server goes on');
  other.close();
});

test('the wire stands aside when the lane ends: a ban, the limit admitting again, a reload', async () => {
  // A ban: the next copy reaches node:http, which drops the banned client.
  const banned = await WireClient.open(b.port, '127.62.0.7');
  const req = request();
  for (let i = 0; i < 4; i++) await banned.send(req);
  const now = Date.now();
  await b.bulwark.runtime().services.stores.bans.add(
    { key: '127.62.0.7', scope: 'address', reason: 'test', by: 'test', level: 1, createdAtMs: now, untilMs: now + 60_000, source: 'manual' },
    { actor: 'manual', nowMs: now },
  );
  assert.equal(await banned.send(req), null, 'dropped, not answered on the wire');

  const quick = await startBulwark({
    origin: origin.url,
    sites: [{ name: 'quick', hosts: ['wire.test'], origins: [origin.url], policy: { limits: [{ name: 'fast', average: 1, period: '1s', burst: 1, key: ['address'] }] } }],
  });
  try {
    const c = await WireClient.open(quick.port, '127.62.0.8');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await c.send(req))!.status);
    assert.deepEqual(statuses, [200, 429, 429, 429, 429]);
    assert.ok(stats(quick, 'quick').refusal_lane_wire_answers >= 1);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await c.send(req))!.status, 200, 'the limit admits again: forwarded');
    for (let i = 0; i < 3; i++) await c.send(req);
    const before = stats(quick, 'quick').refusal_lane_wire_answers;
    assert.equal((await c.send(req))!.status, 429);
    assert.equal(stats(quick, 'quick').refusal_lane_wire_answers, before + 1, 'armed again');
    // A reload: the lane belongs to the old config generation; the copy is decided under the new one.
    quick.bulwark.reload(testConfig({
      origin: origin.url,
      state_dir: quick.stateDir,
      sites: [{ name: 'quick', hosts: ['wire.test'], origins: [origin.url], policy: { limits: [{ name: 'fast', average: 1, period: '1m', burst: 100, key: ['address'] }] } }],
    }));
    assert.equal((await c.send(req))!.status, 200, 'the new config admits it');
    c.close();
  } finally {
    await quick.stop();
  }
});

test('a drain closes a connection the wire serves, like any idle keep-alive connection', async () => {
  const d = await startBulwark({
    origin: origin.url,
    sites: [{ name: 'drain', hosts: ['wire.test'], origins: [origin.url], policy: { limits: [{ name: 'one', average: 1, period: '1m', burst: 1, key: ['address'] }] } }],
  });
  const c = await WireClient.open(d.port, '127.62.0.9');
  for (let i = 0; i < 5; i++) await c.send(request());
  assert.ok(stats(d, 'drain').refusal_lane_wire_answers >= 1);
  const stopped = d.stop();
  const started = Date.now();
  while (!c.closed && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(c.closed, true, 'closed by the drain');
  await stopped;
});

test('over TLS: the wire answers copies on an HTTPS connection too', async () => {
  const tlsDir = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
  const s = await startBulwark({
    listen: { http: ['127.0.0.1:0'], https: ['127.0.0.1:0'] },
    policy: { escalation: { address_threshold: 100_000, prefix_threshold: 100_000 } },
    sites: [
      {
        name: 'alpha', hosts: ['alpha.test'], origins: [origin.url], tls: { cert: `${tlsDir}alpha.test.crt`, key: `${tlsDir}alpha.test.key` },
        policy: { limits: [{ name: 'one', average: 1, period: '1m', burst: 1, key: ['address'] }] },
      },
    ],
  });
  try {
    const port = s.bulwark.listeners.find((l) => l.secure)!.port;
    const socket = tls.connect({ port, host: '127.0.0.1', servername: 'alpha.test', rejectUnauthorized: false });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const c = new WireClient(socket);
    const req = 'GET / HTTP/1.1\r\nHost: alpha.test\r\nUser-Agent: flood/2.0\r\n\r\n';
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await c.send(req))!.status);
    assert.deepEqual(statuses, [200, 429, 429, 429, 429, 429]);
    const snap = stats(s, 'alpha');
    assert.equal(snap.refusal_lane_answers, 4);
    assert.equal(snap.refusal_lane_wire_answers, 3, 'every lane answer after the first repeat');
    // Varied requests give the TLS connection back to node:http; it keeps answering, and repeats again.
    for (let i = 0; i < 6; i++) assert.equal((await c.send(`GET /?n=${i} HTTP/1.1\r\nHost: alpha.test\r\nUser-Agent: flood/2.0\r\n\r\n`))!.status, 429);
    const wire = (s.bulwark.stats() as { wire: { connections_returned: number } }).wire;
    assert.equal(wire.connections_returned, 1);
    for (let i = 0; i < 4; i++) assert.equal((await c.send(req))!.status, 429);
    assert.equal(stats(s, 'alpha').refusal_lane_wire_answers, 5, 'taken again after a repeat');
    c.close();
  } finally {
    await s.stop();
  }
});
