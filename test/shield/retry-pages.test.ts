/**
 * Pages that ask the visitor to try again retry by themselves, over real sockets: the 503 "high demand"
 * page (the origin's one slot busy, no queue), a rate limit's 429, the 502 of an origin that is gone and
 * the 504 of one too slow — each with Retry-After, a Refresh field and a meta refresh to the same URL
 * after a jittered delay, and a countdown; a POST gets an explanation and a button instead, never an
 * automatic repeat. (The browser test in test/shield/browser-visitors.test.ts watches Chromium do it.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'undici';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';

const HTML = 'text/html,application/xhtml+xml';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
let origin: OriginFixture;
let b: TestBulwark;
const agent = new Agent({ localAddress: '127.75.0.1', connections: 8 });

before(async () => {
  origin = await startOriginFixture({ latencyMs: 0, paths: { '/slow': { latencyMs: 1_500, cacheControl: 'no-store' }, '/page': { cacheControl: 'no-store' }, '/hang': { failure: 'hang' } } });
  b = await startBulwark({
    sites: [
      {
        name: 'one-slot',
        hosts: ['busy.test'],
        origins: [origin.url],
        shield: { admission: { algorithm: 'fixed', min_limit: 1, max_limit: 1, initial_limit: 1, max_queue: 0 }, retry_after: '5s' },
      },
      { name: 'limited', hosts: ['limited.test'], origins: [origin.url], policy: { limits: [{ name: 'tight', average: 1, period: '1m', burst: 1, key: ['address'] }] } },
      { name: 'gone', hosts: ['gone.test'], origins: ['http://127.0.0.1:9'] },
      { name: 'slow', hosts: ['slow.test'], origins: [origin.url], origin: { headers_timeout: '300ms' } },
    ],
  });
});
after(async () => {
  await agent.close();
  await b.stop();
  await origin.stop();
});

async function send(host: string, path: string, opts: { method?: 'GET' | 'POST' | 'HEAD'; accept?: string } = {}) {
  const res = await request(`${b.url}${path}`, {
    method: opts.method ?? 'GET',
    headers: { host, accept: opts.accept ?? HTML, 'user-agent': UA, ...(opts.method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body: opts.method === 'POST' ? 'name=visitor' : undefined,
    dispatcher: agent,
  });
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** A GET answer that retries itself: Retry-After, Refresh = meta refresh = countdown, no URL, a link. */
function assertRetriesItself(a: Awaited<ReturnType<typeof send>>, retryAfter: number | [number, number]): number {
  const [lo, hi] = typeof retryAfter === 'number' ? [retryAfter, retryAfter] : retryAfter;
  const ra = Number(a.headers['retry-after']);
  assert.ok(ra >= lo && ra <= hi, `Retry-After ${ra}`);
  const refresh = Number(a.headers.refresh);
  assert.ok(refresh >= ra && refresh <= ra + Math.max(1, Math.ceil(ra / 2)), `Refresh ${refresh} for Retry-After ${ra}`);
  assert.match(a.body, new RegExp(`<meta http-equiv="refresh" content="${refresh}">`));
  assert.match(a.body, new RegExp(`<strong id="bw-count">${refresh}</strong>`));
  assert.match(a.body, /<a href="">Try again now<\/a>/);
  assert.match(a.body, new RegExp(`<code>${a.headers['x-request-id']}</code>`));
  assert.equal(a.headers['cache-control'], 'no-store');
  return refresh;
}

test('503 high demand: retries itself after Retry-After plus jitter; a POST is explained, never repeated', async () => {
  const holding = send('busy.test', '/slow'); // takes the only slot for 1.5 s
  await new Promise((r) => setTimeout(r, 100));
  const refreshes = new Set<number>();
  for (let i = 0; i < 8; i++) {
    const page = await send('busy.test', `/page?n=${i}`);
    assert.equal(page.status, 503);
    assert.match(page.body, /<h1>High demand<\/h1>/);
    refreshes.add(assertRetriesItself(page, 5));
  }
  assert.ok(refreshes.size >= 3, `delays spread over the window: ${[...refreshes]}`);
  const post = await send('busy.test', '/page', { method: 'POST' });
  assert.equal(post.status, 503);
  assert.equal(post.headers['retry-after'], '5');
  assert.equal(post.headers.refresh, undefined, 'a form is never sent again by itself');
  assert.doesNotMatch(post.body, /http-equiv="refresh"/);
  assert.match(post.body, /not sent again automatically, so that nothing is sent twice/);
  assert.match(post.body, /id="bw-resend"/);
  const json = await send('busy.test', '/page', { accept: 'application/json' });
  assert.equal(json.status, 503);
  assert.ok(Number(json.headers.refresh) >= 5);
  assert.equal(JSON.parse(json.body).error, 'high_demand');
  const head = await send('busy.test', '/page', { method: 'HEAD' });
  assert.equal(head.status, 503);
  assert.ok(Number(head.headers.refresh) >= 5);
  assert.equal((await holding).status, 200);
});

test('429 from a rate limit: the page retries itself once the limit admits again', async () => {
  assert.equal((await send('limited.test', '/page')).status, 200);
  const limited = await send('limited.test', '/page');
  assert.equal(limited.status, 429);
  assertRetriesItself(limited, [1, 60]);
  assert.match(String(limited.headers.ratelimit), /"tight";r=0;t=\d+/);
});

test('502 (origin unreachable) and 504 (origin too slow): the pages retry by themselves', async () => {
  const gone = await send('gone.test', '/page');
  assert.equal(gone.status, 502);
  assertRetriesItself(gone, 5);
  const slow = await send('slow.test', '/hang');
  assert.equal(slow.status, 504);
  assertRetriesItself(slow, 5);
});
