/**
 * Clearances that survive real networks, over real sockets: a site with the `network` binding keeps a
 * visitor's clearance when the visitor's address moves between IPv4 and IPv6 (dual stack) or to another
 * /24 of the carrier's pool — the same autonomous system, the same browser — and refuses it elsewhere;
 * a site with the default `prefix` binding does not follow those moves (the trade-off the docs describe).
 *
 * The visitors' public addresses reach Bulwark the way they do behind a load balancer: in
 * X-Forwarded-For from a trusted proxy (loopback here), and a small ASN table written by the test maps
 * them to two networks. No packet leaves the machine.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { solvePow } from '../../src/core/challenge/pow.ts';
import { readChallengeForm } from '../../src/drill/visitors/challenge-solvers.ts';
import { forceLevel, startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const LANG = 'en-GB,en;q=0.9';
/** One visitor's addresses in AS64500: IPv4, another /24 of the same pool, IPv6; and an address in AS64511. */
const V4 = '81.2.69.142';
const V4_POOL = '81.2.70.5';
const V6 = '2a02:8010:1234::5';
const ELSEWHERE = '5.6.7.8';

let origin: OriginFixture;
let b: TestBulwark;

interface Visit {
  readonly host: string;
  readonly from: string;
  readonly cookie?: string;
  readonly ua?: string;
}

async function send(path: string, v: Visit, init: { method?: string; body?: string } = {}) {
  const headers: Record<string, string> = { host: v.host, accept: 'text/html', 'user-agent': v.ua ?? UA, 'accept-language': LANG, 'x-forwarded-for': v.from };
  if (v.cookie) headers.cookie = v.cookie;
  if (init.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await request(`${b.url}${path}`, { method: (init.method ?? 'GET') as 'GET', headers, body: init.body });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** Loads a challenged page at `page.from`, answers it from `answerFrom` (a dual-stack browser may switch), returns the cookie. */
async function solve(host: string, pageFrom: string, answerFrom: string): Promise<{ status: number; cookie: string }> {
  const page = await send('/story', { host, from: pageFrom });
  assert.equal(page.status, 403);
  const form = readChallengeForm(page.body)!;
  const solution = solvePow(form.seed, form.work, { maxIterations: 1 << 24 })!.solution;
  const body = new URLSearchParams({ token: form.token, return: form.returnPath, solution }).toString();
  const r = await send('/.bulwark/challenge/verify', { host, from: answerFrom }, { method: 'POST', body });
  const setCookie = r.headers['set-cookie'];
  return { status: r.status, cookie: setCookie === undefined ? '' : String(setCookie).split(';')[0]! };
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-asn-'));
  writeFileSync(join(dir, 'v4.csv'), '5.6.7.0,5.6.7.255,64511,Elsewhere Net\n81.2.64.0,81.2.127.255,64500,Example Carrier\n');
  writeFileSync(join(dir, 'v6.csv'), '2a02:8010::,2a02:8010:ffff:ffff:ffff:ffff:ffff:ffff,64500,Example Carrier\n');
  origin = await startOriginFixture({});
  b = await startBulwark({
    origin: origin.url,
    trusted_proxies: ['127.0.0.0/8'],
    identify: { geo: { enabled: true, asn_v4: join(dir, 'v4.csv'), asn_v6: join(dir, 'v6.csv'), country: false } },
    sites: [
      { name: 'net', hosts: ['net.test'], origins: [origin.url], challenge: { binding: 'network', difficulty: { under_attack: 12 } } },
      { name: 'pfx', hosts: ['pfx.test'], origins: [origin.url], challenge: { difficulty: { under_attack: 12 } } },
    ],
  });
  for (let i = 0; i < 200 && b.bulwark.runtime().services.geo === null; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(b.bulwark.runtime().services.geo?.lookup(V6).asn, 64500, 'the test ASN table is loaded');
  await forceLevel(b, 'net', 'under_attack');
  await forceLevel(b, 'pfx', 'under_attack');
});
after(async () => {
  await b.stop();
  await origin.stop();
});

test('network binding: a dual-stack visitor keeps the clearance between IPv4 and IPv6, and may answer over either', async () => {
  const { status, cookie } = await solve('net.test', V4, V6);
  assert.equal(status, 303, 'page over IPv4, answer over IPv6');
  for (const from of [V4, V6]) assert.equal((await send('/story', { host: 'net.test', from, cookie })).status, 200, from);
});

test('network binding: moving to another /24 of the carrier pool keeps the clearance', async () => {
  const { cookie } = await solve('net.test', V4, V4);
  assert.equal((await send('/story', { host: 'net.test', from: V4_POOL, cookie })).status, 200);
});

test('network binding: key theft — the cookie carried to another network, or sent with another user agent, is refused', async () => {
  const { cookie } = await solve('net.test', V6, V6);
  const before = origin.stats().byPath['/story'] ?? 0;
  assert.equal((await send('/story', { host: 'net.test', from: ELSEWHERE, cookie })).status, 403, 'another AS');
  assert.equal((await send('/story', { host: 'net.test', from: V6, cookie, ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' })).status, 403, 'another browser');
  assert.equal(origin.stats().byPath['/story'] ?? 0, before);
});

test('network binding: key theft — one solve shared across a farm in one network stops working after 8 prefixes', async () => {
  const { cookie } = await solve('net.test', V4, V4);
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push((await send('/story', { host: 'net.test', from: `81.2.${80 + i}.9`, cookie })).status);
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 200, 403, 403]);
  assert.equal((await send('/story', { host: 'net.test', from: `81.2.80.9`, cookie })).status, 403, 'refused for good, even where it worked');
  assert.ok(b.bulwark.runtime().services.challenge.spread.stats().refused >= 3);
});

test('prefix binding (the default): the same moves lose the clearance', async () => {
  const { cookie } = await solve('pfx.test', V4, V4);
  assert.equal((await send('/story', { host: 'pfx.test', from: V4, cookie })).status, 200);
  assert.equal((await send('/story', { host: 'pfx.test', from: V6, cookie })).status, 403, 'IPv4 → IPv6');
  assert.equal((await send('/story', { host: 'pfx.test', from: V4_POOL, cookie })).status, 403, 'another /24');
  assert.equal((await solve('pfx.test', V4, V6)).status, 403, 'an answer sent over the other family is refused too');
});
