/**
 * The 404 budget over real sockets (docs/threats.md, cache busting: random-path 404 storms): a prefix that
 * keeps hitting missing pages is answered 429 `limit/not-found` on every path, so a random-path flood
 * stops reaching the origin; its neighbours in other prefixes, and allow-listed clients, are unaffected.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';

let origin: OriginFixture;
let b: TestBulwark;
const agents = new Map<string, Agent>();
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

function from(address: string): Agent {
  let a = agents.get(address);
  if (!a) agents.set(address, (a = new Agent({ localAddress: address })));
  return a;
}

async function get(path: string, address: string) {
  const res = await request(`${b.url}${path}`, { headers: { 'user-agent': UA, accept: 'text/html' }, dispatcher: from(address) });
  await res.body.text();
  return { status: res.statusCode, headers: res.headers };
}

before(async () => {
  origin = await startOriginFixture({ unknownPathStatus: 404, paths: { '/': { status: 200 }, '/news': { status: 200 } } });
  b = await startBulwark({
    origin: origin.url,
    lists: { allow: ['127.44.9.1'] },
    policy: {
      not_found: { average: 5, period: '1m', burst: 5 },
      escalation: { address_threshold: 1000, prefix_threshold: 1000 },
    },
  });
});
after(async () => {
  for (const a of agents.values()) await a.close();
  await b.stop();
  await origin.stop();
});

test('a random-path 404 storm from one prefix is answered 429 limit/not-found on every path', async () => {
  const before = origin.stats().requests;
  const statuses: number[] = [];
  // Two addresses of one /24 share the budget (the prefix is the key).
  for (let i = 0; i < 30; i++) statuses.push((await get(`/missing-${i}-${Math.random()}`, i % 2 === 0 ? '127.44.1.10' : '127.44.1.11')).status);
  const notFound = statuses.filter((s) => s === 404).length;
  assert.ok(notFound >= 5 && notFound <= 6, `the burst of 404s is answered, then limited: ${statuses.join(',')}`);
  assert.equal(statuses.filter((s) => s === 429).length, 30 - notFound);
  assert.equal(origin.stats().requests - before, notFound, 'limited requests never reach the origin');
  // The penalty covers real pages too, and names its budget in the RateLimit headers.
  const page = await get('/news', '127.44.1.12');
  assert.equal(page.status, 429);
  assert.match(String(page.headers.ratelimit), /not-found/);
  assert.ok(Number(page.headers['retry-after']) >= 1);
  const decisions = b.bulwark.runtime().services.policyStatsOf(b.config.sites[0]!.name).snapshot().decisions;
  assert.equal(decisions['limit/not-found'], 30 - notFound + 1, 'each refusal is counted under its cause');
});

test('other prefixes and allow-listed clients are unaffected by the budget', async () => {
  assert.equal((await get('/news', '127.44.2.10')).status, 200, 'a visitor in another prefix is served');
  for (let i = 0; i < 5; i++) assert.equal((await get(`/gone-${i}`, '127.44.2.10')).status, 404, 'a few 404s are fine');
  assert.equal((await get('/', '127.44.2.10')).status, 200);
  for (let i = 0; i < 20; i++) assert.equal((await get(`/scan-${i}`, '127.44.9.1')).status, 404, 'allow-listed clients are never limited');
  assert.equal((await get('/news', '127.44.9.1')).status, 200);
});
