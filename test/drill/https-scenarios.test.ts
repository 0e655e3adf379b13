/**
 * The drill's HTTP/2 and TLS scenarios against the real Bulwark binary (a child process with an https
 * listener and a certificate made for the run), short and at modest loads: each ends repelled — the
 * flooding connections ended with GOAWAY naming the limit (or handshakes refused at accept), visitors
 * served, the origin within capacity, no crash. About 20 s.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DrillReport } from '../../src/drill/report.ts';
import { demoConfigInput } from '../../src/demo/demo-config.ts';
import { runDrill } from '../../src/drill/run.ts';

async function drill(scenario: string, rate: number, sources: number, config?: Record<string, unknown>): Promise<DrillReport> {
  return runDrill({ scenario, seed: 7, warmupS: 1, capacity: 64, durationS: 3, rate, sources, visitors: { browsers: 3, nojs: 1, api: 1 }, ...(config ? { config } : {}) });
}

function assertRepelled(r: DrillReport): void {
  const why = JSON.stringify({ attack: r.attack, details: r.details, criteria: r.repelled.criteria }, null, 1);
  assert.ok(r.attack.sent > 0, `the attack sent something\n${why}`);
  assert.ok(r.visitors.servedRatio >= 0.99, `visitors served\n${why}`);
  assert.equal(r.bulwark?.aliveAtEnd, true, 'Bulwark alive at the end');
  assert.equal(r.bulwark?.exitCode, 0, 'Bulwark exits 0 on SIGTERM');
  assert.equal(r.repelled.verdict, true, `repelled\n${why}`);
}

test('h2-rapid-reset: connections ended with GOAWAY rapid_reset', async () => {
  const r = await drill('h2-rapid-reset', 2000, 5);
  assertRepelled(r);
  assert.ok(((r.details as { goaways: Record<string, number> }).goaways.rapid_reset ?? 0) > 0);
});

test('h2-continuation: connections ended with GOAWAY continuation_flood; nothing reaches the origin', async () => {
  const r = await drill('h2-continuation', 1000, 5);
  assertRepelled(r);
  assert.equal(r.attack.reachedOrigin, 0);
});

test('h2-stream-flood: connections ended with GOAWAY stream_flood', async () => {
  assertRepelled(await drill('h2-stream-flood', 1000, 5));
});

test('tls-handshake-flood: handshakes over budget refused at accept', async () => {
  // A small per-address budget, so the cap is reached whatever rate a loaded machine lets the attacker make.
  const r = await drill('tls-handshake-flood', 400, 2, { ...demoConfigInput({ originUrl: 'http://127.0.0.1:9' }), tls: { handshakes: { per_address: { rate: 2, burst: 10 } } } });
  assertRepelled(r);
  assert.ok(((r.details as { refusedBeforeHandshake: number }).refusedBeforeHandshake ?? 0) > 0);
});
