/**
 * Over real sockets, with a real Bulwark and its built-in detection: a cache-busting flood on the feed
 * (`/feed?<random>`, uncacheable origin) from 2,000 addresses makes the detector apply a signature rule
 * on `path=/feed` (collateral ≈ 3% of the learned baseline: the feed readers' polls, under the 5%
 * challenge threshold). Feed readers and command-line clients fetching the feed meanwhile must still be
 * served — a status-only challenge is a lockout for them — while one address that merely claims a feed
 * reader's user agent and hammers the feed is held to a per-client limit. Bounded: the flood stops when
 * the checks are done, at 20 s or 8,000 requests.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createSiteDetector } from '../../src/core/detect/index.ts';
import { siteDetectorOptions } from '../../src/detection/detection-options.ts';
import { detectionSchema } from '../../src/config/detection-schema.ts';
import { createBulwark } from '../../src/main.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { testConfig } from '../helpers/bulwark.ts';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';

const SITE = 'test';
const RULE = 'sig/path=/feed';
const FEED_ACCEPT = 'application/rss+xml, application/atom+xml;q=0.9, application/xml;q=0.8, */*;q=0.5';
const READERS = [
  'Feedly/1.0 (+https://feedly.com/poller.html; 12 subscribers)',
  'NetNewsWire (RSS Reader; https://netnewswire.com/)',
  'curl/8.14.1',
  'Wget/1.25.0',
];

const detectionInput = {
  baseline: { warmup: '60s' },
  detector: { calm: '2s', min_dwell: { elevated: '2s', under_attack: '3s' } },
  incidents: { calm: '3s', update_every: '1s' },
};

/** Two minutes of quiet traffic: 2 req/s of pages, and a feed reader polling /feed every 15 s (≈ 3%). */
function learnedBaseline(nowMs: number): unknown {
  const detection = detectionSchema.parse(detectionInput);
  const start = nowMs - 130_000;
  const d = createSiteDetector(siteDetectorOptions(detection, 1), start);
  const seen = (s: number, at: number, path: string, userAgent: string, address: string) => d.observe({
    site: SITE, outcome: 'forwarded', status: 200, address, prefix: '10.9.0.0/24', asn: null, country: null, path,
    userAgent, fingerprint: 'fp', cleared: false, originLatencyMs: 5, bytesIn: 100, bytesOut: 1000, cache: null, challenge: null,
  }, start + s * 1000 + at);
  for (let s = 0; s < 120; s++) {
    d.tick(start + s * 1000);
    for (let i = 0; i < 2; i++) seen(s, 100 + i * 300, '/', 'Mozilla/5.0 Firefox', `10.9.0.${(s + i) % 50}`);
    if (s % 15 === 0) seen(s, 800, '/feed', READERS[0]!, '10.9.0.200');
  }
  return d.baselineJson();
}

interface Answer { status: number; challenge: string | undefined }

function get(port: number, localAddress: string, path: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path, localAddress, agent: false, headers }, (res) => {
      res.resume();
      const answer = { status: res.statusCode ?? 0, challenge: res.headers['x-bulwark-challenge'] as string | undefined };
      res.on('end', () => resolve(answer));
      res.on('error', () => resolve({ status: 0, challenge: undefined }));
    });
    req.on('error', () => resolve({ status: 0, challenge: undefined }));
    req.setTimeout(5000, () => req.destroy());
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('signature rule on a feed path does not lock out feed readers (cache-busting flood on an uncacheable feed)', async (t) => {
  const origin = await startSimpleOrigin((req, res) => {
    const body = '<rss version="2.0"><channel><title>news</title></channel></rss>';
    res.writeHead(200, { 'content-type': 'application/rss+xml', 'cache-control': 'private, no-store', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  const config = testConfig({ origin: origin.url, detection: detectionInput });
  const bulwark = createBulwark({ config, logger: createLogger(config.log.level) });
  await bulwark.runtime().services.stores.baselines.save({ site: SITE, updatedAtMs: Date.now() - 5000, json: learnedBaseline(Date.now()) });
  await bulwark.start();
  const attached = bulwark.detection()!;
  const port = bulwark.listeners[0]!.port;
  const applied = () => attached.service.activeRules(SITE).find((r) => r.id === RULE && r.mode === 'apply');
  let stop = false;
  try {
    assert.ok(attached.service.stats().sites[SITE]!.baseline.warm, 'the saved baseline was restored');
    const started = Date.now();
    let sent = 0;
    // The flood: 400 req/s, 40 at a time, each request from the next of 2,000 addresses, a browser's
    // user agent, a new query string every time (cache busting).
    const worker = async (w: number) => {
      for (let i = w; !stop && Date.now() - started < 20_000 && sent < 8000; i += 40) {
        const due = started + (i / 400) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
        sent++;
        const a = i % 2000;
        await get(port, `127.1.${a >> 8}.${(a & 255) || 1}`, `/feed?${Math.random()}`, { 'user-agent': 'Mozilla/5.0 (flood kit)', accept: 'text/html', 'x-kit': '1' });
      }
    };
    const flood = Promise.all(Array.from({ length: 40 }, (_, w) => worker(w)));
    while (applied() === undefined && Date.now() - started < 15_000) await sleep(100);
    const rule = applied();
    assert.ok(rule !== undefined, `no applied ${RULE}; active: ${attached.service.activeRules(SITE).map((r) => `${r.id} ${r.action} ${r.mode}`).join(', ')}`);
    assert.equal(rule.action, 'challenge', rule.reason);
    t.diagnostic(`rule applied after ${Date.now() - started} ms: ${rule.reason}`);

    // 22 feed fetches from no-JavaScript clients, each from its own address, while the flood goes on.
    const readers = await Promise.all(Array.from({ length: 22 }, (_, i) => get(port, `127.2.0.${i + 1}`, '/feed', { 'user-agent': READERS[i % READERS.length]!, accept: FEED_ACCEPT })));
    assert.ok(applied() !== undefined, 'the rule was still applied');
    assert.deepEqual(readers.filter((a) => a.status !== 200), [], 'every feed reader was served');

    // One address claiming to be Feedly, 30 fetches at once: at most the burst (10) passes, the rest are
    // refused with 429 — and once the refusals escalate to a ban, dropped at accept (status 0).
    const claims = await Promise.all(Array.from({ length: 30 }, () => get(port, '127.3.0.1', '/feed', { 'user-agent': READERS[0]!, accept: FEED_ACCEPT })));
    const passed = claims.filter((a) => a.status === 200).length;
    const limited = claims.filter((a) => a.status === 429).length;
    assert.ok(passed <= 10 && limited >= 1 && passed + limited + claims.filter((a) => a.status === 0).length === 30, JSON.stringify(claims));
    assert.ok(claims.every((a) => a.challenge === undefined), 'a per-client limit, not a challenge');
    t.diagnostic(`flood sent ${sent}; readers all 200; claimed reader: ${passed} passed, ${limited} limited, ${30 - passed - limited} dropped`);
    stop = true;
    await flood;
  } finally {
    stop = true;
    await bulwark.stop();
    await origin.close();
  }
});
