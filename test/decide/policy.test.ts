/**
 * Rules and rate limits over real sockets with many source addresses: limits per address and per prefix (a /64
 * rotation through a trusted proxy), escalation to a ban and a drop at accept, rules (block, challenge,
 * CEL), shadow and log rules, and allow-listed clients that are never limited.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
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

async function get(path: string, address: string, headers: Record<string, string> = {}) {
  const res = await request(`${b.url}${path}`, { headers: { 'user-agent': UA, accept: 'text/html', ...headers }, dispatcher: from(address) });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body };
}

before(async () => {
  origin = await startOriginFixture();
  b = await startBulwark({
    origin: origin.url,
    trusted_proxies: ['127.0.0.1'],
    lists: { allow: ['127.33.0.1'] },
    policy: {
      limits: [
        { name: 'per-address', average: 5, period: '1s', burst: 5, key: ['address'] },
        { name: 'per-64', average: 10, period: '1s', burst: 10, key: ['prefix'], match: { path: '/v6' } },
      ],
      escalation: { address_threshold: 5, address_window: '1m', ladder: ['1m', '10m'] },
      rules: [
        { name: 'block-wp', match: { path: '/wp-admin' }, action: 'block' },
        { name: 'challenge-scanners', match: { user_agent: '(?i)sqlmap|nikto' }, action: 'challenge' },
        { name: 'cel-secret', expr: 'path.startsWith("/secret") && method == "DELETE"', action: 'block' },
        { name: 'shadow-export', match: { path: '/export' }, action: 'block', shadow: true },
        { name: 'log-search', match: { path: '/search' }, action: 'log' },
      ],
    },
  });
});
after(async () => {
  for (const a of agents.values()) await a.close();
  await b.stop();
  await origin.stop();
});

function connectDropped(localAddress: string): Promise<boolean> {
  return new Promise((resolve) => {
    let data = false;
    const s = net.connect({ port: b.port, host: '127.0.0.1', localAddress }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.on('data', () => (data = true));
    s.on('close', () => resolve(!data));
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 3000).unref();
  });
}

test('one address flooding is limited (429 + RateLimit headers), then banned, then dropped at accept', async () => {
  const statuses: number[] = [];
  let limited: Awaited<ReturnType<typeof get>> | undefined;
  for (let i = 0; i < 40; i++) {
    const r = await get('/page', '127.31.0.7').catch(() => ({ status: 0, headers: {}, body: '' }));
    statuses.push(r.status);
    if (r.status === 429 && limited === undefined) limited = r;
    if (r.status === 0) break;
  }
  assert.ok(statuses.slice(0, 5).every((s) => s === 200), `first burst served: ${statuses.join(',')}`);
  assert.ok(limited, `limited at some point: ${statuses.join(',')}`);
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  assert.match(String(limited.headers.ratelimit), /per-address/);
  assert.ok(limited.headers['ratelimit-policy']);
  // Ban stored → the next connections are dropped before any parsing.
  let dropped = false;
  for (let i = 0; i < 20 && !dropped; i++) {
    await new Promise((r) => setTimeout(r, 50));
    dropped = await connectDropped('127.31.0.7');
  }
  assert.ok(dropped, 'banned address dropped at accept');
  assert.equal(await connectDropped('127.31.0.8'), false, 'its neighbour is not');
  const bans = (await (await request(`${b.adminUrl}/bans`, { headers: b.adminHeaders })).body.json()) as { bans: { key: string; by: string }[] };
  assert.ok(bans.bans.some((x) => x.key === '127.31.0.7' && x.by === 'limit/per-address'));
});

test('an IPv6 /64 rotation through a trusted proxy is limited per prefix', async () => {
  const statuses: number[] = [];
  const startedMs = Date.now();
  for (let i = 0; i < 30; i++) {
    const addr = `2001:db8:aa:bb:${(i * 7919) % 65535 ? ((i * 7919) % 65535).toString(16) : '1'}::${(i + 1).toString(16)}`;
    statuses.push((await get('/v6', '127.0.0.1', { 'x-forwarded-for': addr })).status);
  }
  // The /64 gets its burst of 10 plus what the limit (10/s) refills while the loop runs: on a busy
  // machine the loop takes longer and the refill is larger, so the bound follows the time it took.
  const refill = Math.ceil(((Date.now() - startedMs) / 1000) * 10);
  const served = statuses.filter((s) => s === 200).length;
  assert.ok(served >= 10 && served <= 11 + refill, `per-/64 burst of 10 (+${refill} refilled) then limited: ${statuses.join(',')}`);
  assert.ok(statuses.includes(429));
  const seen = origin.stats().seen.forwardedFor;
  assert.ok(seen.some((x) => x.startsWith('2001:db8:aa:bb:')), 'the origin sees the client address from the trusted proxy chain');
});

test('rules: block by path, challenge by user agent, CEL expression; first match wins', async () => {
  const before = origin.stats().requests;
  assert.equal((await get('/wp-admin/x', '127.32.0.1')).status, 403);
  const scanner = await get('/', '127.32.0.2', { 'user-agent': 'sqlmap/1.7' });
  assert.ok(scanner.status === 403 || scanner.status === 429 || scanner.status === 503, `scanner got ${scanner.status}`);
  assert.equal(scanner.headers['x-bulwark-challenge'] !== undefined, true);
  const del = await request(`${b.url}/secret/1`, { method: 'DELETE', dispatcher: from('127.32.0.3') });
  await del.body.dump();
  assert.equal(del.statusCode, 403);
  const getSecret = await get('/secret/1', '127.32.0.4');
  assert.equal(getSecret.status, 200, 'the CEL rule only matches DELETE');
  assert.equal(origin.stats().requests, before + 1);
});

test('shadow and log rules change nothing but are counted', async () => {
  assert.equal((await get('/export', '127.32.1.1')).status, 200);
  assert.equal((await get('/search?q=x', '127.32.1.2')).status, 200);
  const stats = (await (await request(`${b.adminUrl}/stats`, { headers: b.adminHeaders })).body.json()) as { sites: { site: string; policy: { shadow: Record<string, number> } | null }[] };
  const shadow = stats.sites.find((s) => s.site === 'test')!.policy!.shadow;
  assert.equal(shadow['rule/shadow-export → block'], 1);
  assert.equal(shadow['rule/log-search → log'], 1);
});

test('an allow-listed address is never limited', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) statuses.push((await get('/page', '127.33.0.1')).status);
  assert.ok(statuses.every((s) => s === 200), statuses.join(','));
});
