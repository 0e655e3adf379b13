/**
 * The refusal lane over real sockets (pipeline/lane/refusal-lane.ts): a client refused by a request-independent
 * limit on a keep-alive connection gets its repeated requests answered 429 without identify/decide,
 * with every request still recorded, counted and escalated — and the lane is left as soon as anything
 * the decision depended on changes (headers, path-dependent limits, allow rules, bans, time).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { KeepAliveClient, type Answer } from '../helpers/keep-alive-client.ts';

/** A request as the flooding client sends it: fixed Host, User-Agent and Accept, plus `headers`. */
function laneGet(path: string, headers: Record<string, string> = {}): string {
  const lines = [`GET ${path} HTTP/1.1`, 'Host: lane.test', 'User-Agent: flood/1.0', 'Accept: */*', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return lines.join('\r\n') + '\r\n\r\n';
}

let origin: OriginFixture;
let b: TestBulwark;
const records: RequestRecord[] = [];

before(async () => {
  origin = await startOriginFixture({ paths: { '/': { status: 200 }, '/search': { status: 200 }, '/health': { status: 200 } } });
  b = await startBulwark({
    origin: origin.url,
    policy: { escalation: { address_threshold: 1000, prefix_threshold: 1000 } },
    sites: [
      {
        name: 'lane', hosts: ['lane.test'], origins: [origin.url],
        policy: { limits: [{ name: 'per-ip', average: 2, period: '1m', burst: 2, key: ['address'] }, { name: 'search', average: 1, period: '1m', burst: 1, key: ['address'], match: { path: '/search' } }] },
      },
    ],
  });
  b.bulwark.recorder.addSink('test', (r) => records.push(r));
});
after(async () => {
  await b.stop();
  await origin.stop();
});

const laneAnswers = () => b.bulwark.runtime().services.policyStatsOf('lane').snapshot().refusal_lane_answers;

test('a refused keep-alive client is answered from the lane: 429 with fresh headers, every request recorded', async () => {
  const c = await KeepAliveClient.open(b.port, '127.61.0.1');
  const originBefore = origin.stats().requests;
  const lanesBefore = laneAnswers();
  const statuses: number[] = [];
  const answers: Answer[] = [];
  for (let i = 0; i < 12; i++) {
    const a = (await c.send(laneGet('/')))!;
    statuses.push(a.status);
    answers.push(a);
  }
  c.close();
  assert.deepEqual(statuses, [200, 200, ...Array(10).fill(429)]);
  assert.equal(origin.stats().requests - originBefore, 2, 'refused requests never reach the origin');
  assert.equal(laneAnswers() - lanesBefore, 9, 'the first refusal opens the lane, the next nine come from it');
  for (const a of answers.slice(2)) {
    assert.ok(Number(a.headers['retry-after']) >= 1 && Number(a.headers['retry-after']) <= 60, a.headers['retry-after']);
    assert.match(a.headers['ratelimit-policy']!, /^"per-ip";q=2;w=60$/);
    assert.match(a.headers.ratelimit!, /^"per-ip";r=0;t=\d+$/);
    assert.match(a.headers['x-request-id']!, /^[a-z2-7]{8}-[0-9a-z]{6}$/);
  }
  const mine = records.filter((r) => r.clientAddress === '127.61.0.1');
  assert.equal(mine.length, 12, 'exactly one record per request, lane or not');
  assert.equal(mine.filter((r) => r.outcome === 'limited' && r.decisionBy === 'limit/per-ip' && r.status === 429).length, 10);
  assert.equal(new Set(mine.map((r) => r.requestId)).size, 12);
  assert.ok(mine.every((r) => r.site === 'lane' && r.prefix === '127.61.0.0/24' && r.fingerprint !== ''));
});

test('a changed header leaves the lane (the request is decided again), and a path-dependent limit never opens one', async () => {
  const c = await KeepAliveClient.open(b.port, '127.61.0.2');
  for (let i = 0; i < 3; i++) await c.send(laneGet('/'));
  const before = laneAnswers();
  assert.equal((await c.send(laneGet('/')))!.status, 429);
  assert.equal(laneAnswers() - before, 1);
  assert.equal((await c.send(laneGet('/', { 'X-Other': '1' })))!.status, 429, 'still refused, by decide');
  assert.equal(laneAnswers() - before, 1, 'not from the lane');
  c.close();

  const s = await KeepAliveClient.open(b.port, '127.61.0.3');
  assert.equal((await s.send(laneGet('/search')))!.status, 200);
  assert.equal((await s.send(laneGet('/search')))!.status, 429, 'the /search limit refuses');
  const lanes = laneAnswers();
  assert.equal((await s.send(laneGet('/')))!.status, 200, 'another path is not refused: the /search limit opened no lane');
  assert.equal(laneAnswers(), lanes);
  s.close();
});

test('a flood varying a header per request: every request still refused and recorded; lanes back off, and a connection that repeats itself again gets one', async () => {
  const c = await KeepAliveClient.open(b.port, '127.61.0.7');
  const before = laneAnswers();
  const statuses: number[] = [];
  // Opens a lane on its first refusal, which the next (different) request closes unused: from then on
  // the connection's refusals open lanes less and less often; each request is decided in full.
  for (let i = 0; i < 40; i++) statuses.push((await c.send(laneGet('/', { 'Accept-Language': `x-${i}` })))!.status);
  assert.deepEqual(statuses, [200, 200, ...Array(38).fill(429)]);
  assert.equal(laneAnswers(), before, 'no request repeated the one before it: none came from a lane');
  // The same request over and over: within the backoff (at most 63 refusals) a lane opens and answers.
  const repeated: number[] = [];
  for (let i = 0; i < 70; i++) repeated.push((await c.send(laneGet('/', { 'Accept-Language': 'x-same' })))!.status);
  c.close();
  assert.deepEqual(repeated, Array(70).fill(429));
  assert.ok(laneAnswers() - before > 0, 'the repeats are answered from a lane again');
  const mine = records.filter((r) => r.clientAddress === '127.61.0.7');
  assert.equal(mine.length, 110, 'one record per request, lane or not');
  assert.equal(mine.filter((r) => r.outcome === 'limited' && r.decisionBy === 'limit/per-ip' && r.status === 429).length, 108);
});

test('a flood varying its Referer, a cookie, an extension header or its user agent (same class) per request is answered from the lane; another user-agent class, Accept or clearance is decided again', async () => {
  const c = await KeepAliveClient.open(b.port, '127.61.0.8');
  const statuses: number[] = [];
  const before = laneAnswers();
  for (let i = 0; i < 30; i++) statuses.push((await c.send(laneGet('/', { Referer: `https://elsewhere.test/${i}`, 'X-Bust': String(i), Cookie: `visit=${i}` })))!.status);
  assert.deepEqual(statuses, [200, 200, ...Array(28).fill(429)]);
  // The first refusal opens the lane; every later one repeats the bound fields and is answered from it.
  assert.equal(laneAnswers() - before, 27, 'every refusal after the one that opened the lane');
  const mine = records.filter((r) => r.clientAddress === '127.61.0.8');
  assert.equal(mine.length, 30, 'one record per request');
  assert.equal(mine.filter((r) => r.outcome === 'limited' && r.decisionBy === 'limit/per-ip' && r.status === 429).length, 28);
  assert.equal(new Set(mine.map((r) => r.fingerprint)).size, 1, 'one fingerprint: the names repeat');
  // A bound field's value changes: decided again (still refused, by the limit), not from the lane.
  // A user agent of the same class (here: neither browser, crawler nor library) stays in the lane.
  const same = laneAnswers();
  assert.equal((await c.send(laneGet('/', { Referer: 'https://elsewhere.test/y', 'X-Bust': 'y', Cookie: 'visit=y' }).replace('flood/1.0', 'flood/2.0')))!.status, 429);
  assert.equal(laneAnswers() - same, 1, 'same user-agent class: from the lane');
  for (const change of [{ 'User-Agent': 'curl/8.4.0' }, { Accept: 'application/json' }, { Cookie: 'visit=x; bulwark_clearance=forged' }]) {
    const lanes = laneAnswers();
    const raw = laneGet('/', { Referer: 'https://elsewhere.test/x', 'X-Bust': 'x', Cookie: change.Cookie ?? 'visit=x' })
      .replace(/User-Agent: [^\r]*/, `User-Agent: ${change['User-Agent'] ?? 'flood/1.0'}`)
      .replace(/Accept: [^\r]*/, `Accept: ${change.Accept ?? '*/*'}`);
    assert.equal((await c.send(raw))!.status, 429);
    assert.equal(laneAnswers(), lanes, `${Object.keys(change)[0]} changed: not from the lane`);
  }
  c.close();
});

test('a ban ends the lane: the next request on the connection is dropped', async () => {
  const c = await KeepAliveClient.open(b.port, '127.61.0.4');
  for (let i = 0; i < 4; i++) await c.send(laneGet('/'));
  const before = laneAnswers();
  assert.equal((await c.send(laneGet('/')))!.status, 429);
  assert.equal(laneAnswers() - before, 1);
  await b.bulwark.runtime().services.stores.bans.add(
    { key: '127.61.0.4', scope: 'address', reason: 'test', by: 'test', level: 1, createdAtMs: Date.now(), untilMs: Date.now() + 60_000, source: 'manual' },
    { actor: 'manual', nowMs: Date.now() },
  );
  assert.equal(await c.send(laneGet('/')), null, 'dropped, not answered from the lane');
  assert.equal(c.closed, true);
});

test('no lane on a site with an allow rule; a lane ends when the limit admits again', async () => {
  const site = await startBulwark({
    origin: origin.url,
    sites: [
      {
        name: 'allowing', hosts: ['lane.test'], origins: [origin.url],
        policy: {
          rules: [{ name: 'health', match: { path: '=/health' }, action: 'allow' }],
          limits: [{ name: 'fast', average: 1, period: '1s', burst: 1, key: ['address'] }],
        },
      },
    ],
  });
  try {
    const c = await KeepAliveClient.open(site.port, '127.61.0.5');
    assert.equal((await c.send(laneGet('/')))!.status, 200);
    assert.equal((await c.send(laneGet('/')))!.status, 429);
    assert.equal((await c.send(laneGet('/health')))!.status, 200, 'the allow rule still lets the refused client through');
    assert.equal(site.bulwark.runtime().services.policyStatsOf('allowing').snapshot().refusal_lane_answers, 0);
    c.close();
  } finally {
    await site.stop();
  }

  const quick = await startBulwark({
    origin: origin.url,
    sites: [{ name: 'quick', hosts: ['lane.test'], origins: [origin.url], policy: { limits: [{ name: 'fast', average: 1, period: '1s', burst: 1, key: ['address'] }] } }],
  });
  try {
    const c = await KeepAliveClient.open(quick.port, '127.61.0.6');
    assert.equal((await c.send(laneGet('/')))!.status, 200);
    assert.equal((await c.send(laneGet('/')))!.status, 429);
    assert.equal((await c.send(laneGet('/')))!.status, 429);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal((await c.send(laneGet('/')))!.status, 200, 'the lane ends when the limit admits again');
    c.close();
  } finally {
    await quick.stop();
  }
});
