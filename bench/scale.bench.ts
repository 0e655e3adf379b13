/**
 * Scaling out, measured against references taken in the same run (the machine is shared: every part
 * prints the load average before and after, and alternates its contenders in short segments so a busy
 * minute hits both sides of a ratio):
 * - `cores`: one process vs `workers: 2` (handover by the primary, and the shared socket) on a cached page
 *   — the same request repeated (the wire answers), a header that changes per request (the whole pipeline)
 *   and a new connection per request (a handover per request). wrk is pinned to core 0; every Bulwark —
 *   the single process, and the primary with its workers — to cores 0-1, the same CPUs for each (the
 *   scheduler gives a process what wrk and the machine's other work leave). Reported: req/s ratios, CPU µs
 *   per request of the whole process tree, and of the primary alone (the cost of handing connections
 *   over) against the single process's.
 * - `bans`: ban propagation between two nodes through Redis (pub/sub + audit read), p50/p99, against the
 *   server's own round trip; and between two processes on one SQLite file after a hint (the workers' path,
 *   IPC excluded).
 * - `redis-ops`: Redis commands per request at a node with `shared_state`, for traffic no limit matches
 *   and for traffic every request of which is counted by a limit (INFO commandstats before and after).
 * - `kernel`: the kernel drop vs Bulwark's accept-time drop, in a private network namespace
 *   (bench/kernel-drop.bench.ts, needs root, unshare and nft).
 * Options: --part cores|bans|redis-ops|kernel (default all), --seconds N (default 3), --rounds N (default 3).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, siteYaml } from './lib/bulwark-process.ts';
import { runLoad } from './lib/load.ts';
import { cpuOf, processTree } from './lib/process-tree.ts';
import { startProcess, waitIdle, type Started } from './lib/processes.ts';
import { median } from './lib/paired.ts';
import { createRedisBanStore, createRedisHub } from '../src/stores/redis/index.ts';
import { startTestRedis } from '../src/stores/redis/test-redis.ts';
import { openStateStores } from '../src/stores/index.ts';

const { values } = parseArgs({ options: { part: { type: 'string', default: 'all' }, seconds: { type: 'string', default: '3' }, rounds: { type: 'string', default: '3' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const node = process.execPath;
const want = (p: string) => values.part === 'all' || values.part === p;
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
const out = (s: string) => process.stdout.write(`${s}\n`);

/** Starts Bulwark on `yaml` pinned to `cpus` (taskset list), waiting for its first http listener. */
async function bulwark(yaml: string, cpus: string): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-scale-bench-'));
  const file = join(dir, 'bulwark.yaml');
  writeFileSync(file, yaml.replaceAll('{STATE}', join(dir, 'state')));
  const s = await startProcess('taskset', ['-c', cpus, node, join(ROOT, 'bin/bulwark.js'), 'start', '-c', file], null, /"listeners":\["http:\/\/127\.0\.0\.1:(\d+)"[^\n]*"bulwark started"/);
  await waitIdle(s.pid);
  return s;
}

async function cores(): Promise<void> {
  out(`\n== cores (load average before: ${loadavg()})`);
  const origin = await startProcess(node, [join(ROOT, 'bench/servers/cacheable-origin.mjs'), '0'], 1);
  const url = `http://127.0.0.1:${origin.port}`;
  const base = 'identify:\n  geo:\n    enabled: false\ndetection:\n  enabled: true\n';
  const contenders = [
    { name: 'single', s: await bulwark(siteYaml(url, '', base), '0,1') },
    { name: 'workers2-primary', s: await bulwark(siteYaml(url, '', `workers: 2\nworker_accept: primary\n${base}`), '0,1') },
    { name: 'workers2-shared', s: await bulwark(siteYaml(url, '', `workers: 2\nworker_accept: shared\n${base}`), '0,1') },
  ];
  try {
    const kinds = [
      { kind: 'repeat', opts: {} },
      { kind: 'header', opts: { vary: 'header' as const } },
      { kind: 'close', opts: { headers: { connection: 'close' } } },
    ];
    for (const k of kinds) {
      const rows = new Map<string, Array<{ rps: number; cpuUs: number; primaryUs: number }>>();
      for (const c of contenders) runLoad(`http://127.0.0.1:${c.s.port}/`, { seconds: 1, connections: 64, core: 0, ...k.opts }); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        const order = round % 2 === 0 ? contenders : [...contenders].reverse();
        for (const c of order) {
          const pids = processTree(c.s.pid);
          const before = cpuOf(pids);
          const r = runLoad(`http://127.0.0.1:${c.s.port}/`, { seconds: SECONDS, connections: 64, core: 0, ...k.opts });
          const after = cpuOf(pids);
          const total = after.reduce((a, b, i) => a + b - before[i]!, 0);
          const row = { rps: r.rps, cpuUs: (total * 1e6) / Math.max(1, r.requests), primaryUs: ((after[0]! - before[0]!) * 1e6) / Math.max(1, r.requests) };
          rows.set(c.name, [...(rows.get(c.name) ?? []), row]);
          out(`  ${k.kind.padEnd(6)} round ${round + 1} ${c.name.padEnd(17)} ${r.rps.toFixed(0).padStart(7)} req/s  tree cpu ${row.cpuUs.toFixed(1).padStart(6)} µs/req  primary ${row.primaryUs.toFixed(1).padStart(5)} µs/req  non2xx ${r.non2xx}  errors ${r.errors}`);
        }
      }
      const m = (name: string, f: 'rps' | 'cpuUs' | 'primaryUs') => median(rows.get(name)!.map((r) => r[f]));
      const ratio = (name: string) => median(rows.get(name)!.map((r, i) => r.rps / Math.max(1, rows.get('single')![i]!.rps)));
      out(`  ${k.kind}: req/s single ${m('single', 'rps').toFixed(0)}, workers2-primary ${m('workers2-primary', 'rps').toFixed(0)} (${ratio('workers2-primary').toFixed(2)}×), workers2-shared ${m('workers2-shared', 'rps').toFixed(0)} (${ratio('workers2-shared').toFixed(2)}×)`);
      out(`  ${k.kind}: CPU µs/req single ${m('single', 'cpuUs').toFixed(1)}, workers2-primary ${m('workers2-primary', 'cpuUs').toFixed(1)} (primary alone ${m('workers2-primary', 'primaryUs').toFixed(2)} = ${(m('workers2-primary', 'primaryUs') / m('single', 'cpuUs')).toFixed(3)}× the single process's), workers2-shared ${m('workers2-shared', 'cpuUs').toFixed(1)}`);
    }
  } finally {
    for (const c of contenders) await c.s.stop();
    await origin.stop();
  }
  out(`  load average after: ${loadavg()}`);
}

async function bans(): Promise<void> {
  out(`\n== ban propagation (load average before: ${loadavg()})`);
  const redis = await startTestRedis();
  const config = redis.config();
  const ha = createRedisHub(config);
  const hb = createRedisHub({ ...config, node_name: 'b' });
  await ha.connect(5000);
  await hb.connect(5000);
  try {
    const a = await createRedisBanStore(ha);
    const b = await createRedisBanStore(hb);
    const rtt: number[] = [];
    const lat: number[] = [];
    for (let i = 0; i < 300; i++) {
      const t0 = performance.now();
      await ha.cmd.ping();
      rtt.push(performance.now() - t0);
      const key = `198.18.${i >> 8}.${i & 255}`;
      const now = Date.now();
      const t1 = performance.now();
      void a.add({ key, scope: 'address', reason: 'bench', by: 'bench', level: 1, createdAtMs: now, untilMs: now + 600_000, source: 'auto' });
      while (!b.isBanned(key, [], Date.now())) await new Promise((r) => setImmediate(r));
      lat.push(performance.now() - t1);
    }
    out(`  Redis (two nodes): p50 ${pct(lat, 0.5).toFixed(2)} ms, p99 ${pct(lat, 0.99).toFixed(2)} ms; the server's PING round trip p50 ${pct(rtt, 0.5).toFixed(3)} ms (propagation = ${(pct(lat, 0.5) / pct(rtt, 0.5)).toFixed(1)}× a round trip: add script, publish, audit read, ban read)`);
  } finally {
    await ha.close();
    await hb.close();
    await redis.stop();
  }
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-bans-'));
  const one = openStateStores({ stateDir: dir, onCorrupt: 'refuse' });
  const two = openStateStores({ stateDir: dir, onCorrupt: 'refuse' });
  const lat: number[] = [];
  for (let i = 0; i < 300; i++) {
    const now = Date.now();
    const key = `198.19.${i >> 8}.${i & 255}`;
    const t0 = performance.now();
    await one.bans.add({ key, scope: 'address', reason: 'bench', by: 'bench', level: 1, createdAtMs: now, untilMs: now + 600_000, source: 'auto' });
    await two.bans.sync(); // what a worker does on the primary's hint
    if (!two.bans.isBanned(key, [], Date.now())) throw new Error('not propagated');
    lat.push(performance.now() - t0);
  }
  out(`  SQLite file + hint (workers of one machine, IPC hop excluded): p50 ${pct(lat, 0.5).toFixed(3)} ms, p99 ${pct(lat, 0.99).toFixed(3)} ms`);
  one.close();
  two.close();
  out(`  load average after: ${loadavg()}`);
}

async function redisOps(): Promise<void> {
  out(`\n== Redis operations per request (load average before: ${loadavg()})`);
  const redis = await startTestRedis();
  const origin = await startProcess(node, [join(ROOT, 'bench/servers/cacheable-origin.mjs'), '0'], 1);
  const url = `http://127.0.0.1:${origin.port}`;
  const calls = (): number => {
    const r = spawnSync('redis-cli', ['-p', String(redis.port), 'INFO', 'commandstats'], { encoding: 'utf8' }).stdout;
    return [...r.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
  };
  const shared = `shared_state:\n  url: ${redis.url}\n  namespace: bench\nidentify:\n  geo:\n    enabled: false\n`;
  const cases = [
    { name: 'no limit matches', yaml: siteYaml(url, '', shared) },
    { name: 'every request counted by a limit', yaml: siteYaml(url, '', `${shared}policy:\n  limits:\n    - { name: per-address, average: 1000000, burst: 1000000, key: [address] }\n`) },
  ];
  try {
    for (const c of cases) {
      const s = await bulwark(c.yaml, '1');
      try {
        const idle0 = calls();
        await new Promise((r) => setTimeout(r, SECONDS * 1000));
        const idle = (calls() - idle0) / SECONDS;
        const c0 = calls();
        const r = runLoad(`http://127.0.0.1:${s.port}/`, { seconds: SECONDS, connections: 64, core: 0, vary: 'header' });
        const used = calls() - c0 - idle * SECONDS;
        out(`  ${c.name}: ${r.requests} requests, ${Math.round(calls() - c0)} Redis commands (${idle.toFixed(1)}/s when idle: pings, heartbeats, leases, shares) → ${(Math.max(0, used) / Math.max(1, r.requests)).toFixed(5)} commands per request beyond the idle rate`);
      } finally {
        await s.stop();
      }
    }
  } finally {
    await origin.stop();
    await redis.stop();
  }
  out(`  load average after: ${loadavg()}`);
}

function kernel(): void {
  out(`\n== kernel drop vs accept-time drop (load average before: ${loadavg()})`);
  const script = `ip link set lo up && exec ${node} --import tsx ${join(ROOT, 'bench/kernel-drop.bench.ts')} --seconds ${SECONDS}`;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', script], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  process.stdout.write(r.stdout);
  if (r.status !== 0) out(`  skipped or failed (needs root, unshare and nft): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  out(`  load average after: ${loadavg()}`);
}

if (want('cores')) await cores();
if (want('bans')) await bans();
if (want('redis-ops')) await redisOps();
if (want('kernel')) kernel();
