import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { runVisitors } from './run-visitors.ts';
import { linkedAssets } from './browser.ts';
import { startOriginFixture } from '../origin-fixture.ts';
import { startPlainServer } from '../plain-server.ts';
import type { ChallengeSolver } from './visitor-http.ts';

test('linkedAssets: same-site styles, scripts and images, deduplicated', () => {
  const html = `<link rel="stylesheet" href="/a.css"><link href='b.css'><script src="/app.js"></script>
    <img src="https://cdn.example/x.png"><img src="/logo.png"><link href="/a.css">`;
  const site = new URL('http://127.0.0.1:8080/');
  const assets = linkedAssets(html, 'http://127.0.0.1:8080/dir/page', site);
  assert.deepEqual(
    assets.map((a) => [a.url, a.dest]),
    [
      ['http://127.0.0.1:8080/a.css', 'style'],
      ['http://127.0.0.1:8080/dir/b.css', 'style'],
      ['http://127.0.0.1:8080/app.js', 'script'],
      ['http://127.0.0.1:8080/logo.png', 'image'],
    ],
  );
});

test('visitors against the origin fixture: all served, from their own addresses, stop at the budget', async () => {
  const fixture = await startOriginFixture({ paths: { '/feed': {}, '/api/items': {}, '/api/status': {} } });
  try {
    const result = await runVisitors({ target: fixture.url, browsers: 4, nojs: 2, api: 2, thinkTimeMs: 20, bounds: { maxRequests: 120, maxDurationMs: 10_000 } });
    assert.equal(result.stoppedBy, 'count');
    assert.equal(result.overall.sent, 120);
    assert.equal(result.overall.served, 120);
    assert.equal(result.overall.servedRatio, 1);
    assert.ok(result.byKind.browser.sent > 0 && result.byKind.nojs.sent > 0 && result.byKind.api.sent > 0);
    assert.ok(result.overall.p99Ms > 0);
    const stats = fixture.stats();
    assert.equal(stats.distinctSources, 8);
    assert.ok(Object.keys(stats.bySource).every((a) => a.startsWith('127.250.0.')), Object.keys(stats.bySource).join());
    assert.ok(stats.byPath['/assets/site.css'] > 0, 'browsers fetched the page asset');
    assert.ok((stats.byPath['/api/items'] ?? 0) + (stats.byPath['/api/status'] ?? 0) > 0);
  } finally {
    await fixture.stop();
  }
});

test('browser visitors keep cookies and follow redirects; no-JS and API visitors send no cookies; API sends its key', async () => {
  const server = await startPlainServer({}, (req, res) => {
    if (req.url === '/') return redirect(res, '/home', 'sid=s1; Path=/; HttpOnly');
    if (req.url === '/home') return html(res, '<html><link rel="stylesheet" href="/s.css"></html>');
    res.end('ok');
  });
  try {
    const result = await runVisitors({ target: server.url, browsers: 1, nojs: 1, api: 1, thinkTimeMs: 10, browser: { pages: ['/'] }, nojsOptions: { paths: ['/'] }, bounds: { maxRequests: 12, maxDurationMs: 5000 } });
    assert.equal(result.overall.servedRatio, 1);
    const byPeer = (n: string) => server.seen.filter((s) => s.peer === n);
    const [browser, nojs, api] = ['127.250.0.1', '127.250.0.2', '127.250.0.3'].map(byPeer);
    assert.equal(browser[0].url, '/');
    assert.equal(browser[0].headers.cookie, undefined);
    assert.ok(browser.slice(1).every((s) => s.headers.cookie === 'sid=s1'), 'cookie kept after the first answer');
    assert.ok(browser.some((s) => s.url === '/s.css' && s.headers.referer?.endsWith('/home')));
    assert.match(String(browser[0].headers['user-agent']), /Mozilla/);
    assert.match(String(browser[0].headers.accept), /text\/html/);
    assert.ok(nojs.length > 0 && nojs.every((s) => s.headers.cookie === undefined && s.headers.accept === '*/*'));
    assert.ok(api.length > 0 && api.every((s) => s.headers.authorization === 'Bearer drill-api-key-0' && s.headers.accept === 'application/json'));
  } finally {
    await server.close();
  }
});

test('challenges: a browser with a solver passes, without one it is not served; API calls stay challenged', async () => {
  const server = await startPlainServer({}, (req, res) => {
    if (req.url === '/solve' && req.method === 'POST') return redirect(res, '/', 'clear=ok; Max-Age=3600');
    if (!String(req.headers.cookie ?? '').includes('clear=ok')) {
      res.writeHead(403, { 'x-bulwark-challenge': 'js', 'content-type': 'text/html' });
      return void res.end('<html data-bulwark-challenge>solve me</html>');
    }
    html(res, '<html>welcome</html>');
  });
  let solved = 0;
  const solver: ChallengeSolver = async (challenge, ctx) => {
    assert.equal(challenge.status, 403);
    await ctx.send({ url: '/solve', method: 'POST', body: 'answer=42' });
    solved++;
    return { solved: ctx.client.jar?.get('clear', Date.now()) === 'ok' };
  };
  try {
    const result = await runVisitors({ target: server.url, browsers: 2, nojs: 1, api: 1, thinkTimeMs: 10, browser: { solveChallenge: solver }, bounds: { maxRequests: 20, maxDurationMs: 5000 } });
    const { browser, nojs, api } = result.byKind;
    assert.equal(browser.served, browser.sent);
    assert.equal(browser.challengesPassed, 2, 'each browser solved once, then its cookie cleared it');
    assert.equal(solved, 2);
    assert.equal(nojs.served, 0);
    assert.equal(nojs.challenged, nojs.sent);
    assert.equal(nojs.notServedBy.challenged, nojs.sent);
    assert.equal(api.served, 0);
    assert.ok(result.overall.servedRatio < 1);
  } finally {
    await server.close();
  }
});

test('visitors stop at their duration and on the caller signal, counting no cut-short request', async () => {
  const server = await startPlainServer({}, (_req, res) => setTimeout(() => res.end('slow'), 300));
  try {
    const t0 = performance.now();
    const byDuration = await runVisitors({ target: server.url, browsers: 3, nojs: 0, api: 0, thinkTimeMs: 10, bounds: { maxRequests: 10_000, maxDurationMs: 700 } });
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(byDuration.stoppedBy, 'duration');
    assert.equal(byDuration.overall.sent, byDuration.overall.served, 'aborted requests are not counted as failures');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const bySignal = await runVisitors({ target: server.url, browsers: 2, nojs: 1, api: 1, signal: controller.signal, bounds: { maxRequests: 10_000, maxDurationMs: 10_000 } });
    assert.equal(bySignal.stoppedBy, 'signal');
  } finally {
    await server.close();
  }
});

test('visitors refuse a non-loopback site', async () => {
  await assert.rejects(runVisitors({ target: 'http://example.com/', bounds: { maxRequests: 1, maxDurationMs: 100 } }), { code: 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK' });
});

function redirect(res: ServerResponse, location: string, cookie: string): void {
  res.writeHead(302, { location, 'set-cookie': cookie, 'content-length': 0 });
  res.end();
}

function html(res: ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(body);
}
