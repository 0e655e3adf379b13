/**
 * Onset protection and the cache serving everyone, over real sockets:
 * - onset: a visitor the site served before the surge keeps its place ahead of a surge of unknown
 *   sources queued for the origin (before any level or challenge), while a new visitor queues with them;
 * - cache serves everyone: under attack an uncleared browser, a client without JavaScript and a feed
 *   reader get the cached copy instead of a challenge, a stale one too; what is not cached is still
 *   challenged; blocked and rate-limited clients get no copy; `serve_everyone: false` challenges as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { forceLevel, startBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture } from '../helpers/origin.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const HTML = 'text/html,application/xhtml+xml';

const agents = new Map<string, Agent>();
function from(address: string, connections = 4): Agent {
  let a = agents.get(address);
  if (!a) agents.set(address, (a = new Agent({ localAddress: address, connections })));
  return a;
}
async function closeAgents(): Promise<void> {
  for (const a of agents.values()) await a.close();
  agents.clear();
}

async function get(base: string, path: string, address: string, opts: { ua?: string; accept?: string; started?: number } = {}) {
  const started = opts.started ?? Date.now();
  const res = await request(`${base}${path}`, { headers: { 'user-agent': opts.ua ?? UA, accept: opts.accept ?? HTML }, dispatcher: from(address) });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body, ms: Date.now() - started };
}

test('onset: a visitor served before the surge is served ahead of an unknown surge; a new visitor queues with it', async () => {
  const origin = await startOriginFixture({ latencyMs: 100, paths: { '/news/*': { cacheControl: 'no-store' } } });
  const b = await startBulwark({
    sites: [
      {
        name: 'onset',
        hosts: ['*'],
        origins: [origin.url],
        shield: { admission: { algorithm: 'fixed', min_limit: 2, max_limit: 2, initial_limit: 2, max_queue: 2_000, max_wait: '60s' }, returning_clients: { min_age: '1s' } },
      },
    ],
  });
  try {
    // Before the surge: a visitor reads the site (twice, a second apart: well known).
    assert.equal((await get(b.url, '/news/1', '127.79.1.1')).status, 200);
    await new Promise((r) => setTimeout(r, 1_100));
    assert.equal((await get(b.url, '/news/2', '127.79.1.1')).status, 200);
    // The surge: 80 new sources, one request each, all queued (2 slots, 100 ms each: 4 s of backlog).
    const started = Date.now();
    const surge = Array.from({ length: 80 }, (_, i) => get(b.url, `/news/3?s=${i}`, `127.80.${i}.1`, { started }));
    await new Promise((r) => setTimeout(r, 300));
    const [known, fresh] = await Promise.all([get(b.url, '/news/1', '127.79.1.1', { started }), get(b.url, '/news/1', '127.81.0.1', { started })]);
    const done = await Promise.all(surge);
    assert.equal(known.status, 200);
    assert.equal(fresh.status, 200);
    const times = done.map((r) => r.ms).sort((x, y) => x - y);
    const servedBefore = (ms: number) => times.filter((t) => t < ms).length;
    assert.ok(servedBefore(known.ms) <= 12, `the returning visitor was served after ${servedBefore(known.ms)} of the surge's 80 (${known.ms} ms)`);
    assert.ok(servedBefore(fresh.ms) >= 40, `a new visitor queues with the surge: served after ${servedBefore(fresh.ms)} of 80`);
    const stats = b.bulwark.runtime().sites[0]!.shield.stats(Date.now()) as { returning_clients: { hits: number; known: number } };
    assert.ok(stats.returning_clients.hits >= 1);
  } finally {
    await closeAgents();
    await b.stop();
    await origin.stop();
  }
});

test('cache serves everyone: under attack a cached copy goes to uncleared browsers and clients without JavaScript; the rest is challenged', async () => {
  const origin = await startOriginFixture({
    paths: {
      '/': { cacheControl: 'public, max-age=60' },
      '/brief': { cacheControl: 'public, max-age=1, stale-if-error=600' },
      '/feed': { cacheControl: 'public, max-age=60' },
      '/news/1': { cacheControl: 'no-store' },
    },
  });
  const b = await startBulwark({
    sites: [
      {
        name: 'everyone',
        hosts: ['everyone.test'],
        origins: [origin.url],
        shield: { cache: { admit_after_uses: 1 } },
        policy: {
          rules: [{ name: 'no-bad', action: 'block', match: { user_agent: 'BadBot' } }],
          limits: [{ name: 'tight', average: 1, period: '1m', burst: 2, key: ['address'], match: { path: '=/feed' } }],
        },
      },
      { name: 'off', hosts: ['off.test'], origins: [origin.url], shield: { cache: { admit_after_uses: 1, serve_everyone: false } } },
    ],
  });
  const send = async (host: string, path: string, address: string, ua = UA, accept = HTML) => {
    const res = await request(`${b.url}${path}`, { headers: { host, 'user-agent': ua, accept }, dispatcher: from(address) });
    return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
  };
  try {
    // Warm the cache while calm.
    for (const path of ['/', '/brief', '/feed']) assert.equal((await send('everyone.test', path, '127.82.0.1')).status, 200);
    assert.equal((await send('off.test', '/', '127.82.0.1')).status, 200);
    const originBefore = origin.stats().requests;
    await forceLevel(b, 'everyone', 'under_attack');
    await forceLevel(b, 'off', 'under_attack');
    await new Promise((r) => setTimeout(r, 1_100)); // /brief is now stale (inside stale-if-error)
    const browser = await send('everyone.test', '/', '127.82.1.1');
    assert.equal(browser.status, 200, 'an uncleared browser gets the cached front page');
    assert.equal(browser.headers['x-bulwark-cache'], 'HIT');
    assert.equal(browser.headers['x-bulwark-challenge'], undefined);
    const lynx = await send('everyone.test', '/', '127.82.1.2', 'Lynx/2.9.2 libwww-FM/2.14', 'text/html, text/plain, */*;q=0.01');
    assert.equal(lynx.status, 200, 'a text browser without JavaScript too');
    const stale = await send('everyone.test', '/brief', '127.82.1.3');
    assert.equal(stale.status, 200, 'under attack a stale copy is served');
    assert.equal(stale.headers['x-bulwark-cache'], 'STALE');
    const reader = await send('everyone.test', '/feed', '127.82.1.4', 'NetNewsWire (RSS Reader; https://netnewswire.com/)', 'application/rss+xml');
    assert.equal(reader.status, 200, 'a feed reader gets the feed from the cache');
    // None of it reached the origin, but for the one background refresh of the stale-while-revalidate copy.
    assert.ok(origin.stats().requests - originBefore <= 1, `${origin.stats().requests - originBefore} origin requests`);
    // What is not cached is still guarded by the challenge.
    const uncached = await send('everyone.test', '/news/1', '127.82.1.5');
    assert.equal(uncached.status, 403);
    assert.equal(uncached.headers['x-bulwark-challenge'], 'page');
    // Blocked and rate-limited clients get no copy.
    assert.equal((await send('everyone.test', '/', '127.82.1.6', 'BadBot/1.0')).status, 403);
    const limited = [];
    for (let i = 0; i < 4; i++) limited.push((await send('everyone.test', '/feed', '127.82.1.7', 'NetNewsWire (RSS Reader)', 'application/rss+xml')).status);
    assert.ok(limited.includes(429), `rate limit still applies: ${limited}`);
    // Turned off: the cached page is challenged as before.
    const off = await send('off.test', '/', '127.82.1.8');
    assert.equal(off.status, 403);
    assert.equal(off.headers['x-bulwark-challenge'], 'page');
    const stats = b.bulwark.runtime().sites[0]!.shield.stats(Date.now()) as { cache: { servedChallenged: number } };
    assert.ok(stats.cache.servedChallenged >= 3, `servedChallenged ${stats.cache.servedChallenged}`);
  } finally {
    await closeAgents();
    await b.stop();
    await origin.stop();
  }
});
