/**
 * The operator console's cost on the request path: two identical Bulwarks (admin listener on, the
 * dashboard's 1 Hz sampler running in both), pinned to the same core and loaded in alternating paired
 * segments; on one of them an operator watches — a live dashboard stream on the benchmarked site and a
 * Prometheus scrape of /metrics every second (bench/servers/console-watcher.mjs, on the load tool's core).
 * The threat level of both is pinned to normal for the run (an override): minutes of benchmark load would
 * otherwise raise it at different moments on the two and make one of them challenge.
 * Prints the watched / unwatched req/s ratio (target ≥ 0.97) for one repeated request and for a header
 * that changes with every request, and what the watcher received (so a stream that stalled would show).
 * On a noisy shared machine the paired ratio still swings by several percent, so the console's own cost
 * is also measured directly: each Bulwark's CPU over 10 idle seconds, watched and unwatched — the
 * difference is what the stream and the scrapes cost, whatever the load.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueToken } from '../../src/admin/auth/tokens.ts';
import { openStateStores } from '../../src/stores/index.ts';
import { HAS_WRK } from './load.ts';
import { median, pairedLoad, segmentLine, type Contender } from './paired.ts';
import { cpuSeconds, startProcess, waitIdle, type Started } from './processes.ts';
import { writeMode } from '../../src/detection/override.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const READY = /"listeners":\["http:\/\/127\.0\.0\.1:(\d+)"[^\n]*"admin":"127\.0\.0\.1:(\d+)"/;

async function startWithAdmin(originUrl: string, extraSite: string): Promise<{ proc: Started; adminUrl: string; token: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-console-bench-'));
  const file = join(dir, 'bulwark.yaml');
  writeFileSync(file, `state_dir: ${dir}/state\nlisten:\n  http: ["127.0.0.1:0"]\nadmin:\n  listen: 127.0.0.1:0\nlog:\n  level: info\nsites:\n  - name: bench\n    hosts: ["*"]\n    origins: ["${originUrl}"]\n${extraSite}`);
  const state = openStateStores({ stateDir: `${dir}/state`, onCorrupt: 'refuse' });
  const { secret } = await issueToken(state.tokens, { name: 'bench', role: 'viewer', expiresInMs: 86_400_000, by: 'bench' }, Date.now());
  // Minutes of benchmark load look like a flood to the detector: the level is pinned to normal (the
  // detector still runs and the dashboard shows it), so neither side starts challenging mid-run.
  await writeMode(state.kv, 'bench', { level: 'normal', durationMs: 3_600_000 }, { by: 'bench' }, Date.now());
  state.close();
  const proc = await startProcess(process.execPath, [join(root, 'bin/bulwark.js'), 'start', '-c', file], 0, READY);
  return { proc, adminUrl: `http://127.0.0.1:${proc.match[2]}`, token: secret };
}

/** Options of {@link runConsoleComparison}. */
export interface ConsoleComparisonOptions {
  readonly originUrl: string;
  readonly rounds: number;
  readonly seconds: number;
  readonly connections: number;
  /** YAML appended under the site (e.g. the fixed-admission option of bench:proxy). */
  readonly siteExtra?: string;
}

/** Runs the comparison and prints it; returns the median ratios (repeated, varied). */
export async function runConsoleComparison(o: ConsoleComparisonOptions): Promise<{ repeated: number; varied: number | null }> {
  const quiet = await startWithAdmin(o.originUrl, o.siteExtra ?? '');
  const watched = await startWithAdmin(o.originUrl, o.siteExtra ?? '');
  let watcher: Started | null = null;
  try {
    watcher = await startProcess(process.execPath, [join(root, 'bench/servers/console-watcher.mjs'), watched.adminUrl, watched.token, 'bench'], 1, /watching (\d+)/);
    const a: Contender = { name: 'admin idle', url: `http://127.0.0.1:${quiet.proc.port}/`, pid: quiet.proc.pid };
    const b: Contender = { name: 'console open', url: `http://127.0.0.1:${watched.proc.port}/`, pid: watched.proc.pid };
    // Start-up work (geo data in a worker thread) done first, so it is not charged to the console.
    await waitIdle(quiet.proc.pid);
    await waitIdle(watched.proc.pid);
    const idle0 = [cpuSeconds(quiet.proc.pid), cpuSeconds(watched.proc.pid)];
    await new Promise((r) => setTimeout(r, 10_000));
    const idleQuiet = (cpuSeconds(quiet.proc.pid) - idle0[0]!) / 10;
    const idleWatched = (cpuSeconds(watched.proc.pid) - idle0[1]!) / 10;
    process.stdout.write(
      `\nconsole, idle for 10 s: unwatched ${(idleQuiet * 1000).toFixed(1)} ms CPU/s, watched ${(idleWatched * 1000).toFixed(1)} ms CPU/s: the stream and the scrapes cost ${((idleWatched - idleQuiet) * 1000).toFixed(1)} ms CPU a second (${((idleWatched - idleQuiet) * 100).toFixed(2)}% of a core)\n`,
    );
    const onSegment = (round: number, who: Contender, s: Parameters<typeof segmentLine>[2]) => process.stdout.write(segmentLine(round, who, s));
    process.stdout.write('\nconsole: dashboard stream + /metrics every second, against the same Bulwark unwatched (paired segments)\n');
    const repeated = pairedLoad(a, b, { rounds: o.rounds, seconds: o.seconds, connections: o.connections, core: 1, onSegment });
    let varied: ReturnType<typeof pairedLoad> | null = null;
    if (HAS_WRK) {
      process.stdout.write('varied requests (X-Bench-N changes with every request):\n');
      varied = pairedLoad(a, b, { rounds: o.rounds, seconds: o.seconds, connections: o.connections, core: 1, vary: 'header', onSegment });
    }
    const stopWatcher = new Promise<string>((resolve) => {
      let out = '';
      watcher!.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      watcher!.child.once('exit', () => resolve(out));
    });
    watcher.child.kill('SIGTERM');
    const seen = (await stopWatcher).trim().split('\n').pop() ?? '{}';
    watcher = null;
    const r = median(repeated.rpsRatios);
    const v = varied ? median(varied.rpsRatios) : null;
    process.stdout.write(`\nwatcher received: ${seen}\n`);
    process.stdout.write(`console open / unwatched: ${r.toFixed(3)}× req/s repeated request (rounds: ${repeated.rpsRatios.map((x) => x.toFixed(3)).join(' ')}); CPU per request ${(1 / median(repeated.cpuRatios)).toFixed(3)}×  (target ≥ 0.97)\n`);
    if (v !== null) process.stdout.write(`console open / unwatched: ${v.toFixed(3)}× req/s varied requests (rounds: ${varied!.rpsRatios.map((x) => x.toFixed(3)).join(' ')}); CPU per request ${(1 / median(varied!.cpuRatios)).toFixed(3)}×\n`);
    else process.stdout.write('varied requests: skipped (needs wrk)\n');
    return { repeated: r, varied: v };
  } finally {
    watcher?.child.kill('SIGKILL');
    await quiet.proc.stop();
    await watched.proc.stop();
  }
}
