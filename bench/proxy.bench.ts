/**
 * `npm run bench:proxy` — the pass-through benchmark.
 *
 * Bulwark (every phase in place, zero config but a fresh state directory) against the minimal undici
 * Pool.stream proxy (bench/servers/minimal-proxy.mjs: the same 256 pooled origin connections Bulwark
 * uses by default, so neither is held back by its pool) in front of the same origin program. Both
 * proxies run at once, pinned to core 0; the load tool and the origin on core 1; alternating paired
 * segments (bench/lib/paired.ts), the median of per-round ratios quoted. Loads:
 * - varied (the headline): every request carries its own `X-Bench-N` header, as real traffic varies a
 *   cookie or Referer;
 * - varied at a fixed rate: the same, at one offered rate for both (--rate, default 3000 req/s; 0 skips
 *   it): at full speed the faster proxy batches more requests per wake-up and system call, so its
 *   requests get cheaper; at the same rate CPU per request compares the same work;
 * - repeated: the same request over and over.
 * The figure is CPU per request (minimal / Bulwark; target ≥ 0.85): req/s depends on the load tool's
 * and the origin's share of their shared core as much as on the proxy. The origin direct is printed for
 * scale. A reference whose rate swings from segment to segment shows it in the per-round lines.
 *
 * Then the operator console's cost (bench/lib/console-load.ts): the same Bulwark with a live dashboard
 * stream open and /metrics scraped every second, against itself unwatched. Target ≥ 0.97×.
 *
 * Options: --seconds N (per segment, default 4), --rounds N (default 7), --connections N (default 64),
 * --admission fixed (the origin's concurrency limit not adaptive), --console off (skip the console part),
 * --rate N.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startProcess, waitIdle, type Started } from './lib/processes.ts';
import { runConsoleComparison } from './lib/console-load.ts';
import { siteYaml, startBulwarkProcess } from './lib/bulwark-process.ts';
import { median, pairedLoad, segmentLine, type Contender, type PairedResult } from './lib/paired.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '7' },
    connections: { type: 'string', default: '64' },
    admission: { type: 'string', default: 'adaptive' },
    console: { type: 'string', default: 'on' },
    rate: { type: 'string', default: '3000' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
/** --admission fixed: the origin's concurrency limit is not adaptive (isolates the proxy path's CPU). */
const SITE_EXTRA = values.admission === 'fixed' ? '    shield:\n      admission:\n        algorithm: fixed\n        max_limit: 512\n' : '';
const root = fileURLToPath(new URL('..', import.meta.url));
const node = process.execPath;

function summary(label: string, r: PairedResult): void {
  const line = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(
    `${label}: CPU µs/req Bulwark ${median(r.b.map((s) => s.cpuUsPerReq)).toFixed(1)}, minimal ${median(r.a.map((s) => s.cpuUsPerReq)).toFixed(1)}; ` +
      `req/s Bulwark ${median(r.b.map((s) => s.rps)).toFixed(0)}, minimal ${median(r.a.map((s) => s.rps)).toFixed(0)}; ` +
      `p99 ms Bulwark ${median(r.b.map((s) => s.p99Ms)).toFixed(2)}, minimal ${median(r.a.map((s) => s.p99Ms)).toFixed(2)}\n` +
      `  per-round CPU ratios (minimal / Bulwark): ${line(r.cpuRatios)}; req/s ratios: ${line(r.rpsRatios)}\n` +
      `  Bulwark / minimal undici proxy: ${median(r.cpuRatios).toFixed(3)}× by CPU per request (target ≥ 0.85), ${median(r.rpsRatios).toFixed(3)}× by req/s\n`,
  );
}

const origin = await startProcess(node, [join(root, 'bench/servers/hello-origin.mjs'), '0'], 1);
const originUrl = `http://127.0.0.1:${origin.port}`;
const servers: Started[] = [];
try {
  const minimal = await startProcess(node, [join(root, 'bench/servers/minimal-proxy.mjs'), '0', originUrl], 0);
  servers.push(minimal);
  const bulwark = await startBulwarkProcess(siteYaml(originUrl, SITE_EXTRA), 0);
  servers.push(bulwark);
  await waitIdle(bulwark.pid);
  const a: Contender = { name: 'minimal', url: `http://127.0.0.1:${minimal.port}/`, pid: minimal.pid };
  const b: Contender = { name: 'bulwark', url: `http://127.0.0.1:${bulwark.port}/`, pid: bulwark.pid };
  const opts = { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, core: 1 };
  const varied = pairedLoad(a, b, { ...opts, vary: 'header', onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s).replace(who.name, `${who.name} varied`)) });
  const atRate = RATE > 0 ? pairedLoad(a, b, { ...opts, rate: RATE, vary: 'header', onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s).replace(who.name, `${who.name} varied@${RATE}`)) }) : null;
  const repeated = pairedLoad(a, b, { ...opts, onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s)) });
  const direct: Contender = { name: 'origin', url: `${originUrl}/`, pid: origin.pid };
  const scale = pairedLoad(direct, b, { ...opts, rounds: 1, vary: 'header', onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s).replace(who.name, `${who.name} scale`)) });
  process.stdout.write('\n');
  summary('varied header per request', varied);
  if (atRate !== null) summary(`varied header per request at ${RATE} req/s for both`, atRate);
  summary('same request repeated', repeated);
  process.stdout.write(`origin direct (varied, one round): ${median(scale.a.map((s) => s.rps)).toFixed(0)} req/s, ${median(scale.a.map((s) => s.cpuUsPerReq)).toFixed(1)} µs/req\n`);
} finally {
  for (const s of servers) await s.stop();
  await origin.stop();
}

if (values.console !== 'off') {
  const originAgain = await startProcess(node, [join(root, 'bench/servers/hello-origin.mjs'), '0'], 1);
  try {
    await runConsoleComparison({ originUrl: `http://127.0.0.1:${originAgain.port}`, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, siteExtra: SITE_EXTRA });
  } finally {
    await originAgain.stop();
  }
}
