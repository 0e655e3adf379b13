/**
 * `npm run bench:shield` — cache-hit throughput: Bulwark answering from its micro-cache
 * against a bare node:http hello server, both running and pinned to core 0, the same load tool on
 * core 1, in alternating paired segments (bench/lib/paired.ts: the machine's speed drifts, and the
 * median of per-round ratios cancels most of it). Target: Bulwark's cache hits ≥ 0.8× the bare
 * server's req/s. The load tool repeats one request, as a flood does: after the first repeats on each
 * connection Bulwark answers the hits on the wire (edge/wire/hit.ts). A second run sends a new
 * `X-Bench-N` header value with every request: no two requests are alike, so every hit takes
 * the whole pipeline through node:http — the figure for traffic that does not repeat itself.
 *
 * A third run sends the varied requests at one fixed rate for both servers (--rate, default 5000 req/s;
 * 0 skips it): at full speed the faster server batches more requests per wake-up and system call, so
 * its requests get cheaper; at the same offered rate CPU per request compares the same work.
 *
 * Options: --seconds N (default 4), --rounds N (default 7), --connections N (default 64), --rate N.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { startBulwarkProcess, siteYaml, ROOT } from './lib/bulwark-process.ts';
import { CACHE_STATUS_HEADER } from '../src/pipeline/forward/forward-to-origin.ts';
import { median, pairedLoad, segmentLine, type Contender } from './lib/paired.ts';
import { startProcess, waitIdle, type Started } from './lib/processes.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '4' }, rounds: { type: 'string', default: '7' }, connections: { type: 'string', default: '64' }, rate: { type: 'string', default: '5000' } } });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);

// The origin answers with a cacheable page; Bulwark serves it from the cache after two uses.
const origin = await startProcess(process.execPath, [join(ROOT, 'bench/servers/cacheable-origin.mjs'), '0'], 1);
const servers: Started[] = [];
try {
  const bare = await startProcess(process.execPath, [join(ROOT, 'bench/servers/hello-origin.mjs'), '0'], 0);
  servers.push(bare);
  const bulwark = await startBulwarkProcess(siteYaml(`http://127.0.0.1:${origin.port}`), 0);
  servers.push(bulwark);
  await waitIdle(bulwark.pid);
  // The page must be a cache hit by the time the load starts (admission after two uses).
  let status = '';
  for (let i = 0; i < 4; i++) {
    const res = await request(`http://127.0.0.1:${bulwark.port}/`);
    await res.body.dump();
    status = String(res.headers[CACHE_STATUS_HEADER] ?? '');
  }
  if (status !== 'HIT') throw new Error(`Bulwark does not answer from its cache (${CACHE_STATUS_HEADER}: ${status})`);
  const a: Contender = { name: 'bare', url: `http://127.0.0.1:${bare.port}/`, pid: bare.pid };
  const b: Contender = { name: 'bulwark_hit', url: `http://127.0.0.1:${bulwark.port}/`, pid: bulwark.pid };
  const r = pairedLoad(a, b, { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, core: 1, onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s)) });
  const misses = r.b.reduce((n, s) => n + s.non2xx, 0);
  process.stdout.write(`\nmedian req/s: bare node:http ${median(r.a.map((s) => s.rps)).toFixed(0)}, Bulwark cache hit ${median(r.b.map((s) => s.rps)).toFixed(0)}${misses > 0 ? ` (${misses} non-2xx answers!)` : ''}\n`);
  process.stdout.write(`CPU µs/req (medians): bare ${median(r.a.map((s) => s.cpuUsPerReq)).toFixed(1)}, Bulwark hit ${median(r.b.map((s) => s.cpuUsPerReq)).toFixed(1)}\n`);
  process.stdout.write(`per-round ratios (Bulwark / bare, req/s): ${r.rpsRatios.map((x) => x.toFixed(2)).join(' ')}\n`);
  process.stdout.write(`per-round ratios (bare / Bulwark, CPU per request): ${r.cpuRatios.map((x) => x.toFixed(2)).join(' ')}\n`);
  process.stdout.write(`Bulwark cache hit / bare hello server: ${median(r.rpsRatios).toFixed(3)}× req/s (median of paired rounds; target ≥ 0.8), ${median(r.cpuRatios).toFixed(3)}× by CPU per request\n`);
  {
    const v = pairedLoad(a, b, { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, core: 1, vary: 'header', onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s).replace(who.name, `${who.name} varied`)) });
    const vMisses = v.b.reduce((n, s) => n + s.non2xx, 0);
    process.stdout.write(`\nvaried header per request (no wire): median req/s bare ${median(v.a.map((s) => s.rps)).toFixed(0)}, Bulwark cache hit ${median(v.b.map((s) => s.rps)).toFixed(0)}${vMisses > 0 ? ` (${vMisses} non-2xx answers!)` : ''}; CPU µs/req bare ${median(v.a.map((s) => s.cpuUsPerReq)).toFixed(1)}, Bulwark ${median(v.b.map((s) => s.cpuUsPerReq)).toFixed(1)}\n`);
    process.stdout.write(`per-round ratios: ${v.rpsRatios.map((x) => x.toFixed(2)).join(' ')}\n`);
    process.stdout.write(`Bulwark cache hit / bare hello server, varied header: ${median(v.rpsRatios).toFixed(3)}× req/s, ${median(v.cpuRatios).toFixed(3)}× by CPU per request\n`);
  }
  if (RATE > 0) {
    const v = pairedLoad(a, b, { rate: RATE, rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, core: 1, vary: 'header', onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s).replace(who.name, `${who.name} varied@${RATE}`)) });
    const vMisses = v.b.reduce((n, s) => n + s.non2xx, 0);
    process.stdout.write(`\nvaried header per request at ${RATE} req/s for both: median req/s bare ${median(v.a.map((s) => s.rps)).toFixed(0)}, Bulwark cache hit ${median(v.b.map((s) => s.rps)).toFixed(0)}${vMisses > 0 ? ` (${vMisses} non-2xx answers!)` : ''}; CPU µs/req bare ${median(v.a.map((s) => s.cpuUsPerReq)).toFixed(1)}, Bulwark ${median(v.b.map((s) => s.cpuUsPerReq)).toFixed(1)}\n`);
    process.stdout.write(`per-round ratios: ${v.rpsRatios.map((x) => x.toFixed(2)).join(' ')}\n`);
    process.stdout.write(`Bulwark cache hit / bare hello server, varied header at ${RATE} req/s: ${median(v.rpsRatios).toFixed(3)}× req/s, ${median(v.cpuRatios).toFixed(3)}× by CPU per request\n`);
  }
} finally {
  for (const s of servers) await s.stop();
  await origin.stop();
}
