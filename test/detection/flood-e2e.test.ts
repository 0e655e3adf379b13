/**
 * End to end over real sockets, with a real Bulwark and its built-in detection: a site with a learned baseline is flooded from 2,000 distinct
 * 127.1.x.y addresses, each sending one or two requests — far below any per-address limit. The level
 * rises within 5 s, the flood stops reaching the origin (uncleared clients are challenged at
 * `under_attack`), an incident is recorded with the flood's /24s on top, and both step down / close
 * after calm. The flood runs until 3 s after the raise and every address has been used once; bounded
 * at 12 s and 6,000 requests.
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

const detectionInput = {
  baseline: { warmup: '60s' },
  detector: { calm: '2s', min_dwell: { elevated: '2s', under_attack: '3s' } },
  incidents: { calm: '3s', update_every: '1s' },
};
const detection = detectionSchema.parse(detectionInput);

/** A baseline learned from 120 s of quiet traffic (2 req/s), as if Bulwark had run before. */
function learnedBaseline(nowMs: number): unknown {
  const start = nowMs - 130_000;
  const d = createSiteDetector(siteDetectorOptions(detection, 1), start);
  for (let s = 0; s < 120; s++) {
    d.tick(start + s * 1000);
    for (let i = 0; i < 2; i++) {
      d.observe({
        site: SITE, outcome: 'forwarded', status: 200, address: `10.9.0.${(s + i) % 50}`, prefix: '10.9.0.0/24', asn: null, country: null, path: '/',
        userAgent: 'Mozilla/5.0 Firefox', fingerprint: 'fp', cleared: false, originLatencyMs: 5, bytesIn: 100, bytesOut: 1000, cache: null, challenge: null,
      }, start + s * 1000 + 100 + i * 300);
    }
  }
  return d.baselineJson();
}

function get(port: number, localAddress: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: `/search?q=${Math.random()}`, localAddress, agent: false, headers: { 'user-agent': 'Mozilla/5.0 (flood kit)', accept: 'text/html' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.setTimeout(5000, () => req.destroy());
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a many-source flood over real sockets is detected, mitigated and recorded; both end after calm', async (t) => {
  const origin = await startSimpleOrigin();
  const config = testConfig({ origin: origin.url, detection: detectionInput });
  const bulwark = createBulwark({ config, logger: createLogger(config.log.level) });
  const stores = bulwark.runtime().services.stores;
  await stores.baselines.save({ site: SITE, updatedAtMs: Date.now() - 5000, json: learnedBaseline(Date.now()) });
  await bulwark.start();
  const attached = bulwark.detection()!;
  const port = bulwark.listeners[0]!.port;
  try {
    assert.ok(attached.service.stats().sites[SITE]!.baseline.warm, 'the saved baseline was restored');
    const started = Date.now();
    let sent = 0;
    let raisedAfterMs = -1;
    let originAtRaise = 0;
    let sentAtRaise = 0;
    const statuses = new Map<number, number>();
    // 400 req/s, 40 at a time, each request from the next of 2,000 addresses.
    const worker = async (w: number) => {
      for (let i = w; Date.now() - started < 12_000 && sent < 6000; i += 40) {
        const a = i % 2000;
        const due = started + (i / 400) * 1000;
        if (due > Date.now()) await sleep(due - Date.now());
        sent++;
        const status = await get(port, `127.1.${a >> 8}.${(a & 255) || 1}`);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (raisedAfterMs < 0 && attached.service.levelOf(SITE) === 'under_attack') {
          raisedAfterMs = Date.now() - started;
          originAtRaise = origin.requests.length;
          sentAtRaise = sent;
        }
        if (raisedAfterMs >= 0 && Date.now() - started > raisedAfterMs + 3000 && sent >= 2400) return;
      }
    };
    await Promise.all(Array.from({ length: 40 }, (_, w) => worker(w)));
    assert.ok(raisedAfterMs >= 0, `under_attack never reached (statuses ${JSON.stringify([...statuses])})`);
    assert.ok(raisedAfterMs <= 5000, `under_attack after ${raisedAfterMs} ms`);
    const afterRaise = sent - sentAtRaise;
    const reachedOrigin = origin.requests.length - originAtRaise;
    assert.ok(afterRaise > 300, `${afterRaise} requests after the raise`);
    assert.ok(reachedOrigin <= afterRaise * 0.1, `${reachedOrigin} of ${afterRaise} flood requests still reached the origin`);

    t.diagnostic(`under_attack after ${raisedAfterMs} ms; after it ${reachedOrigin} of ${afterRaise} flood requests reached the origin; statuses ${JSON.stringify([...statuses])}`);
    const open = await stores.incidents.openIncidents();
    assert.equal(open.length, 1, 'incident open during the flood');
    // The flood has stopped: wait (bounded) for the level to step down and the incident to close.
    const until = Date.now() + 30_000;
    while (Date.now() < until && (await stores.incidents.openIncidents()).length > 0) await sleep(200);
    assert.equal(attached.service.levelOf(SITE), 'normal');
    assert.equal(bulwark.runtime().services.levelOf(SITE), 'normal', 'published to the pipeline');
    const inc = (await stores.incidents.get(open[0]!.id))!;
    assert.equal(inc.status, 'closed');
    assert.equal(inc.peakLevel, 'under_attack');
    const top = (inc.summary as { top: { prefix: Array<{ key: string }> } }).top.prefix.slice(0, 8).map((e) => e.key).sort();
    assert.deepEqual(top, Array.from({ length: 8 }, (_, i) => `127.1.${i}.0/24`).sort());
    assert.ok(inc.distinctSources >= 1000, `distinct sources ${inc.distinctSources}`);
    const actions = inc.actions as { mitigated_requests: number; by_decision: Record<string, number> };
    assert.ok(actions.mitigated_requests >= afterRaise * 0.8, `mitigated ${actions.mitigated_requests}`);
    // Mitigated by the threat level's challenge and/or the detector's signature rules (both name themselves).
    const mitigatedBy = Object.keys(actions.by_decision);
    assert.ok(mitigatedBy.some((k) => k.startsWith('level/') || k.startsWith('sig/')), `decisions: ${mitigatedBy.join(', ')}`);
    t.diagnostic(`decisions during the incident: ${JSON.stringify(actions.by_decision)}`);
  } finally {
    await bulwark.stop();
    await origin.close();
  }
});
