/**
 * "A restart forgets the level" (regression): a real Bulwark child process on a real SQLite state
 * directory is flooded from 2,000 loopback addresses until its level rises, killed with SIGKILL a
 * moment later (the periodic save is an hour away: only the save at the rise can keep the level), and
 * started again on the same state. The restarted process must say `under_attack` before its listener
 * is bound, and its very first answer to a flood client must be a refusal, not the origin's page. Then
 * the incident is still one incident. About 20 s.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSiteDetector } from '../../src/core/detect/index.ts';
import { siteDetectorOptions } from '../../src/detection/detection-options.ts';
import { detectionSchema } from '../../src/config/detection-schema.ts';
import { startBulwarkChild, type BulwarkChild } from '../../src/drill/bulwark-process.ts';
import { openStateStores } from '../../src/stores/index.ts';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';

const SITE = 'test';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The sources through tsx: the test runs exactly this tree, whatever dist/ holds. */
const COMMAND = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli.ts')];
const detectionInput = {
  persist_every: '1h',
  baseline: { warmup: '60s' },
  detector: { calm: '5s', min_dwell: { elevated: '5s', under_attack: '10s' } },
  incidents: { calm: '10s', update_every: '1s' },
};

/** A baseline learned from 150 s of quiet traffic (2 req/s), as if Bulwark had run before. */
function learnedBaseline(nowMs: number): unknown {
  const start = nowMs - 160_000;
  const d = createSiteDetector(siteDetectorOptions(detectionSchema.parse(detectionInput), 1), start);
  for (let s = 0; s < 150; s++) {
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

function get(url: string, localAddress: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const req = http.request({ host: hostname, port, path: `/search?q=${Math.random()}`, localAddress, agent: false, headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0', accept: 'text/html' } }, (res) => {
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
const RAISED = /threat level of test: (normal|elevated) → under_attack/;

/** Floods (≈400 req/s, 40 at a time, each request from the next of 2,000 addresses) until `stop()` says so, at most 15 s. */
async function floodUntil(url: string, stop: () => boolean): Promise<number> {
  const started = Date.now();
  let sent = 0;
  const worker = async (w: number): Promise<void> => {
    for (let i = w; Date.now() - started < 15_000 && !stop(); i += 40) {
      const due = started + (i / 400) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
      const a = i % 2000;
      sent++;
      await get(url, `127.1.${a >> 8}.${(a & 255) || 1}`);
    }
  };
  await Promise.all(Array.from({ length: 40 }, (_, w) => worker(w)));
  return sent;
}

test('SIGKILL mid-incident: the restarted Bulwark is under_attack before it answers its first request', async (t) => {
  const origin = await startSimpleOrigin();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-sigkill-'));
  const stateDir = join(dir, 'state');
  const seed = openStateStores({ stateDir });
  await seed.baselines.save({ site: SITE, updatedAtMs: Date.now() - 5000, json: learnedBaseline(Date.now()) });
  seed.close();
  const config = {
    state_dir: stateDir,
    listen: { http: ['127.0.0.1:0'] },
    admin: { listen: '127.0.0.1:0' },
    log: { level: 'info' },
    identify: { geo: { enabled: false } },
    detection: detectionInput,
    sites: [{ name: SITE, hosts: ['*'], origins: [origin.url] }],
  };
  let child: BulwarkChild | undefined;
  try {
    child = await startBulwarkChild({ config, dir, command: COMMAND });
    const first = child;
    const floodStarted = Date.now();
    const sent = await floodUntil(first.url, () => RAISED.test(first.logTail()));
    assert.ok(RAISED.test(first.logTail()), `never under_attack after ${sent} requests`);
    const raisedAfterMs = Date.now() - floodStarted;
    first.child.kill('SIGKILL');
    await new Promise((r) => (first.alive() ? first.child.once('exit', r) : r(null)));
    assert.equal(first.child.signalCode, 'SIGKILL');
    t.diagnostic(`raised after ${raisedAfterMs} ms and ${sent} requests; killed ${Date.now() - floodStarted - raisedAfterMs} ms after the raise was seen`);

    const atOrigin = origin.requests.length;
    child = await startBulwarkChild({ config, dir, command: COMMAND });
    const log = child.logTail();
    const detectionLine = log.split('\n').find((l) => l.includes('"detection started"'));
    assert.ok(detectionLine !== undefined, 'detection started');
    assert.deepEqual((JSON.parse(detectionLine) as { levels: Record<string, string> }).levels, { [SITE]: 'under_attack' });
    assert.ok(log.indexOf('"detection started"') < log.indexOf('"bulwark started"'), 'the level was restored before the listener was bound');
    const status = await get(child.url, '127.1.3.7');
    assert.notEqual(status, 200, 'the first request after the restart is refused or challenged');
    assert.ok(status >= 400 && status !== 0, `answered ${status}`);
    assert.equal(origin.requests.length, atOrigin, 'nothing reached the origin');
    await child.stop();
    child = undefined;

    const state = openStateStores({ stateDir });
    try {
      const incidents = await state.incidents.list();
      assert.equal(incidents.length, 1, 'one incident across the restart');
      assert.equal(incidents[0]!.peakLevel, 'under_attack');
    } finally {
      state.close();
    }
  } finally {
    await child?.stop();
    await origin.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
