/**
 * TLS handshakes per second on Bulwark's https listener, with and without session resumption, in the
 * same run — and, for the full handshake, with the site's RSA certificate against its ECDSA one (a site
 * with both gives each client the one it accepts). Bulwark (the real binary, handshake caps off) is
 * pinned to core 0, the handshake client to core 1 (8 connections at a time, each closed once its
 * handshake is done); the reference is node:tls's own server with the same certificates doing nothing
 * (bench/servers/tls-nothing.mjs), measured in the same rounds. Prints handshakes/s and the server's CPU
 * µs per handshake, and the ratios resumed ÷ full, ECDSA ÷ RSA and Bulwark ÷ node:tls (median of
 * interleaved rounds).
 *
 * Options: --seconds N (default 5), --rounds N (default 3).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuSeconds, HAS_TASKSET, startProcess } from './lib/processes.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' } } });
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const root = fileURLToPath(new URL('..', import.meta.url));
const tlsDir = join(root, 'test/fixtures/tls');
const node = process.execPath;

const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-hs-'));
writeFileSync(
  join(dir, 'bulwark.yaml'),
  `state_dir: "${dir}/state"\nlisten:\n  http: ["127.0.0.1:0"]\n  https: ["127.0.0.1:0"]\nadmin:\n  listen: null\nlog:\n  level: info\nidentify:\n  geo: { enabled: false }\n` +
    `tls:\n  handshakes: { per_address: null, per_prefix: null }\n` +
    `sites:\n  - name: bench\n    hosts: ["*"]\n    origins: ["http://127.0.0.1:9"]\n    tls:\n      cert: "${tlsDir}/alpha.test.crt"\n      key: "${tlsDir}/alpha.test.key"\n      additional: [{ cert: "${tlsDir}/alpha.test-ecdsa.crt", key: "${tlsDir}/alpha.test-ecdsa.key" }]\n`,
);
const bulwark = await startProcess(node, [join(root, 'bin/bulwark.js'), 'start', '-c', join(dir, 'bulwark.yaml')], 0, /"https:\/\/127\.0\.0\.1:(\d+)"/);
const plain = await startProcess(node, [join(root, 'bench/servers/tls-nothing.mjs'), `${tlsDir}/alpha.test.crt`, `${tlsDir}/alpha.test.key`, `${tlsDir}/alpha.test-ecdsa.crt`, `${tlsDir}/alpha.test-ecdsa.key`], 0);

type Case = { name: string; mode: 'full' | 'resume'; sigalgs: string; server: typeof bulwark };
const RSA_ONLY = 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256';
const CASES: Case[] = [
  { name: 'full, ECDSA', mode: 'full', sigalgs: '', server: bulwark },
  { name: 'full, RSA', mode: 'full', sigalgs: RSA_ONLY, server: bulwark },
  { name: 'resumed', mode: 'resume', sigalgs: '', server: bulwark },
  { name: 'node:tls full, ECDSA', mode: 'full', sigalgs: '', server: plain },
  { name: 'node:tls resumed', mode: 'resume', sigalgs: '', server: plain },
];

function run(c: Case, seconds: number): { handshakes: number; resumed: number; errors: number; perSecond: number } {
  const args = [join(root, 'bench/servers/tls-handshakes.mjs'), String(c.server.port), String(seconds), '8', c.mode, c.sigalgs];
  const argv = HAS_TASKSET ? ['taskset', '-c', '1', node, ...args] : [node, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const results = new Map<string, { rate: number; cpu: number }[]>();
try {
  for (const c of CASES) run(c, 1); // warm-up
  for (let round = 1; round <= ROUNDS; round++) {
    for (const c of CASES) {
      const cpu0 = cpuSeconds(c.server.pid);
      const r = run(c, SECONDS);
      const cpuUs = r.handshakes > 0 ? ((cpuSeconds(c.server.pid) - cpu0) * 1e6) / r.handshakes : NaN;
      results.set(c.name, [...(results.get(c.name) ?? []), { rate: r.perSecond, cpu: cpuUs }]);
      process.stdout.write(`round ${round} ${c.name.padEnd(22)} ${r.perSecond.toFixed(0).padStart(6)} handshakes/s  cpu ${cpuUs.toFixed(0).padStart(5)} µs/handshake  resumed ${r.resumed}/${r.handshakes} errors ${r.errors}\n`);
    }
  }
} finally {
  await bulwark.stop();
  await plain.stop();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const m = (name: string) => ({ rate: median(results.get(name)!.map((x) => x.rate)), cpu: median(results.get(name)!.map((x) => x.cpu)) });
const [ec, rsa, res, pEc, pRes] = [m('full, ECDSA'), m('full, RSA'), m('resumed'), m('node:tls full, ECDSA'), m('node:tls resumed')];
process.stdout.write('\nmedians\n');
for (const c of CASES) process.stdout.write(`${c.name.padEnd(22)} ${m(c.name).rate.toFixed(0).padStart(6)} handshakes/s  ${m(c.name).cpu.toFixed(0).padStart(5)} µs/handshake\n`);
process.stdout.write(`resumed ÷ full (ECDSA): handshakes/s ×${(res.rate / ec.rate).toFixed(2)}, CPU ×${(res.cpu / ec.cpu).toFixed(2)}\n`);
process.stdout.write(`ECDSA ÷ RSA (full): handshakes/s ×${(ec.rate / rsa.rate).toFixed(2)}, CPU ×${(ec.cpu / rsa.cpu).toFixed(2)}\n`);
process.stdout.write(`Bulwark ÷ node:tls: full ECDSA handshakes/s ×${(ec.rate / pEc.rate).toFixed(2)}, CPU ×${(ec.cpu / pEc.cpu).toFixed(2)}; resumed handshakes/s ×${(res.rate / pRes.rate).toFixed(2)}, CPU ×${(res.cpu / pRes.cpu).toFixed(2)}\n`);
