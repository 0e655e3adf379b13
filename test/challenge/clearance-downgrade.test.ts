/**
 * Clearance downgrade (docs/threats.md): a cheap clearance — from a rule asking one bit of work, or from the
 * no-JavaScript wait at `normal` — used where a harder challenge is asked. Over real sockets: a clearance
 * satisfies only what it proved, and the no-JS path grants less than a solved puzzle (shorter, bound to
 * the exact address and user agent, without a cleared visitor's privileges). The origin fixture counts
 * what got through.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { solvePow } from '../../src/core/challenge/pow.ts';
import { readChallengeForm } from '../../src/drill/visitors/challenge-solvers.ts';
import { forceLevel, startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const HTML = 'text/html,application/xhtml+xml';
let origin: OriginFixture;
let b: TestBulwark;
const agents = new Map<string, Agent>();

function from(address: string): Agent {
  let a = agents.get(address);
  if (!a) agents.set(address, (a = new Agent({ localAddress: address })));
  return a;
}

async function get(path: string, address: string, opts: { cookie?: string; ua?: string } = {}) {
  const headers: Record<string, string> = { accept: HTML, 'user-agent': opts.ua ?? UA };
  if (opts.cookie) headers.cookie = opts.cookie;
  const res = await request(`${b.url}${path}`, { headers, dispatcher: from(address) });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

function cookieOf(setCookie: string | string[] | undefined): string {
  const v = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  return v.split(';')[0]!;
}

/** Gets the challenge page of `path`, solves it as a browser's worker would, and returns the clearance cookie. */
async function solve(path: string, address: string): Promise<string> {
  const page = await get(path, address);
  assert.equal(page.status, 403, `${path} is challenged`);
  const form = readChallengeForm(page.body)!;
  const found = solvePow(form.seed, form.work, { maxIterations: 1 << 24 })!;
  const body = new URLSearchParams({ token: form.token, return: form.returnPath, solution: found.solution }).toString();
  const res = await request(`${b.url}/.bulwark/challenge/verify`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA, accept: HTML },
    body,
    dispatcher: from(address),
  });
  await res.body.dump();
  assert.equal(res.statusCode, 303);
  return cookieOf(res.headers['set-cookie']);
}

/** Gets the challenge page of `path`, waits out the no-JS path like a browser without JavaScript, returns the Set-Cookie. */
async function waitThrough(path: string, address: string): Promise<string> {
  const page = await get(path, address);
  const form = readChallengeForm(page.body)!;
  assert.ok(form.noJs, 'the no-JS path is open');
  await new Promise((r) => setTimeout(r, form.noJs!.delayS * 1000));
  const res = await request(`${b.url}${form.noJs!.url}`, { headers: { 'user-agent': UA, accept: HTML }, dispatcher: from(address) });
  await res.body.dump();
  assert.equal(res.statusCode, 303);
  return String(res.headers['set-cookie']);
}

function reached(path: string): number {
  return origin.stats().byPath[path] ?? 0;
}

before(async () => {
  origin = await startOriginFixture({ paths: { '/missing/*': { status: 404 } } });
  b = await startBulwark({
    origin: origin.url,
    policy: { not_found: { burst: 3, average: 1, period: '1m' } },
    sites: [
      {
        name: 'news',
        hosts: ['*'],
        origins: [origin.url],
        // A short no-JS wait at normal keeps the test quick; elevated and under attack keep their defaults (10 s, 20 s).
        challenge: { nojs_wait: { normal: '1s' } },
        policy: {
          rules: [
            { name: 'cheap', match: { path: '/cheap' }, action: 'challenge', difficulty: 1 },
            { name: 'hard', match: { path: '/hard' }, action: 'challenge', difficulty: 16 },
          ],
        },
      },
    ],
  });
});
after(async () => {
  for (const a of agents.values()) await a.close();
  await b.stop();
  await origin.stop();
});

test('clearance downgrade: a clearance from a difficulty-1 rule does not pass the under-attack challenge', async () => {
  const address = '127.30.1.2';
  const cookie = await solve('/cheap', address);
  assert.equal((await get('/cheap', address, { cookie })).status, 200, 'it passes the rule it answered');
  await forceLevel(b, 'news', 'under_attack');
  try {
    const r = await get('/article-1', address, { cookie });
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-bulwark-challenge'], 'page');
    assert.equal(reached('/article-1'), 0);
  } finally {
    await forceLevel(b, 'news', 'normal');
  }
});

test('clearance downgrade: a clearance from a difficulty-1 rule does not pass a rule asking 16 bits', async () => {
  const address = '127.30.2.2';
  const cookie = await solve('/cheap', address);
  const r = await get('/hard', address, { cookie });
  assert.equal(r.status, 403);
  assert.equal(r.headers['x-bulwark-challenge'], 'page');
  assert.equal(reached('/hard'), 0);
});

test('clearance downgrade: the no-JS wait at normal does not pass the under-attack challenge, and lasts 10 minutes, not an hour', async () => {
  const address = '127.30.3.2';
  const setCookie = await waitThrough('/cheap', address);
  assert.match(setCookie, /Max-Age=600;/);
  const cookie = cookieOf(setCookie);
  assert.equal((await get('/cheap', address, { cookie })).status, 200, 'it passes the challenge it waited for');
  await forceLevel(b, 'news', 'under_attack');
  try {
    const r = await get('/article-3', address, { cookie });
    assert.equal(r.status, 403);
    assert.equal(reached('/article-3'), 0);
  } finally {
    await forceLevel(b, 'news', 'normal');
  }
});

test('clearance downgrade: a no-JS clearance is bound to its address and user agent, not to the /24', async () => {
  const cookie = cookieOf(await waitThrough('/cheap', '127.30.4.2'));
  assert.equal((await get('/cheap', '127.30.4.2', { cookie })).status, 200);
  assert.equal((await get('/cheap', '127.30.4.3', { cookie })).status, 403, 'another address of the same /24');
  assert.equal((await get('/cheap', '127.30.4.2', { cookie, ua: `${UA} Edg/126.0` })).status, 403, 'another user agent');
});

test('clearance downgrade: a no-JS clearance does not lift the 404 budget', async () => {
  const address = '127.30.5.2';
  const cookie = cookieOf(await waitThrough('/cheap', address));
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await get(`/missing/${i}`, address, { cookie })).status);
  assert.ok(statuses.includes(429), `the prefix overspent its 404 budget: ${statuses.join(',')}`);
});

test('a clearance earned under attack passes every level and every rule asking no more', async () => {
  const address = '127.30.6.2';
  await forceLevel(b, 'news', 'under_attack');
  let cookie: string;
  try {
    cookie = await solve('/article-6', address);
    assert.equal((await get('/article-6', address, { cookie })).status, 200);
  } finally {
    await forceLevel(b, 'news', 'normal');
  }
  assert.equal((await get('/hard', address, { cookie })).status, 200, '16 bits asked, more proved');
  assert.equal((await get('/cheap', address, { cookie })).status, 200);
  // A cleared visitor spends no 404 budget (unlike the no-JS clearance above).
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await get(`/missing/c${i}`, address, { cookie })).status);
  assert.deepEqual([...new Set(statuses)], [404]);
});
