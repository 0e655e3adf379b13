/**
 * HTTPS: HTTP/2 against HTTP/1.1 over TLS on the same Bulwark, in the same run — pass-through (every
 * request to the origin) and cache hits, each with repeated requests and with varied ones (an
 * `X-Bench-N` header that changes per request, so nothing can be answered as an exact repeat: the wire
 * stands aside). Bulwark (the real binary) is pinned to core 0; the origins and the load client to core 1.
 * HTTP/1.1: 32 keep-alive connections, one request at a time each; HTTP/2: 4 connections, 8 streams at a
 * time each (a browser's shape). Prints req/s, p50/p99 and Bulwark's CPU µs per request, and the ratios
 * HTTP/2 ÷ HTTP/1.1 per case (median of interleaved rounds).
 *
 * Options: --seconds N (per run, default 5), --rounds N (default 3).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, HAS_TASKSET, startProcess } from './lib/processes.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const root = fileURLToPath(new URL('..', import.meta.url));
const fixtures = join(root, 'test/fixtures/tls');
const node = process.execPath;

interface Load {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

function load(port: number, protocol: 'h1' | 'h2', host: string, vary: boolean, seconds: number): Load {
  const args = [join(root, 'bench/servers/tls-load.mjs'), `https://127.0.0.1:${port}/`, protocol, String(seconds), protocol === 'h1' ? '32' : '4', '8', vary ? 'vary' : 'same', host];
  const argv = HAS_TASKSET ? ['taskset', '-c', '1', node, ...args] : [node, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Load;
}

const pass = await startProcess(node, [join(root, 'bench/servers/hello-origin.mjs'), '0'], 1);
const cache = await startProcess(node, [join(root, 'bench/servers/cacheable-origin.mjs'), '0'], 1);
const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-https-'));
const tls = `    tls: { cert: "${fixtures}/alpha.test.crt", key: "${fixtures}/alpha.test.key" }\n    shield: { admission: { max_per_client: 1000 } }\n`;
writeFileSync(
  join(dir, 'bulwark.yaml'),
  `state_dir: "${dir}/state"\nlisten:\n  http: ["127.0.0.1:0"]\n  https: ["127.0.0.1:0"]\nadmin:\n  listen: null\nlog:\n  level: info\nidentify:\n  geo: { enabled: false }\nsites:\n` +
    `  - name: pass\n    hosts: ["pass.test"]\n    origins: ["http://127.0.0.1:${pass.port}"]\n${tls}` +
    `  - name: cache\n    hosts: ["cache.test"]\n    origins: ["http://127.0.0.1:${cache.port}"]\n${tls}`,
);
const bulwark = await startProcess(node, [join(root, 'bin/bulwark.js'), 'start', '-c', join(dir, 'bulwark.yaml')], 0, /"https:\/\/127\.0\.0\.1:(\d+)"/);

type Case = { name: string; host: string; vary: boolean };
const CASES: Case[] = [
  { name: 'pass-through, repeated', host: 'pass.test', vary: false },
  { name: 'pass-through, varied', host: 'pass.test', vary: true },
  { name: 'cache hit, repeated', host: 'cache.test', vary: false },
  { name: 'cache hit, varied', host: 'cache.test', vary: true },
];
const results = new Map<string, { rps: number; cpu: number; p50: number; p99: number }[]>();
try {
  for (const c of CASES) for (const p of ['h1', 'h2'] as const) load(bulwark.port, p, c.host, c.vary, 1); // warm-up: JIT, pools, cache admission
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of CASES) {
      for (const p of ['h1', 'h2'] as const) {
        const cpu0 = cpuSeconds(bulwark.pid);
        const r = load(bulwark.port, p, c.host, c.vary, SECONDS);
        const cpuUs = r.requests > 0 ? ((cpuSeconds(bulwark.pid) - cpu0) * 1e6) / r.requests : NaN;
        const key = `${c.name}|${p}`;
        results.set(key, [...(results.get(key) ?? []), { rps: r.rps, cpu: cpuUs, p50: r.p50Ms, p99: r.p99Ms }]);
        process.stdout.write(`round ${round} ${c.name.padEnd(24)} ${p === 'h1' ? 'HTTP/1.1' : 'HTTP/2  '} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  cpu ${cpuUs.toFixed(1)} µs/req  non2xx ${r.non2xx} errors ${r.errors}\n`);
      }
    }
  }
} finally {
  await bulwark.stop();
  await pass.stop();
  await cache.stop();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
process.stdout.write('\nmedians (HTTP/2 ÷ HTTP/1.1: req/s ratio > 1 and CPU ratio < 1 favour HTTP/2)\n');
for (const c of CASES) {
  const h1 = results.get(`${c.name}|h1`)!;
  const h2 = results.get(`${c.name}|h2`)!;
  const [r1, r2, c1, c2] = [median(h1.map((x) => x.rps)), median(h2.map((x) => x.rps)), median(h1.map((x) => x.cpu)), median(h2.map((x) => x.cpu))];
  process.stdout.write(`${c.name.padEnd(24)} HTTP/1.1 ${r1.toFixed(0).padStart(6)} req/s ${c1.toFixed(1).padStart(6)} µs/req | HTTP/2 ${r2.toFixed(0).padStart(6)} req/s ${c2.toFixed(1).padStart(6)} µs/req | req/s ×${(r2 / r1).toFixed(2)}  CPU/req ×${(c2 / c1).toFixed(2)}\n`);
}
