/**
 * Issue #3's rejection paths, each against a bare reference in the same run, server under test on
 * core 0 and load on core 1:
 * - a limited client on keep-alive connections: Bulwark's 429 rate vs a bare node:http server that
 *   answers 429 to everything (target ≥ 0.9×);
 * - a banned source: Bulwark's connection rate (dropped at accept) vs a bare server that destroys every
 *   socket (target ≥ 0.9×).
 * Options: --seconds N (default 6), --rounds N (default 3).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { ROOT, siteYaml, startBulwarkProcess } from './lib/bulwark-process.ts';
import { runLoad } from './lib/load.ts';
import { cpuSeconds, HAS_TASKSET, startProcess, waitIdle, type Started } from './lib/processes.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '6' }, rounds: { type: 'string', default: '3' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const node = process.execPath;

const origin = await startProcess(node, [join(ROOT, 'bench/servers/hello-origin.mjs'), '0'], 1);
const originUrl = `http://127.0.0.1:${origin.port}`;

/** Every request after the first is refused (one request per hour); escalation off so it stays a 429. */
const LIMITED = siteYaml(originUrl, '', 'policy:\n  limits:\n    - { name: everyone, average: 1, period: 1h, burst: 1, key: [site] }\n  escalation:\n    enabled: false\nidentify:\n  geo:\n    enabled: false\n');

async function rate429(target: 'bare' | 'bulwark'): Promise<{ rps: number; cpuUs: number; non2xx: number }> {
  const server: Started =
    target === 'bare' ? await startProcess(node, [join(ROOT, 'bench/servers/reject-429.mjs'), '0'], 0) : await startBulwarkProcess(LIMITED, 0);
  try {
    await waitIdle(server.pid);
    const url = `http://127.0.0.1:${server.port}/`;
    await (await request(url)).body.dump();
    runLoad(url, { seconds: 2, connections: 64, core: 1 });
    const cpu0 = cpuSeconds(server.pid);
    const r = runLoad(url, { seconds: SECONDS, connections: 64, core: 1 });
    return { rps: r.rps, cpuUs: ((cpuSeconds(server.pid) - cpu0) * 1e6) / Math.max(1, r.requests), non2xx: r.non2xx / Math.max(1, r.requests) };
  } finally {
    await server.stop();
  }
}

function connectLoop(port: number, local: string): number {
  const pin = HAS_TASKSET ? ['taskset', '-c', '1'] : [];
  const argv = [...pin, node, join(ROOT, 'bench/servers/connect-loop.mjs'), String(port), local, String(SECONDS), '64'];
  const out = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 }).stdout;
  return Number(/connections (\d+)/.exec(out)?.[1] ?? 0) / SECONDS;
}

async function dropRate(target: 'bare' | 'bulwark'): Promise<number> {
  const banned = '127.66.6.6';
  const server: Started =
    target === 'bare'
      ? await startProcess(node, [join(ROOT, 'bench/servers/destroy-all.mjs'), '0'], 0)
      : await startBulwarkProcess(siteYaml(originUrl, '', `lists:\n  deny:\n    - { cidr: ${banned}, force: true }\nidentify:\n  geo:\n    enabled: false\n`), 0);
  try {
    connectLoop(server.port, banned); // warm-up
    return connectLoop(server.port, banned);
  } finally {
    await server.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r429: Record<string, number[]> = { bare: [], bulwark: [] };
const cpu429: Record<string, number[]> = { bare: [], bulwark: [] };
const drops: Record<string, number[]> = { bare: [], bulwark: [] };
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of ['bare', 'bulwark'] as const) {
      const r = await rate429(t);
      r429[t]!.push(r.rps);
      cpu429[t]!.push(r.cpuUs);
      process.stdout.write(`round ${round} 429 ${t.padEnd(8)} ${r.rps.toFixed(0).padStart(7)} req/s  cpu ${r.cpuUs.toFixed(1)} µs/req  refused ${(r.non2xx * 100).toFixed(1)}%\n`);
    }
    for (const t of ['bare', 'bulwark'] as const) {
      const c = await dropRate(t);
      drops[t]!.push(c);
      process.stdout.write(`round ${round} drop ${t.padEnd(8)} ${c.toFixed(0).padStart(7)} connections/s\n`);
    }
  }
} finally {
  await origin.stop();
}
process.stdout.write(`\n429 path: Bulwark ${median(r429.bulwark!).toFixed(0)} req/s vs bare ${median(r429.bare!).toFixed(0)}: ${(median(r429.bulwark!) / median(r429.bare!)).toFixed(3)}× (target ≥ 0.9); CPU ${median(cpu429.bulwark!).toFixed(1)} vs ${median(cpu429.bare!).toFixed(1)} µs/req\n`);
process.stdout.write(`drop at accept: Bulwark ${median(drops.bulwark!).toFixed(0)} vs bare ${median(drops.bare!).toFixed(0)} connections/s: ${(median(drops.bulwark!) / median(drops.bare!)).toFixed(3)}× (target ≥ 0.9)\n`);
// Per-round ratios (each round measures both back to back): steadier when the machine's speed drifts.
const pairs429 = r429.bare!.map((b, i) => r429.bulwark![i]! / b);
const pairsDrop = drops.bare!.map((b, i) => drops.bulwark![i]! / b);
process.stdout.write(`per-round ratios: 429 ${pairs429.map((p) => p.toFixed(2)).join(' ')} (median ${median(pairs429).toFixed(3)}×); drop ${pairsDrop.map((p) => p.toFixed(2)).join(' ')} (median ${median(pairsDrop).toFixed(3)}×)\n`);
