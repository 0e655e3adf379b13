/**
 * Visitors first, in a real headless Chromium:
 * - a visitor who lands on the 503 "high demand" page while a flood holds the origin ends up on the
 *   origin's page by itself, without touching anything (Refresh + meta refresh, same URL), watching a
 *   countdown meanwhile;
 * - a visitor whose browser runs no JavaScript gets the site's cached pages under attack instead of a
 *   challenge it cannot pass; what is not cached is still guarded by the challenge.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { Agent, request } from 'undici';
import { forceLevel, startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { browserUnavailable, launchBrowser } from '../helpers/browser.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';

const skip = browserUnavailable();
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
let origin: OriginFixture;
let b: TestBulwark;
let browser: Browser;

before(async () => {
  if (skip) return;
  origin = await startOriginFixture({
    paths: {
      '/': { cacheControl: 'public, max-age=300' },
      '/news/1': { cacheControl: 'private, no-store' },
      '/flood': { cacheControl: 'no-store', latencyMs: 400 },
    },
  });
  b = await startBulwark({
    connections: { max_connections_per_client: 1_000 },
    sites: [
      {
        // One origin slot, no waiting room: while the flood holds the slot, every other page is a 503.
        name: 'busy',
        hosts: ['127.0.0.1'],
        origins: [origin.url],
        shield: { admission: { algorithm: 'fixed', min_limit: 1, max_limit: 1, initial_limit: 1, max_queue: 0 }, retry_after: '1s' },
      },
      { name: 'attacked', hosts: ['localhost'], origins: [origin.url], shield: { cache: { admit_after_uses: 1 } } },
    ],
  });
  browser = await launchBrowser();
});
after(async () => {
  if (skip) return;
  await browser.close();
  await b.stop();
  await origin.stop();
});

test('a visitor stuck on a 503 page during a flood ends up on the origin\'s page without any action', { skip: skip ?? false }, async () => {
  // The flood: back-to-back slow requests from many addresses keep the one slot busy for ~3 s.
  const agents = Array.from({ length: 8 }, (_, i) => new Agent({ localAddress: `127.84.${i}.1` }));
  let flooding = true;
  const flood = Promise.all(
    agents.map(async (agent) => {
      while (flooding) {
        const r = await request(`${b.url}/flood`, { dispatcher: agent }).catch(() => null);
        await r?.body.dump();
      }
    }),
  );
  const page = await browser.newPage({ userAgent: BROWSER_UA });
  try {
    await new Promise((r) => setTimeout(r, 150));
    let first = await page.goto(`${b.url}/news/1?from=home`);
    for (let i = 0; i < 20 && first?.status() !== 503; i++) first = await page.goto(`${b.url}/news/1?from=home`);
    assert.equal(first?.status(), 503, 'the visitor landed on the high-demand page');
    assert.equal(await page.locator('h1').textContent(), 'High demand');
    const count = Number(await page.locator('#bw-count').textContent());
    assert.ok(count >= 1 && count <= 2, `countdown starts at ${count}`);
    setTimeout(() => (flooding = false), 2_500);
    // Nothing is clicked: the page retries by itself (more than once while the flood lasts), same URL.
    // A locator wait, not a page function: Bulwark's pages forbid eval in their CSP, and on the way the
    // visitor may pass a challenge page (a fresh Bulwark raises its level when a flood meets no baseline).
    await page.locator('h1', { hasText: /^Origin fixture$/ }).waitFor({ timeout: 20_000 });
    assert.equal(page.url(), `${b.url}/news/1?from=home`);
    assert.ok((origin.stats().byPath['/news/1'] ?? 0) >= 1, 'the origin served the page');
  } finally {
    flooding = false;
    await flood;
    for (const a of agents) await a.close();
    await page.close();
  }
});

test('the countdown counts down while the visitor waits', { skip: skip ?? false }, async () => {
  const page = await browser.newPage({ userAgent: BROWSER_UA });
  try {
    // The page itself, as Bulwark renders it for a 503 with a 4 s Retry-After: read its countdown.
    const { retryRenderedOf, PAGES } = await import('../../src/pipeline/pages/pages.ts');
    const prepared = retryRenderedOf(PAGES.highDemand, 'html', 'GET', 4, 'abcdefgh-000001');
    await page.route('**/wait', (route) => route.fulfill({ status: 503, contentType: 'text/html', body: prepared.before + 'abcdefgh-000001' + prepared.after }));
    await page.goto('http://countdown.invalid/wait');
    const start = Number(await page.locator('#bw-count').textContent());
    await page.waitForFunction(`Number(document.getElementById('bw-count')?.textContent) < ${start}`, undefined, { timeout: 3_000 });
    assert.ok(Number(await page.locator('#bw-count').textContent()) < start);
    assert.ok(await page.locator('.bw-bar').isVisible(), 'the bar (CSS only) is shown');
  } finally {
    await page.close();
  }
});

test('under attack, a browser without JavaScript gets the cached pages; an uncached page is still challenged', { skip: skip ?? false }, async () => {
  const base = b.url.replace('127.0.0.1', 'localhost');
  const warm = await browser.newPage({ userAgent: BROWSER_UA });
  assert.equal((await warm.goto(`${base}/`))?.status(), 200);
  await warm.close();
  await forceLevel(b, 'attacked', 'under_attack');
  const context = await browser.newContext({ userAgent: BROWSER_UA, javaScriptEnabled: false });
  const page = await context.newPage();
  try {
    const home = await page.goto(`${base}/`);
    assert.equal(home?.status(), 200);
    assert.equal(home?.headers()['x-bulwark-cache'], 'HIT');
    assert.equal(await page.locator('h1').textContent(), 'Origin fixture');
    const article = await page.goto(`${base}/news/1`);
    assert.equal(article?.status(), 403);
    assert.equal(article?.headers()['x-bulwark-challenge'], 'page');
  } finally {
    await context.close();
    await forceLevel(b, 'attacked', 'normal');
  }
});
