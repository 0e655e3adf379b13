/**
 * Rapid Reset (CVE-2023-44487): Bulwark's CPU per stream of a rapid-reset flood, against node:http2's
 * own TLS server doing nothing with its streams — measured in the same run, the same attacker (the
 * drill's raw-frame client, HEADERS + RST_STREAM pairs from 50 source addresses, in a process pinned to
 * core 1) at the same offered rate, each server pinned to core 0. Bulwark ends each connection after its
 * reset budget (GOAWAY), and the attacker pays a new TLS handshake for the next; node's server goes on
 * until nghttp2's own reset limit. Prints streams sent, connections, server CPU µs per stream, and the
 * ratio Bulwark ÷ node (median of interleaved rounds).
 *
 * Options: --seconds N (default 5), --rounds N (default 3), --rate N streams/s offered (default 20000).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, HAS_TASKSET, startProcess, type Started } from './lib/processes.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' }, rate: { type: 'string', default: '20000' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const RATE = Number(values.rate);
const root = fileURLToPath(new URL('..', import.meta.url));
const cert = join(root, 'test/fixtures/tls/alpha.test.crt');
const key = join(root, 'test/fixtures/tls/alpha.test.key');
const node = process.execPath;

function startBulwark(): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-rr-'));
  writeFileSync(
    join(dir, 'bulwark.yaml'),
    `state_dir: "${dir}/state"\nlisten:\n  http: ["127.0.0.1:0"]\n  https: ["127.0.0.1:0"]\nadmin:\n  listen: null\nlog:\n  level: info\nidentify:\n  geo: { enabled: false }\n` +
      `sites:\n  - name: bench\n    hosts: ["*"]\n    origins: ["http://127.0.0.1:9"]\n    tls: { cert: "${cert}", key: "${key}" }\n`,
  );
  return startProcess(node, [join(root, 'bin/bulwark.js'), 'start', '-c', join(dir, 'bulwark.yaml')], 0, /"https:\/\/127\.0\.0\.1:(\d+)"/);
}

interface Flood {
  readonly sent: number;
  readonly connectionsOpened: number;
  readonly connectFailed: number;
  readonly goaways: Record<string, number>;
}

function attack(port: number): Flood {
  const args = ['--import', 'tsx', join(root, 'bench/servers/h2-attack.ts'), `https://127.0.0.1:${port}/`, 'rapid_reset', String(RATE), String(SECONDS), '50'];
  const argv = HAS_TASKSET ? ['taskset', '-c', '1', node, ...args] : [node, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: (SECONDS + 60) * 1000, cwd: root });
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Flood;
}

async function measure(which: 'bulwark' | 'node'): Promise<{ flood: Flood; cpuUs: number }> {
  const server = which === 'bulwark' ? await startBulwark() : await startProcess(node, [join(root, 'bench/servers/h2-nothing.mjs'), cert, key], 0);
  try {
    const cpu0 = cpuSeconds(server.pid);
    const flood = attack(server.port);
    const cpu = cpuSeconds(server.pid) - cpu0;
    return { flood, cpuUs: flood.sent > 0 ? (cpu * 1e6) / flood.sent : NaN };
  } finally {
    await server.stop();
  }
}

const runs: Record<'bulwark' | 'node', number[]> = { bulwark: [], node: [] };
for (let round = 1; round <= ROUNDS; round++) {
  for (const which of ['node', 'bulwark'] as const) {
    const { flood, cpuUs } = await measure(which);
    runs[which].push(cpuUs);
    process.stdout.write(
      `round ${round} ${which.padEnd(7)} streams ${String(flood.sent).padStart(7)}  connections ${String(flood.connectionsOpened).padStart(5)} (refused at accept ${flood.connectFailed})  cpu ${cpuUs.toFixed(2)} µs/stream  goaway ${JSON.stringify(flood.goaways)}\n`,
    );
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const b = median(runs.bulwark);
const n = median(runs.node);
process.stdout.write(`\nmedian CPU per rapid-reset stream: Bulwark ${b.toFixed(2)} µs, node:http2 doing nothing ${n.toFixed(2)} µs → Bulwark ÷ node ×${(b / n).toFixed(2)}\n`);
