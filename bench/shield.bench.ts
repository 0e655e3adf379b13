/**
 * `npm run bench:shield` — issue #5's cache-hit throughput: Bulwark answering from its micro-cache
 * against a bare node:http hello server, both pinned to core 0, the same load tool on core 1,
 * interleaved rounds. Target: Bulwark's cache hits ≥ 0.8× the bare server's req/s.
 *
 * Options: --seconds N (default 8), --rounds N (default 3), --connections N (default 64).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBulwarkProcess, siteYaml, ROOT } from './lib/bulwark-process.ts';
import { runLoad, type LoadResult } from './lib/load.ts';
import { cpuSeconds, startProcess, waitIdle, type Started } from './lib/processes.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '64' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);

type Target = 'bare' | 'bulwark_hit';
interface Run extends LoadResult {
  cpuUsPerReq: number;
}

// The origin answers with a cacheable page; Bulwark serves it from the cache after two uses.
const origin = await startProcess(process.execPath, [join(ROOT, 'bench/servers/cacheable-origin.mjs'), '0'], 1);

async function start(target: Target): Promise<Started> {
  if (target === 'bare') return startProcess(process.execPath, [join(ROOT, 'bench/servers/hello-origin.mjs'), '0'], 0);
  return startBulwarkProcess(siteYaml(`http://127.0.0.1:${origin.port}`), 0);
}

async function measure(target: Target): Promise<Run> {
  const server = await start(target);
  try {
    await waitIdle(server.pid);
    const url = `http://127.0.0.1:${server.port}/`;
    runLoad(url, { seconds: 2, connections: CONNECTIONS, core: 1 });
    const cpu0 = cpuSeconds(server.pid);
    const r = runLoad(url, { seconds: SECONDS, connections: CONNECTIONS, core: 1 });
    return { ...r, cpuUsPerReq: ((cpuSeconds(server.pid) - cpu0) * 1e6) / Math.max(1, r.requests) };
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const runs: Record<Target, Run[]> = { bare: [], bulwark_hit: [] };
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of ['bare', 'bulwark_hit'] as Target[]) {
      const r = await measure(t);
      runs[t].push(r);
      process.stdout.write(`round ${round} ${t.padEnd(12)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  cpu ${r.cpuUsPerReq.toFixed(1)} µs/req  non2xx ${r.non2xx} (${r.tool})\n`);
    }
  }
} finally {
  await origin.stop();
}
const bare = median(runs.bare.map((r) => r.rps));
const hit = median(runs.bulwark_hit.map((r) => r.rps));
process.stdout.write(`\nmedian req/s: bare node:http ${bare.toFixed(0)}, Bulwark cache hit ${hit.toFixed(0)}\n`);
process.stdout.write(`Bulwark cache hit / bare hello server: ${(hit / bare).toFixed(3)}× (target ≥ 0.8)\n`);
process.stdout.write(`CPU µs/req: bare ${median(runs.bare.map((r) => r.cpuUsPerReq)).toFixed(1)}, Bulwark hit ${median(runs.bulwark_hit.map((r) => r.cpuUsPerReq)).toFixed(1)}\n`);
// Each round measures the two servers back to back; on a machine whose speed drifts, the median of the
// per-round ratios is the steadier estimate (printed beside, not instead of, the ratio of medians).
const pairs = runs.bare.map((b, i) => runs.bulwark_hit[i]!.rps / b.rps);
process.stdout.write(`per-round ratios: ${pairs.map((p) => p.toFixed(2)).join(' ')}; median ${median(pairs).toFixed(3)}×\n`);
