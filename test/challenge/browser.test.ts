/**
 * The challenge in a real headless Chromium: a visitor on a challenged site solves the proof of work (its
 * sub-challenges in Web Workers, or on a slow main thread when workers are unavailable) and reaches the
 * origin; the next page load passes without a challenge; without JavaScript, the wait gets the visitor
 * through, by the page's refresh or its button.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
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
  origin = await startOriginFixture({ paths: { '/story': { contentType: 'text/html; charset=utf-8' }, '/slow': { contentType: 'text/html; charset=utf-8' } } });
  b = await startBulwark({
    origin: origin.url,
    sites: [
      { name: 'news', hosts: ['news.test', '127.0.0.1'], origins: [origin.url], challenge: { site_name: 'Demo Herald' } },
      // At a normal threat level, a rule challenges one path: the no-JavaScript path is open (5 s wait).
      { name: 'quiet', hosts: ['localhost'], origins: [origin.url], policy: { rules: [{ name: 'check-nojs', match: { path: '/nojs' }, action: 'challenge' }] } },
    ],
  });
  await forceLevel(b, 'news', 'under_attack');
  browser = await launchBrowser();
});
after(async () => {
  if (skip) return;
  await browser.close();
  await b.stop();
  await origin.stop();
});

test('Chromium solves the challenge, reaches the origin, and the next load is not challenged', { skip: skip ?? false }, async () => {
  // Headless Chromium announces itself as HeadlessChrome, which Bulwark treats as automation (status-only
  // answers); a visitor's browser sends a normal Chrome user agent.
  const page = await browser.newPage({ userAgent: BROWSER_UA });
  const assets: string[] = [];
  page.on('response', (r) => { if (r.url().includes('/.bulwark/challenge/s')) assets.push(`${r.status()} ${new URL(r.url()).pathname}`); });
  const first = await page.goto(`${b.url}/story?id=7`);
  assert.equal(first?.status(), 403);
  // Read from the page as served (the browser may already have solved it and moved on).
  const html = (await first?.text()) ?? '';
  assert.match(html, /<h1>One moment, please<\/h1>/);
  // The page says how long it takes, and asks for several small searches rather than one big one.
  assert.match(html, /takes about \d+ seconds? on a slow phone/);
  assert.ok(Number(/data-count="(\d+)"/.exec(html)?.[1]) >= 16);
  // The worker solves, the form posts, and the browser lands on the story.
  await page.waitForURL(`${b.url}/story?id=7`, { timeout: 30_000, waitUntil: 'load' });
  await page.locator('#bw-form').waitFor({ state: 'detached', timeout: 30_000 });
  assert.equal(origin.stats().byPath['/story'], 1);
  const cookies = await page.context().cookies();
  const clearance = cookies.find((c) => c.name === 'bulwark_clearance');
  assert.ok(clearance, 'clearance cookie set');
  assert.equal(clearance.httpOnly, true);
  assert.equal(clearance.sameSite, 'Lax');
  const again = await page.goto(`${b.url}/story?id=8`);
  assert.equal(again?.status(), 200);
  assert.equal(again?.headers()['x-bulwark-challenge'], undefined);
  assert.equal(origin.stats().byPath['/story'], 2);
  // The stylesheet and the solver came from the site itself (the workers' copies from the browser cache).
  assert.ok(assets.some((a) => /^200 \/\.bulwark\/challenge\/solver-[0-9a-f]+\.js$/.test(a)), assets.join(', '));
  assert.ok(assets.some((a) => /^200 \/\.bulwark\/challenge\/style-[0-9a-f]+\.css$/.test(a)), assets.join(', '));
  await page.close();
});

test('a slow phone without Web Workers: one CPU throttled 6x solves the challenge on the page itself', { skip: skip ?? false }, async () => {
  const context = await browser.newContext({ userAgent: BROWSER_UA });
  await context.addInitScript('delete self.Worker; self.Worker = undefined;');
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 6 });
  const before = origin.stats().byPath['/slow'] ?? 0;
  const first = await page.goto(`${b.url}/slow`);
  assert.equal(first?.status(), 403);
  await page.waitForURL(`${b.url}/slow`, { timeout: 60_000, waitUntil: 'load' });
  await page.locator('#bw-form').waitFor({ state: 'detached', timeout: 60_000 });
  assert.equal(origin.stats().byPath['/slow'], before + 1);
  await context.close();
});

test('with JavaScript disabled, the no-JS path (a short wait) gets the visitor through', { skip: skip ?? false }, async () => {
  const context = await browser.newContext({ userAgent: BROWSER_UA, javaScriptEnabled: false });
  const page = await context.newPage();
  const url = b.url.replace('127.0.0.1', 'localhost');
  const first = await page.goto(`${url}/nojs`);
  assert.equal(first?.status(), 403);
  assert.match((await page.content()) ?? '', /Continuing without JavaScript/);
  // The meta refresh fires after the announced wait and the server lets the visitor through.
  await page.waitForURL(`${url}/nojs`, { timeout: 20_000, waitUntil: 'load' });
  await page.waitForLoadState('load');
  for (let i = 0; i < 100 && (origin.stats().byPath['/nojs'] ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(origin.stats().byPath['/nojs'], 1);
  assert.ok((await context.cookies()).some((c) => c.name === 'bulwark_clearance'));
  await context.close();
});

test('with JavaScript disabled, the page\'s button also gets the visitor through once the wait is over', { skip: skip ?? false }, async () => {
  const context = await browser.newContext({ userAgent: BROWSER_UA, javaScriptEnabled: false });
  const page = await context.newPage();
  const url = b.url.replace('127.0.0.1', 'localhost');
  const answers: string[] = [];
  page.on('response', async (r) => {
    const req = r.request();
    if (req.url().endsWith('/.bulwark/challenge/verify')) answers.push(`${req.method()} ${r.status()} ${/(^|&)nojs=1(&|$)/.test(req.postData() ?? '') ? 'nojs' : '-'}`);
  });
  assert.equal((await page.goto(`${url}/nojs-button`))?.status(), 403);
  // Press before the meta refresh fires (5 s wait, refresh at 6 s): at 5.2 s the server accepts it.
  await page.waitForTimeout(5_200);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${url}/nojs-button`, { timeout: 20_000, waitUntil: 'load' });
  for (let i = 0; i < 100 && (origin.stats().byPath['/nojs-button'] ?? 0) === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(origin.stats().byPath['/nojs-button'], 1);
  assert.deepEqual(answers, ['POST 303 nojs'], 'the button posted the form (not the refresh)');
  await context.close();
});
