/**
 * Cache hits on the wire over real sockets (edge/wire/hit.ts): exact repeats of a request served a
 * fresh HIT are answered from the bytes read — the same answer node:http gives, one record each — and
 * only while the pipeline would do the same: limits still count every copy once, an expired entry, a
 * changed threat level, a ban or a clearance cookie send the copy through the whole pipeline.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forceLevel, startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { KeepAliveClient as Client } from '../helpers/keep-alive-client.ts';

const get = (path: string, extra = '', method = 'GET') => `${method} ${path} HTTP/1.1\r\nHost: hit.test\r\nUser-Agent: flood/3.0\r\nAccept: */*\r\n${extra}\r\n`;

let origin: OriginFixture;
let b: TestBulwark;
const records: RequestRecord[] = [];

before(async () => {
  origin = await startOriginFixture({
    paths: { '/page': { cacheControl: 'public, max-age=60' }, '/short': { cacheControl: 'public, max-age=1' }, '/limited': { cacheControl: 'public, max-age=60' } },
  });
  b = await startBulwark({
    origin: origin.url,
    policy: { escalation: { address_threshold: 100_000, prefix_threshold: 100_000 } },
    sites: [
      {
        name: 'hit', hosts: ['hit.test'], origins: [origin.url],
        shield: { cache: { admit_after_uses: 1 } },
        policy: { limits: [{ name: 'limited-path', average: 1, period: '1m', burst: 6, key: ['address'], match: { path: '/limited' } }] },
      },
    ],
  });
  b.bulwark.recorder.addSink('test', (r) => records.push(r));
});
after(async () => {
  await b.stop();
  await origin.stop();
});

const wire = () => (b.bulwark.stats() as { wire: { answered: number; connections_taken: number } }).wire;
const mine = (address: string) => records.filter((r) => r.clientAddress === address);
/** A record without what differs from one copy of a request to the next. */
const stableFields = ({ requestId, timeMs, durationMs, bytesOut, ...rest }: RequestRecord) => rest;
/** The answer with what differs between answers (request ID, Date, Age) blanked. */
const shape = (raw: string) => raw.replace(/[a-z2-7]{8}-[0-9a-z]{6}/g, 'ID').replace(/\r\ndate: [^\r]+/gi, '\r\ndate: -').replace(/\r\nage: \d+/, '\r\nage: -');

test('exact repeats of a cached page are answered on the wire: node:http\'s answer byte for byte, one record each, one request ID each', async () => {
  const address = '127.64.0.1';
  const c = await Client.open(b.port, address);
  const originBefore = origin.stats().requests;
  const before = wire().answered;
  const answers = [];
  for (let i = 0; i < 10; i++) answers.push((await c.send(get('/page')))!);
  assert.deepEqual(answers.map((a) => a.header('x-bulwark-cache')), ['MISS', ...Array(9).fill('HIT')]);
  assert.equal(origin.stats().requests - originBefore, 1, 'the origin saw one request');
  // 2nd: HIT through node:http; 3rd: a repeat, arms the wire; 4th–10th: the wire.
  assert.equal(wire().answered - before, 7);
  assert.equal(shape(answers[9]!.raw), shape(answers[1]!.raw), 'the wire writes what node:http writes');
  for (const a of answers) {
    assert.equal(a.fields.filter(([n]) => n === 'x-request-id').length, 1, 'one request ID, the answer\'s own');
    assert.equal(a.fields.filter(([n, v]) => n === 'via' && v.includes('bulwark')).length, 1, 'Bulwark in Via once');
    assert.equal(a.raw.slice(a.raw.indexOf('\r\n\r\n') + 4).length, Number(a.header('content-length')));
  }
  c.close();
  const rs = mine(address);
  assert.equal(rs.length, 10);
  assert.deepEqual(rs.map((r) => r.requestId), answers.map((a) => a.header('x-request-id')), 'records carry the IDs the client saw');
  for (const r of rs.slice(1)) {
    assert.equal(r.outcome, 'cached');
    assert.equal(r.cacheStatus, 'HIT');
    assert.equal(r.status, 200);
    assert.equal(r.decisionBy, 'default/allow');
    assert.equal(r.path, '/page');
    assert.equal(r.userAgent, 'flood/3.0');
    assert.equal(r.prefix, '127.64.0.0/24');
  }
  // Field by field, a wire answer's record is the one node:http's hit (the 2nd) got, but for the
  // request's own ID, time and bytes out.
  for (const r of rs.slice(2)) assert.deepEqual(stableFields(r), stableFields(rs[1]!));
  assert.equal(rs.reduce((n, r) => n + r.bytesIn, 0), Buffer.byteLength(get('/page')) * 10);
  assert.equal(rs.reduce((n, r) => n + r.bytesOut, 0), c.received, 'bytes out: what the client received');
});

test('pipelined copies of a hit are answered in order; a different request after them goes to node:http', async () => {
  const address = '127.64.0.8';
  const c = await Client.open(b.port, address);
  for (let i = 0; i < 3; i++) await c.send(get('/page'));
  const before = wire().answered;
  c.socket.write(get('/page') + get('/page') + get('/page') + get('/page', 'X-Other: 1\r\n'));
  const answers = [];
  for (let i = 0; i < 4; i++) answers.push((await c.send(''))!);
  assert.ok(answers.every((a) => a.status === 200 && a.header('x-bulwark-cache') === 'HIT'));
  assert.equal(wire().answered - before, 3, 'three copies on the wire, the fourth through node:http');
  assert.deepEqual(mine(address).slice(-4).map((r) => r.requestId), answers.map((a) => a.header('x-request-id')), 'in the order sent');
  c.close();
  assert.equal(mine(address).reduce((n, r) => n + r.bytesOut, 0), c.received);
});

test('property: any mix of copies, other requests and cuts is answered once each, in order, from the cache, every byte counted', async () => {
  const kinds = { copy: get('/page'), other: get('/page', 'X-Other: 1\r\n'), head: get('/page', '', 'HEAD') };
  let n = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.constantFrom<keyof typeof kinds>('copy', 'copy', 'copy', 'other', 'head'), { minLength: 1, maxLength: 20 }),
      fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 10 }),
      async (sequence, cuts) => {
        const address = `127.65.${n >> 8}.${(n++ & 255) + 1}`;
        const c = await Client.open(b.port, address);
        for (let i = 0; i < 3; i++) await c.send(kinds.copy);
        const bytes = Buffer.from(sequence.map((k) => kinds[k]).join(''), 'latin1');
        await c.writeInPieces(bytes, cuts);
        for (let i = 0; i < sequence.length; i++) {
          const a = await c.send('', sequence[i] === 'head');
          assert.ok(a !== null && a.status === 200 && a.header('x-bulwark-cache') === 'HIT', `answer ${i} of ${sequence.join(',')}`);
        }
        c.close();
        const rs = mine(address).slice(3);
        assert.equal(rs.length, sequence.length, 'one record per request');
        assert.deepEqual(rs.map((r) => r.method), sequence.map((k) => (k === 'head' ? 'HEAD' : 'GET')));
        assert.equal(rs.reduce((x, r) => x + r.bytesIn, 0), bytes.length, 'bytes in: every byte once');
        assert.equal(mine(address).reduce((x, r) => x + r.bytesOut, 0), c.received, 'bytes out: what the client received');
      },
    ),
    { numRuns: 30 },
  );
});

test('limits still count every copy exactly once: the burst is served, the next copy is refused', async () => {
  const c = await Client.open(b.port, '127.64.0.2');
  const before = wire().answered;
  const statuses = [];
  for (let i = 0; i < 9; i++) statuses.push((await c.send(get('/limited')))!.status);
  // Burst 6: six answers (a miss, then hits — some on the wire), then 429s (decided by node:http's path).
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429, 429]);
  assert.ok(wire().answered - before >= 2, 'some of the six were answered on the wire');
  c.close();
});

test('HEAD copies are answered without a body', async () => {
  const c = await Client.open(b.port, '127.64.0.3');
  await c.send(get('/page'));
  const before = wire().answered;
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push((await c.send(get('/page', '', 'HEAD'), true))!);
  assert.ok(answers.every((a) => a.status === 200 && a.header('x-bulwark-cache') === 'HIT'));
  // The second HEAD repeats the first: the wire answers the third to the fifth.
  assert.equal(wire().answered - before, 3);
  assert.equal(shape(answers[4]!.raw), shape(answers[1]!.raw));
  // Only heads arrived: a GET now reads its whole body.
  const full = (await c.send(get('/page')))!;
  assert.equal(full.raw.slice(full.raw.indexOf('\r\n\r\n') + 4).length, Number(full.header('content-length')));
  c.close();
});

test('the wire stands aside when the pipeline would answer differently: an expired entry, a threat level, a ban', async () => {
  const c = await Client.open(b.port, '127.64.0.4');
  for (let i = 0; i < 4; i++) assert.equal((await c.send(get('/short')))!.status, 200);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const stale = (await c.send(get('/short')))!;
  assert.notEqual(stale.header('x-bulwark-cache'), 'HIT', 'no longer fresh: the pipeline decides (stale or a new fetch)');
  assert.notEqual(mine('127.64.0.4').at(-1)!.cacheStatus, 'HIT');

  const d = await Client.open(b.port, '127.64.0.5');
  for (let i = 0; i < 4; i++) await d.send(get('/page'));
  await forceLevel(b, 'hit', 'under_attack');
  try {
    // Under attack an unknown client would be challenged; the cache serves everyone, so the pipeline
    // answers from the cache (the decision says why) — the wire, which serves plain allows only, stands aside.
    const before = wire().answered;
    const served = (await d.send(get('/page')))!;
    assert.equal(served.status, 200);
    assert.equal(served.header('x-bulwark-cache'), 'HIT');
    assert.equal(wire().answered, before, 'not answered on the wire');
    assert.equal(mine('127.64.0.5').at(-1)!.decisionBy, 'level/under_attack');
  } finally {
    await forceLevel(b, 'hit', 'normal');
  }
  // Back to normal: the same connection's copies are answered on the wire again.
  const resumed = wire().answered;
  for (let i = 0; i < 4; i++) assert.equal((await d.send(get('/page')))!.header('x-bulwark-cache'), 'HIT');
  assert.ok(wire().answered - resumed >= 2, 'the wire serves the connection again after the level went back');

  const e = await Client.open(b.port, '127.64.0.6');
  for (let i = 0; i < 4; i++) await e.send(get('/page'));
  const now = Date.now();
  await b.bulwark.runtime().services.stores.bans.add(
    { key: '127.64.0.6', scope: 'address', reason: 'test', by: 'test', level: 1, createdAtMs: now, untilMs: now + 60_000, source: 'manual' },
    { actor: 'manual', nowMs: now },
  );
  assert.equal(await e.send(get('/page')), null, 'banned: dropped');
  c.close();
  d.close();
});

test('requests with a clearance cookie are never answered on the wire (a clearance expires)', async () => {
  const c = await Client.open(b.port, '127.64.0.7');
  const before = wire().answered;
  for (let i = 0; i < 6; i++) assert.equal((await c.send(get('/page', 'Cookie: bulwark_clearance=not-valid\r\n')))!.status, 200);
  assert.equal(wire().answered, before);
  c.close();
});
