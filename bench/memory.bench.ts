/**
 * `npm run bench:memory` — the resident memory of a zero-config Bulwark (the real binary, a one-site
 * config with defaults as bench/lib/bulwark-process.ts `siteYaml()` writes it, geo data on as by default),
 * idle and under a many-source flood, next to references measured in the same run:
 * - idle: RSS once started, geo data loaded and settled, split into the JS heap (used / total), external
 *   and array-buffer memory (process.memoryUsage() inside the process, via bench/lib/memory-probe.mjs)
 *   and anonymous vs file-backed pages (/proc/<pid>/smaps_rollup: the node binary and libraries are
 *   file-backed), beside a bare `node` process that only waits;
 * - flood: a bounded flood from 2,000 loopback source addresses, each its own /24 (bench/lib/source-flood.ts:
 *   every request differs, connections renewed every 40 requests), at --rate req/s for --seconds, RSS
 *   sampled every 250 ms; the peak (and the kernel's high-water mark, VmHWM) beside a bare node:http
 *   server (bench/servers/hello-origin.mjs) under the same flood.
 * Prints the targets (idle ≤ 100 MB, flood peak ≤ 200 MB) and whether they are met.
 *
 * Servers are pinned to core 0 (when taskset exists), the origin to core 1; loopback only; every process is
 * stopped by its PID. About two minutes. Options: --seconds N (default 20), --rate N (default 4000),
 * --sources N (default 2000), --settle N (seconds idle before the idle figure, default 15: V8 gives back the
 * young generation that start-up grew ~8 s after the last burst of work, with its memory-reducing GC),
 * --starts N (Bulwark is started N times on one state directory and its idle RSS taken each time, default 3:
 * it varies by a few MB from start to start — see the note printed at the end; the last start is flooded).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { ROOT, siteYaml } from './lib/bulwark-process.ts';
import { startProcess, waitIdle, type Started } from './lib/processes.ts';
import { runSourceFlood, type FloodResult } from './lib/source-flood.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '4000' },
    sources: { type: 'string', default: '2000' },
    settle: { type: 'string', default: '15' },
    starts: { type: 'string', default: '3' },
  },
});
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const SOURCES = Number(values.sources);
const SETTLE_S = Number(values.settle);
const STARTS = Math.max(1, Number(values.starts));
const TARGET_IDLE_MB = 100;
const TARGET_FLOOD_MB = 200;
const node = process.execPath;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MB = (bytes: number): string => (bytes / 1048576).toFixed(1);

/** RSS, anonymous and file-backed resident memory in bytes (smaps_rollup), and the kernel's RSS high-water mark. */
function residentOf(pid: number): { rss: number; anon: number; file: number; hwm: number } {
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key: string, text = rollup): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0) * 1024;
  const rss = kb('Rss');
  const anon = kb('Anonymous');
  return { rss, anon, file: rss - anon, hwm: kb('VmHWM', readFileSync(`/proc/${pid}/status`, 'utf8')) };
}

interface ProbeReport {
  readonly usage: NodeJS.MemoryUsage;
  readonly spaces: Readonly<Record<string, { readonly size: number; readonly used: number }>>;
}

const probeDir = mkdtempSync(join(tmpdir(), 'bulwark-memprobe-'));
const probeEnv = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${join(ROOT, 'bench/lib/memory-probe.mjs')}`.trim(), BULWARK_MEMORY_PROBE: join(probeDir, 'usage') };

/** memoryUsage() of a process started with the probe (null when it did not answer within 2 s). */
async function probe(pid: number): Promise<ProbeReport | null> {
  const file = join(probeDir, `usage.${pid}`);
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 40 && !existsSync(file); i++) await sleep(50);
  await sleep(20);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as ProbeReport;
  } catch {
    return null;
  }
}

/** Idle figures: RSS and its split, after `settleS` seconds without work. */
async function idleOf(pid: number, settleS: number): Promise<{ res: ReturnType<typeof residentOf>; usage: ProbeReport | null }> {
  await waitIdle(pid);
  await sleep(settleS * 1000);
  return { res: residentOf(pid), usage: await probe(pid) };
}

/** Floods `port` and samples `pid`'s RSS every 250 ms; the peak sample and its split. */
async function floodOf(pid: number, port: number): Promise<{ flood: FloodResult; peak: ReturnType<typeof residentOf>; hwm: number; usage: ProbeReport | null }> {
  let peak = residentOf(pid);
  const sampler = setInterval(() => {
    const r = residentOf(pid);
    if (r.rss > peak.rss) peak = r;
  }, 250);
  const flood = await runSourceFlood({ url: `http://127.0.0.1:${port}`, sources: SOURCES, rate: RATE, seconds: SECONDS, maxRequests: RATE * SECONDS * 1.2 });
  clearInterval(sampler);
  const usage = await probe(pid);
  return { flood, peak, hwm: residentOf(pid).hwm, usage };
}

const split = (res: ReturnType<typeof residentOf>, usage: ProbeReport | null): string =>
  `anonymous ${MB(res.anon)}, file-backed ${MB(res.file)}` +
  (usage
    ? `; heap used ${MB(usage.usage.heapUsed)} / total ${MB(usage.usage.heapTotal)} (young generation ${MB(usage.spaces.new_space?.size ?? 0)}), external ${MB(usage.usage.external)} (array buffers ${MB(usage.usage.arrayBuffers)})`
    : '');
const floodLine = (f: FloodResult): string =>
  `${f.sent} requests in ${f.seconds.toFixed(1)} s (${(f.sent / f.seconds).toFixed(0)} req/s), ${f.answered} answered (${Object.entries(f.statuses).map(([s, n]) => `${s}: ${n}`).join(', ')}), ${f.errors} errors`;

const started: Started[] = [];
try {
  // Bare node, idle: the floor every Node.js process pays (binary, libraries, an empty heap).
  const bare = spawn(node, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', env: probeEnv });
  await sleep(3000);
  const bareIdle = { res: residentOf(bare.pid!), usage: await probe(bare.pid!) };
  bare.kill('SIGTERM');

  // A bare node:http server: idle, then under the flood.
  const ref = await startProcess(node, [join(ROOT, 'bench/servers/hello-origin.mjs'), '0'], 0, /listening (\d+)/, probeEnv);
  started.push(ref);
  const refIdle = await idleOf(ref.pid, 2);
  const refFlood = await floodOf(ref.pid, ref.port);
  await ref.stop();

  // Bulwark, zero config, in front of a hello origin; started STARTS times on one state directory (the
  // first start builds the geo image, later ones open it), idle measured each time, the last one flooded.
  const origin = await startProcess(node, [join(ROOT, 'bench/servers/hello-origin.mjs'), '0'], 1);
  started.push(origin);
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-'));
  const stateDir = join(dir, 'state');
  writeFileSync(join(dir, 'bulwark.yaml'), siteYaml(`http://127.0.0.1:${origin.port}`).replaceAll('{STATE}', stateDir));
  const idles: Array<Awaited<ReturnType<typeof idleOf>>> = [];
  let bulwark: Started | null = null;
  for (let n = 0; n < STARTS; n++) {
    if (bulwark !== null) await bulwark.stop();
    bulwark = await startProcess(node, [join(ROOT, 'bin/bulwark.js'), 'start', '-c', join(dir, 'bulwark.yaml')], 0, /"listeners":\["http:\/\/127\.0\.0\.1:(\d+)"/, probeEnv);
    started.push(bulwark);
    // Geo data is built by a child process into <state_dir>/geo; wait for it (at most 60 s), then for quiet.
    for (let i = 0; i < 600 && !(existsSync(join(stateDir, 'geo')) && readdirSync(join(stateDir, 'geo')).some((f) => /^(geo|asn)-[0-9a-f]+\.bin$/.test(f))); i++) await sleep(100);
    await sleep(500);
    const warm = await request(`http://127.0.0.1:${bulwark.port}/`, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36' } });
    await warm.body.dump();
    idles.push(await idleOf(bulwark.pid, SETTLE_S));
  }
  const bwIdle = [...idles].sort((a, b) => a.res.rss - b.res.rss)[idles.length >> 1]!;
  const idleMax = Math.max(...idles.map((i) => i.res.rss));
  const bwFlood = await floodOf(bulwark!.pid, bulwark!.port);
  const bwAfter = await idleOf(bulwark!.pid, 5);

  console.log(`Memory, zero-config Bulwark (one site, defaults, geo on) — ${SOURCES} sources, ${RATE} req/s for ${SECONDS} s`);
  console.log('\nIdle');
  console.log(`  bare node (waits only)        RSS ${MB(bareIdle.res.rss).padStart(6)} MB  ${split(bareIdle.res, bareIdle.usage)}`);
  console.log(`  bare node:http server         RSS ${MB(refIdle.res.rss).padStart(6)} MB  ${split(refIdle.res, refIdle.usage)}`);
  idles.forEach((i, n) => console.log(`  Bulwark, start ${n + 1}${n === 0 ? ' (builds the geo image)' : ' (opens it)      '} RSS ${MB(i.res.rss).padStart(6)} MB  ${split(i.res, i.usage)}`));
  console.log(`  Bulwark, median of ${idles.length} starts    RSS ${MB(bwIdle.res.rss).padStart(6)} MB (highest ${MB(idleMax)} MB)`);
  console.log(`  Bulwark − bare node           ${MB(bwIdle.res.rss - bareIdle.res.rss).padStart(10)} MB (anonymous +${MB(bwIdle.res.anon - bareIdle.res.anon)}, file-backed +${MB(bwIdle.res.file - bareIdle.res.file)})`);
  console.log(`\nFlood (${SOURCES} sources)`);
  console.log(`  bare node:http server   peak RSS ${MB(refFlood.peak.rss).padStart(6)} MB (VmHWM ${MB(refFlood.hwm)})  ${floodLine(refFlood.flood)}`);
  console.log(`  Bulwark                 peak RSS ${MB(bwFlood.peak.rss).padStart(6)} MB (VmHWM ${MB(bwFlood.hwm)})  ${floodLine(bwFlood.flood)}`);
  console.log(`    at the peak: ${split(bwFlood.peak, null)}; after the flood: ${split(bwFlood.peak, bwFlood.usage).replace(/^[^;]*; /, '')}`);
  console.log(`    ratio to the bare server's peak: ${(bwFlood.peak.rss / refFlood.peak.rss).toFixed(2)}×`);
  console.log(`  Bulwark 5 s after the flood: RSS ${MB(bwAfter.res.rss)} MB  ${split(bwAfter.res, bwAfter.usage)}`);
  const idleMet = idleMax <= TARGET_IDLE_MB * 1048576;
  const floodMet = Math.max(bwFlood.peak.rss, bwFlood.hwm) <= TARGET_FLOOD_MB * 1048576;
  console.log('\nTargets');
  console.log(`  idle ≤ ${TARGET_IDLE_MB} MB: highest of ${idles.length} starts ${MB(idleMax)} MB (median ${MB(bwIdle.res.rss)}) — ${idleMet ? 'met' : 'NOT met'}`);
  console.log(`  flood peak ≤ ${TARGET_FLOOD_MB} MB: ${MB(Math.max(bwFlood.peak.rss, bwFlood.hwm))} MB (higher of sampled peak and VmHWM) — ${floodMet ? 'met' : 'NOT met'}`);
  console.log(
    '\nNote: idle RSS varies by several MB from start to start, mostly in glibc malloc arenas: the first request to an\n' +
      "origin makes V8 compile undici's llhttp WebAssembly parser with TurboFan on a background thread, whose arena grows\n" +
      'to ~36 MB for it; how much of it stays resident afterwards depends on what else that thread allocates there.\n' +
      'MALLOC_ARENA_MAX=2 in the environment (examples/bulwark.service) measured 80-85 MB idle over 5 starts, against 87-92 MB.',
  );
  rmSync(dir, { recursive: true, force: true });
} finally {
  for (const s of started.reverse()) await s.stop();
  rmSync(probeDir, { recursive: true, force: true });
}
