/**
 * A real browser's page load over HTTP/2 meets none of the flood limits: headless Chromium (normal user
 * agent) loads a page with 50 assets — images, stylesheets, scripts, half of them uncacheable so they go
 * to the origin — from a self-signed certificate over one HTTP/2 connection, for two visitors in turn.
 * Every asset is served, no GOAWAY is sent, and nothing counts toward the client's escalation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { browserUnavailable, CHROMIUM_PATH } from '../helpers/browser.ts';
import { startHttpsBulwark, until, type HttpsBulwark } from '../helpers/https.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';
const ASSETS = 50;
const skip = browserUnavailable();

/** The page: 20 images, 15 stylesheets, 15 scripts; each script counts itself. */
function page(): string {
  const tags: string[] = [];
  for (let i = 0; i < ASSETS; i++) {
    if (i < 20) tags.push(`<img src="/img/${i}.svg" alt="" width="8" height="8">`);
    else if (i < 35) tags.push(`<link rel="stylesheet" href="/css/${i}.css">`);
    else tags.push(`<script src="/js/${i}.js"></script>`);
  }
  return `<!doctype html><html><head><meta charset="utf-8"><title>page</title><script>window.loaded=0</script></head><body>${tags.join('')}</body></html>`;
}

describe('a browser page load over HTTP/2', { skip: skip ?? false }, () => {
  let origin: SimpleOrigin;
  let b: HttpsBulwark;
  let browser: Browser;

  before(async () => {
    origin = await startSimpleOrigin((req, res) => {
      const url = req.url ?? '/';
      const n = Number(/\/(\d+)\./.exec(url)?.[1] ?? 0);
      // Half the assets are uncacheable: those reach the origin on every load.
      const cache = n % 2 === 0 ? 'public, max-age=300' : 'no-store';
      let type = 'text/html; charset=utf-8';
      let body = page();
      if (url.startsWith('/img/')) [type, body] = ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>'];
      else if (url.startsWith('/css/')) [type, body] = ['text/css', `.c${n}{color:#123}`];
      else if (url.startsWith('/js/')) [type, body] = ['text/javascript', 'window.loaded++;'];
      else if (url !== '/') [type, body] = ['text/plain', 'not found'];
      setTimeout(() => {
        res.writeHead(url === '/' || /^\/(img|css|js)\//.test(url) ? 200 : 404, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': url === '/' ? 'no-store' : cache });
        res.end(body);
      }, 5 + (n % 5) * 5);
    });
    b = await startHttpsBulwark({ origin: origin.url });
    // The usual flags (test/helpers/browser.ts), and alpha.test resolving to loopback in this browser only.
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage', '--host-resolver-rules=MAP alpha.test 127.0.0.1'],
    });
  });
  after(async () => {
    await browser?.close();
    await b.stop();
    await origin.close();
  });

  it('loads all 50 assets over one HTTP/2 connection per visit, with no GOAWAY and no strike', async () => {
    const failed: string[] = [];
    const statuses: number[] = [];
    const url = `https://alpha.test:${b.httpsPort}/`;
    // Two visitors (fresh browser contexts: no cache, no TLS session), so each load asks for everything.
    for (const visit of [1, 2]) {
      const context = await browser.newContext({ userAgent: UA, ignoreHTTPSErrors: true });
      const tab = await context.newPage();
      tab.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
      tab.on('response', (r) => statuses.push(r.status()));
      await tab.goto(url, { waitUntil: 'load' });
      // Evaluated in the page (a string: this file is type-checked without the DOM library).
      const state = await tab.evaluate(`({
        scripts: window.loaded,
        images: [...document.images].filter((i) => i.complete && i.naturalWidth > 0).length,
        sheets: document.styleSheets.length,
      })`);
      assert.deepEqual(state, { scripts: 15, images: 20, sheets: 15 }, `visit ${visit}`);
      await context.close();
    }
    assert.deepEqual(failed, []);
    assert.ok(statuses.length >= 2 * (ASSETS + 1) && statuses.every((s) => s === 200), `statuses: ${statuses.join(',')}`);
    await until(() => b.records.filter((r) => r.httpVersion === '2.0').length >= 2 * (ASSETS + 1));
    const h2 = b.records.filter((r) => r.httpVersion === '2.0' && r.path !== '/favicon.ico');
    assert.equal(h2.length, 2 * (ASSETS + 1), 'every request of both visits went over HTTP/2');
    assert.ok(h2.every((r) => r.status === 200 && r.uaClass === 'browser'), JSON.stringify(h2.filter((r) => r.status !== 200).map((r) => [r.path, r.status, r.decisionBy])));
    // Chromium aborts a connection or two with a certificate_unknown alert before it accepts the
    // self-signed test certificate (ignoreHTTPSErrors): node:https reports those as client errors.
    const other = b.records.filter((r) => r.httpVersion !== '2.0' && !/^parse\/ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN$/.test(r.decisionBy));
    assert.deepEqual(other.map((r) => [r.httpVersion, r.path, r.status, r.decisionBy]), [], 'nothing fell back to HTTP/1.1');
    const stats = b.httpsStats().http2;
    assert.deepEqual(stats.goaway_by_reason, {}, 'no GOAWAY for a limit');
    assert.ok(Number(stats.connections_total) <= 4, `connections: ${String(stats.connections_total)}`);
    assert.ok(!b.records.some((r) => r.decisionBy.startsWith('h2/') || r.decisionBy.startsWith('tls/')), 'no HTTP/2 or TLS limit refused anything');
    assert.equal(b.bulwark.runtime().services.stores.bans.matchAddress('127.0.0.1', Date.now()), undefined, 'not banned');
  });
});
