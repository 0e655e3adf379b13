/**
 * Issue #4 in a real headless Chromium: a visitor on a challenged site solves the proof of work in a Web
 * Worker and reaches the origin; the next page load passes without a challenge.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { browserUnavailable, launchBrowser } from '../helpers/browser.ts';
import { startOriginFixture, type OriginFixture } from '../helpers/origin.ts';

const skip = browserUnavailable();
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
let origin: OriginFixture;
let b: TestBulwark;
let browser: Browser;

before(async () => {
  if (skip) return;
  origin = await startOriginFixture({ paths: { '/story': { contentType: 'text/html; charset=utf-8' } } });
  b = await startBulwark({ origin: origin.url, sites: [{ name: 'news', hosts: ['*'], origins: [origin.url], challenge: { site_name: 'Demo Herald' } }] });
  b.bulwark.runtime().services.setLevel('news', 'under_attack');
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
  const first = await page.goto(`${b.url}/story?id=7`);
  assert.equal(first?.status(), 403);
  assert.equal(await page.locator('h1').textContent(), 'One moment, please');
  // The worker solves, the form posts, and the browser lands on the story.
  await page.waitForURL(`${b.url}/story?id=7`, { timeout: 30_000, waitUntil: 'load' });
  await page.waitForFunction('!document.querySelector("#bw-form")', undefined, { timeout: 30_000 });
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
  await page.close();
});
