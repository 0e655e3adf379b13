/**
 * The kernel drop vs Bulwark's accept-time drop, run inside a private network namespace (bench/scale.bench.ts
 * starts it under `unshare -n`; it refuses to run outside one). Two Bulwarks on core 1, one mirroring its
 * deny list into nftables (`kernel_drop: on`), one dropping at accept; a deny-listed source offers the same
 * connection rate to each in turn (bench/servers/connect-rate.mjs on core 0), alternating, and again with
 * the fastest connect-and-wait loop the accept-time drop can take (connect-loop.mjs). Reported: attempts
 * and refusals per second, Bulwark's CPU µs per refused connection in each mode, and the ratio.
 * Options: --seconds N (default 3), --rate N attempts/s (default 3000), --rounds N (default 3).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, siteYaml } from './lib/bulwark-process.ts';
import { median } from './lib/paired.ts';
import { cpuSeconds, startProcess, waitIdle, type Started } from './lib/processes.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' }, rate: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '3' } } });
const SECONDS = Number(values.seconds);
const RATE = Number(values.rate);
const ROUNDS = Number(values.rounds);
const node = process.execPath;
const BANNED = '127.66.6.6';

// A private namespace made by `unshare -n` has its loopback and nothing else.
if (Object.keys(networkInterfaces()).some((name) => name !== 'lo')) {
  process.stderr.write('kernel-drop bench: run me inside a private network namespace (bench/scale.bench.ts --part kernel does)\n');
  process.exit(2);
}

async function bulwark(mode: 'on' | 'off'): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-kd-bench-'));
  const file = join(dir, 'bulwark.yaml');
  const extra = `kernel_drop: ${mode}\nlists:\n  deny:\n    - { cidr: ${BANNED}, force: true }\nidentify:\n  geo:\n    enabled: false\n`;
  writeFileSync(file, siteYaml(`http://127.0.0.1:${origin.port}`, '', extra).replaceAll('{STATE}', join(dir, 'state')));
  const s = await startProcess('taskset', ['-c', '1', node, join(ROOT, 'bin/bulwark.js'), 'start', '-c', file], null, /"listeners":\["http:\/\/127\.0\.0\.1:(\d+)"[^\n]*"bulwark started"/);
  await waitIdle(s.pid);
  return s;
}

function offered(port: number): { attempts: number; connected: number } {
  const r = spawnSync('taskset', ['-c', '0', node, join(ROOT, 'bench/servers/connect-rate.mjs'), String(port), BANNED, String(SECONDS), String(RATE)], { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 });
  const m = /attempts (\d+) connected (\d+)/.exec(r.stdout);
  return { attempts: Number(m?.[1] ?? 0), connected: Number(m?.[2] ?? 0) };
}

function loopRate(port: number): number {
  const r = spawnSync('taskset', ['-c', '0', node, join(ROOT, 'bench/servers/connect-loop.mjs'), String(port), BANNED, String(SECONDS), '64'], { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 });
  return Number(/connections (\d+)/.exec(r.stdout)?.[1] ?? 0) / SECONDS;
}

const origin = await startProcess(node, [join(ROOT, 'bench/servers/hello-origin.mjs'), '0'], 0);
const kernel = await bulwark('on');
const accept = await bulwark('off');
try {
  const rows = { kernel: [] as Array<{ cpuUs: number; refusedPerS: number }>, accept: [] as Array<{ cpuUs: number; refusedPerS: number }> };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, s] of round % 2 === 0 ? ([['kernel', kernel], ['accept', accept]] as const) : ([['accept', accept], ['kernel', kernel]] as const)) {
      // Bulwark's own idle CPU over the same time (timers, detector ticks) is measured and taken off.
      const i0 = cpuSeconds(s.pid);
      await new Promise((r) => setTimeout(r, SECONDS * 1000));
      const idle = cpuSeconds(s.pid) - i0;
      const c0 = cpuSeconds(s.pid);
      const r = offered(s.port);
      const cpu = Math.max(0, cpuSeconds(s.pid) - c0 - idle);
      const row = { cpuUs: (cpu * 1e6) / Math.max(1, r.attempts), refusedPerS: r.attempts / SECONDS };
      rows[name].push(row);
      process.stdout.write(`  round ${round + 1} ${name.padEnd(7)} offered ${(r.attempts / SECONDS).toFixed(0)}/s, handshakes completed ${r.connected}, Bulwark CPU ${(cpu * 1000).toFixed(0)} ms above idle (${(idle * 1000).toFixed(0)} ms) = ${row.cpuUs.toFixed(2)} µs per refused connection\n`);
    }
  }
  const m = (k: 'kernel' | 'accept') => median(rows[k].map((r) => r.cpuUs));
  process.stdout.write(`  result: at ${RATE} attempts/s, Bulwark CPU per refused connection above idle — accept-time drop ${m('accept').toFixed(2)} µs, kernel drop ${m('kernel').toFixed(3)} µs (the kernel's work is not Bulwark's: its CPU does not grow with the attempts)\n`);
  const loop = loopRate(accept.port);
  process.stdout.write(`  the accept-time drop at full speed (connect, wait for the close, again; 64 loops): ${loop.toFixed(0)} connections/s refused; the kernel drop answers nothing, so the same loop would only wait on SYN retransmits\n`);
} finally {
  await kernel.stop();
  await accept.stop();
  await origin.stop();
}
