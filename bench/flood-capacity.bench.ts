/**
 * Flood capacity: a flood of 20× the origin's capacity while cleared visitors keep browsing. Bulwark runs as
 * its own process (pinned to core 0 when taskset exists) in front of an origin fixture with a hard
 * capacity; the flood comes from 400 source addresses (each under the per-address limits), the visitors
 * carry a valid clearance. Prints the origin's peak concurrency against its capacity and the cleared
 * visitors' p50/p99 latency (target: origin ≤ capacity, visitors' p99 ≤ 1 s), next to the same
 * visitors' latency without the flood, measured in the same run as the reference.
 *
 * Options: --capacity N (default 32), --seconds N (default 10).
 */
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { mintClearance } from '../src/core/challenge/tokens.ts';
import { createSiteTag } from '../src/core/challenge/binding.ts';
import { startOriginFixture } from '../src/drill/origin-fixture.ts';
import { loadOrCreateChallengeKeys } from '../src/stores/challenge-key-store.ts';
import { siteYaml, startBulwarkProcess } from './lib/bulwark-process.ts';

const { values } = parseArgs({ options: { capacity: { type: 'string', default: '32' }, seconds: { type: 'string', default: '10' } } });
const CAPACITY = Number(values.capacity);
const SECONDS = Number(values.seconds);
const VISITOR_UA = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36';

const origin = await startOriginFixture({ capacity: CAPACITY, latencyMs: 20, bodyBytes: 2048 });
const yaml = siteYaml(
  origin.url,
  `    shield:\n      admission:\n        max_limit: ${CAPACITY}\n        max_wait: 10s\n        max_per_client: 8\n`,
  'connections:\n  max_connections_per_client: 64\ndetection:\n  enabled: false\nidentify:\n  geo:\n    enabled: false\n',
);
const bulwark = await startBulwarkProcess(yaml, 0);
const url = `http://127.0.0.1:${bulwark.port}`;

// A clearance the visitors carry: minted with the key Bulwark generated in its state directory.
const ring = loadOrCreateChallengeKeys(bulwark.stateDir).ring;
const visitors = Array.from({ length: 10 }, (_, i) => {
  const address = `127.201.${i}.2`;
  const { value } = mintClearance(
    { site: createSiteTag('bench'), client: { address, prefix: `127.201.${i}.0/24`, userAgent: VISITOR_UA }, binding: 'prefix', lifetimeS: 3600, level: 'normal', proof: { via: 'pow', work: { count: 32, bits: 19 } } },
    ring,
    Date.now(),
  );
  return { agent: new Agent({ localAddress: address }), cookie: `bulwark_clearance=${value}` };
});

async function visit(until: number): Promise<number[]> {
  const times: number[] = [];
  await Promise.all(
    visitors.map(async (v, i) => {
      for (let n = 0; Date.now() < until; n++) {
        const t = performance.now();
        const res = await request(`${url}/article/${i}-${n}?v=${Math.random()}`, { dispatcher: v.agent, headers: { cookie: v.cookie, 'user-agent': VISITOR_UA, accept: 'text/html' } });
        await res.body.dump();
        if (res.statusCode === 200) times.push(performance.now() - t);
        else times.push(Number.POSITIVE_INFINITY);
        await new Promise((r) => setTimeout(r, 100));
      }
    }),
  );
  return times.sort((a, b) => a - b);
}

function pct(xs: number[], q: number): number {
  return xs.length === 0 ? NaN : xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
}

const floodAgents = Array.from({ length: 400 }, (_, i) => new Agent({ localAddress: `127.90.${i >> 7}.${(i & 127) + 1}`, connections: 4 }));
try {
  const quiet = await visit(Date.now() + 3000);
  origin.resetStats();
  const until = Date.now() + SECONDS * 1000;
  const concurrency = CAPACITY * 20;
  let sent = 0;
  const flood = Array.from({ length: concurrency }, async (_, w) => {
    while (Date.now() < until) {
      sent++;
      try {
        const r = await request(`${url}/search?q=${w}-${Math.random()}`, { dispatcher: floodAgents[w % floodAgents.length]! });
        await r.body.dump();
      } catch {
        /* refused or reset: keep flooding */
      }
    }
  });
  const loaded = await visit(until);
  await Promise.all(flood);
  const s = origin.stats();
  process.stdout.write(`flood: ${concurrency} concurrent (20× capacity ${CAPACITY}), ${sent} requests in ${SECONDS} s\n`);
  process.stdout.write(`origin: peak concurrency ${s.peakConcurrency} / capacity ${CAPACITY}, refused for capacity ${s.overCapacity}\n`);
  process.stdout.write(`cleared visitors without flood: ${quiet.length} requests, p50 ${pct(quiet, 0.5).toFixed(1)} ms, p99 ${pct(quiet, 0.99).toFixed(1)} ms\n`);
  process.stdout.write(`cleared visitors under flood:   ${loaded.length} requests, p50 ${pct(loaded, 0.5).toFixed(1)} ms, p99 ${pct(loaded, 0.99).toFixed(1)} ms, failed ${loaded.filter((x) => !Number.isFinite(x)).length} (target p99 ≤ 1000 ms)\n`);
  process.stdout.write(`p99 under flood / p99 without: ${(pct(loaded, 0.99) / pct(quiet, 0.99)).toFixed(2)}×\n`);
} finally {
  for (const a of [...floodAgents, ...visitors.map((v) => v.agent)]) await a.close();
  await bulwark.stop();
  await origin.stop();
}
