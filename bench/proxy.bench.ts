/**
 * `npm run bench:proxy` — the pass-through benchmark.
 *
 * Bulwark (every phase in place) against the minimal undici Pool.stream proxy (bench/servers/
 * minimal-proxy.ts) and against the origin directly: same origin program, same load tool (wrk, else
 * autocannon), interleaved rounds, the server under test pinned to core 0 and the load tool plus the
 * origin to core 1. Prints req/s, p50/p99, CPU µs per request of the server under test, and ratios.
 * Target: Bulwark ≥ 0.85× the minimal proxy.
 *
 * Then the operator console's cost (bench/lib/console-load.ts): the same Bulwark with a live dashboard
 * stream open and /metrics scraped every second, against itself unwatched. Target ≥ 0.97×.
 *
 * Options: --seconds N (per run, default 8), --rounds N (default 3), --connections N (default 64),
 * --console off (skip the console comparison).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, startProcess, type Started } from './lib/processes.ts';
import { runLoad, type LoadResult } from './lib/load.ts';
import { runConsoleComparison } from './lib/console-load.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    admission: { type: 'string', default: 'adaptive' },
    console: { type: 'string', default: 'on' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
/** --admission fixed: the origin's concurrency limit is not adaptive (isolates the proxy path's CPU). */
const SITE_EXTRA = values.admission === 'fixed' ? '    shield:\n      admission:\n        algorithm: fixed\n        max_limit: 512\n' : '';
const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.execPath;
const tsx = ['--import', 'tsx'];

type Target = 'origin' | 'minimal' | 'bulwark';

async function startTarget(target: Target, originUrl: string): Promise<Started> {
  if (target === 'origin') return startProcess(node, [join(root, 'bench/servers/hello-origin.mjs'), '0'], 0);
  if (target === 'minimal') return startProcess(node, [join(root, 'bench/servers/minimal-proxy.mjs'), '0', originUrl], 0);
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-'));
  const file = join(dir, 'bulwark.yaml');
  writeFileSync(file, `state_dir: ${dir}/state\nlisten:\n  http: ["127.0.0.1:0"]\nadmin:\n  listen: null\nlog:\n  level: info\nsites:\n  - name: bench\n    hosts: ["*"]\n    origins: ["${originUrl}"]\n${SITE_EXTRA}`);
  return startProcess(node, [join(root, 'bin/bulwark.js'), 'start', '-c', file], 0, /"listeners":\["http:\/\/127\.0\.0\.1:(\d+)"/);
}

interface Run extends LoadResult {
  readonly cpuUsPerReq: number;
}

async function measure(target: Target, originUrl: string): Promise<Run> {
  const server = await startTarget(target, originUrl);
  try {
    const url = `http://127.0.0.1:${server.port}/`;
    runLoad(url, { seconds: 2, connections: CONNECTIONS, core: 1 }); // warm-up (JIT, pools)
    const cpu0 = cpuSeconds(server.pid);
    const r = runLoad(url, { seconds: SECONDS, connections: CONNECTIONS, core: 1 });
    const cpu = cpuSeconds(server.pid) - cpu0;
    return { ...r, cpuUsPerReq: r.requests > 0 ? (cpu * 1e6) / r.requests : NaN };
  } finally {
    await server.stop();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const origin = await startProcess(node, [join(root, 'bench/servers/hello-origin.mjs'), '0'], 1);
const originUrl = `http://127.0.0.1:${origin.port}`;
const runs: Record<Target, Run[]> = { origin: [], minimal: [], bulwark: [] };
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of ['origin', 'minimal', 'bulwark'] as Target[]) {
      const r = await measure(target, originUrl);
      runs[target].push(r);
      process.stdout.write(
        `round ${round} ${target.padEnd(8)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  cpu ${r.cpuUsPerReq.toFixed(1)} µs/req  non2xx ${r.non2xx} errors ${r.errors} (${r.tool})\n`,
      );
    }
  }
} finally {
  await origin.stop();
}

const summary = Object.fromEntries(
  (Object.keys(runs) as Target[]).map((t) => [
    t,
    { rps: median(runs[t].map((r) => r.rps)), p50Ms: median(runs[t].map((r) => r.p50Ms)), p99Ms: median(runs[t].map((r) => r.p99Ms)), cpuUsPerReq: median(runs[t].map((r) => r.cpuUsPerReq)) },
  ]),
) as Record<Target, { rps: number; p50Ms: number; p99Ms: number; cpuUsPerReq: number }>;

process.stdout.write('\nmedian of rounds (server under test on core 0; load tool and origin on core 1)\n');
process.stdout.write('target     req/s     p50 ms   p99 ms   cpu µs/req\n');
for (const t of ['origin', 'minimal', 'bulwark'] as Target[]) {
  const s = summary[t];
  process.stdout.write(`${t.padEnd(9)} ${s.rps.toFixed(0).padStart(7)}  ${s.p50Ms.toFixed(2).padStart(7)}  ${s.p99Ms.toFixed(2).padStart(7)}  ${s.cpuUsPerReq.toFixed(1).padStart(8)}\n`);
}
const ratio = summary.bulwark.rps / summary.minimal.rps;
process.stdout.write(`\nbulwark / minimal undici proxy: ${ratio.toFixed(3)}× req/s (target ≥ 0.85), ${(summary.bulwark.cpuUsPerReq / summary.minimal.cpuUsPerReq).toFixed(3)}× CPU per request\n`);
process.stdout.write(`bulwark / origin direct:        ${(summary.bulwark.rps / summary.origin.rps).toFixed(3)}× req/s\n`);
process.stdout.write(`minimal / origin direct:        ${(summary.minimal.rps / summary.origin.rps).toFixed(3)}× req/s\n`);

if (values.console !== 'off') {
  const originAgain = await startProcess(node, [join(root, 'bench/servers/hello-origin.mjs'), '0'], 1);
  try {
    await runConsoleComparison({ originUrl: `http://127.0.0.1:${originAgain.port}`, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, siteExtra: SITE_EXTRA });
  } finally {
    await originAgain.stop();
  }
}
