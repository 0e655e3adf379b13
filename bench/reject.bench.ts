/**
 * The rejection paths (deny list, ban, rate limit), each against a bare reference in the same run,
 * servers on core 0 (both
 * running) and load on core 1, in alternating paired segments (bench/lib/paired.ts: the machine's
 * speed drifts within a minute, and the median of per-round ratios cancels most of it). The figure to
 * quote is CPU per request (reference / Bulwark): the load tool shares its core with other work, so
 * req/s says as much about it as about the server.
 * - a limited client on keep-alive connections whose every request carries its own cookie
 *   (`Cookie: visit=N`; the headline: real floods vary a cookie, a Referer or a user agent): Bulwark's
 *   429 vs a bare node:http server that answers 429 to everything (target ≥ 0.9×). A cookie that does not
 *   carry Bulwark's clearance changes nothing the refusal depends on, so the refusal lane answers
 *   (pipeline/lane/refusal-lane.ts), at the parsed head, before node:http builds request and response
 *   objects (edge/wire/head-hook.ts);
 * - the same with the user agent rotating through ten real browsers' instead (the drill's
 *   `ua-rotation` pool): the same user-agent class, so the lane answers at the head too;
 * - the same rotating through three whole client stacks (bench/lib/load.ts CLIENT_STACKS: header names
 *   and order, user-agent class), as a botnet imitating several clients does: no request repeats the
 *   one before it in what the decision reads, so neither the lane nor the wire answers: the whole path
 *   runs — identify, decide, enforce, record — through node:http;
 * - the same with its own `X-Bench-N` header value (a field no decision reads, like a Referer or a
 *   cache-busting extension header) or a new query string on every request: the refusal lane answers;
 * - the same request repeated, as a naive flood sends it: after the first refusals on each connection
 *   Bulwark answers on the wire (edge/wire/refusal.ts);
 * - a deny-listed source connecting over and over: Bulwark's CPU per connection (dropped at the listening
 *   handle, before node:net builds a Socket: edge/accept-handle.ts) vs a bare server that destroys every
 *   socket in its 'connection' listener, the way a Node server drops (target ≥ 0.95×), and both
 *   connection rates (the rate is bounded by the connect loop as much as by the server).
 * - the cookie-varied and stack-rotating loads again at one fixed rate for both servers (--rate, default
 *   5000 req/s; 0 skips them): at full speed the faster server also batches more requests per wake-up and system call, so its
 *   requests get cheaper; at the same offered rate the CPU per request compares the same work.
 * Escalation stays on (every refusal is counted toward a ban, as in production) with a threshold the
 * benchmark's one address never reaches, so the 429 path is what is measured, not the drop.
 * Options: --seconds N (default 4), --rounds N (default 7), --rate N (default 5000), --only drop|429 (default: both).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { ROOT, siteYaml, startBulwarkProcess } from './lib/bulwark-process.ts';
import { LIMITED_TOP } from './lib/bench-configs.ts';
import { median, pairedLoad, segmentLine, type Contender, type PairedResult } from './lib/paired.ts';
import type { VaryKind } from './lib/load.ts';
import { cpuSeconds, HAS_TASKSET, startProcess, waitIdle, type Started } from './lib/processes.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '4' }, rounds: { type: 'string', default: '7' }, rate: { type: 'string', default: '5000' }, only: { type: 'string', default: 'all' } } });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const node = process.execPath;

const origin = await startProcess(node, [join(ROOT, 'bench/servers/hello-origin.mjs'), '0'], 1);
const originUrl = `http://127.0.0.1:${origin.port}`;

/** Every request after the first is refused, and stays a 429 (bench-configs.ts). */
const LIMITED = siteYaml(originUrl, '', LIMITED_TOP);

const BANNED = '127.66.6.6';

/**
 * A loop of connect-and-wait-for-close from the banned address against the server `pid` listens on:
 * connections per second, and the server's CPU µs per connection (its share of the work: the load
 * tool's own rate says as much about the load tool as about the server).
 */
function connectLoop(port: number, pid: number): { rate: number; cpuUs: number } {
  const pin = HAS_TASKSET ? ['taskset', '-c', '1'] : [];
  const argv = [...pin, node, join(ROOT, 'bench/servers/connect-loop.mjs'), String(port), BANNED, String(SECONDS), '64'];
  const cpu0 = cpuSeconds(pid);
  const out = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 }).stdout;
  const cpu = cpuSeconds(pid) - cpu0;
  const n = Number(/connections (\d+)/.exec(out)?.[1] ?? 0);
  return { rate: n / SECONDS, cpuUs: n > 0 ? (cpu * 1e6) / n : NaN };
}

const servers: Started[] = [];
async function started(s: Promise<Started>): Promise<Started> {
  const one = await s;
  servers.push(one);
  await waitIdle(one.pid);
  return one;
}

try {
  const results: Array<[string, PairedResult]> = [];
  if (values.only !== 'drop') {
    // The 429 path: a limited client on 64 keep-alive connections.
    const bare429 = await started(startProcess(node, [join(ROOT, 'bench/servers/reject-429.mjs'), '0'], 0));
    const bulwark429 = await started(startBulwarkProcess(LIMITED, 0));
    await (await request(`http://127.0.0.1:${bulwark429.port}/`)).body.dump(); // the one admitted request
    const a: Contender = { name: '429 bare', url: `http://127.0.0.1:${bare429.port}/`, pid: bare429.pid };
    const b: Contender = { name: '429 bulwark', url: `http://127.0.0.1:${bulwark429.port}/`, pid: bulwark429.pid };
    const run = (label: string, vary?: VaryKind, rate?: number): PairedResult =>
      pairedLoad(a, b, { rounds: ROUNDS, seconds: SECONDS, connections: 64, core: 1, vary, rate, onSegment: (round, who, seg) => process.stdout.write(segmentLine(round, who, seg).replace(who.name, `${who.name} ${label}`)) });
    results.push(
      ['varied cookie (refusal lane, at the parsed head)', run('cookie', 'cookie')],
      ...(RATE > 0 ? ([[`varied cookie at ${RATE} req/s for both`, run(`cookie@${RATE}`, 'cookie', RATE)]] as Array<[string, PairedResult]>) : []),
      ['rotating browser user agents (refusal lane, at the parsed head)', run('agent', 'agent')],
      ['rotating client stacks (whole path)', run('stack', 'stack')],
      ...(RATE > 0 ? ([[`rotating client stacks at ${RATE} req/s for both`, run(`stack@${RATE}`, 'stack', RATE)]] as Array<[string, PairedResult]>) : []),
      ['varied extension header (refusal lane)', run('header', 'header')],
      ['varied URL (refusal lane)', run('url', 'query')],
      ['same request repeated (wire)', run('repeated')],
    );
  }
  for (const s of servers.splice(0)) await s.stop();

  const drops = { bare: [] as number[], bulwark: [] as number[] };
  const dropCpu = { bare: [] as number[], bulwark: [] as number[] };
  if (values.only !== '429') {
    // Drop at accept: a deny-listed source connecting over and over.
    const bareDrop = await started(startProcess(node, [join(ROOT, 'bench/servers/destroy-all.mjs'), '0'], 0));
    const bulwarkDrop = await started(startBulwarkProcess(siteYaml(originUrl, '', `lists:\n  deny:\n    - { cidr: ${BANNED}, force: true }\nidentify:\n  geo:\n    enabled: false\n`), 0));
    connectLoop(bareDrop.port, bareDrop.pid); // warm-up
    connectLoop(bulwarkDrop.port, bulwarkDrop.pid);
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? (['bare', 'bulwark'] as const) : (['bulwark', 'bare'] as const);
      for (const t of order) {
        const who = t === 'bare' ? bareDrop : bulwarkDrop;
        const c = connectLoop(who.port, who.pid);
        drops[t].push(c.rate);
        dropCpu[t].push(c.cpuUs);
        process.stdout.write(`round ${round} drop ${t.padEnd(8)} ${c.rate.toFixed(0).padStart(7)} connections/s  cpu ${c.cpuUs.toFixed(1)} µs/connection\n`);
      }
    }
  }
  const dropRatios = drops.bare.map((x, i) => drops.bulwark[i]! / Math.max(1, x));
  const dropCpuRatios = dropCpu.bare.map((x, i) => x / dropCpu.bulwark[i]!);
  process.stdout.write('\n');
  for (const [label, r] of results) {
    const refused = r.b.reduce((n, seg) => n + seg.non2xx, 0) / Math.max(1, r.b.reduce((n, seg) => n + seg.requests, 0));
    process.stdout.write(
      `429 path, ${label}: CPU µs/req Bulwark ${median(r.b.map((seg) => seg.cpuUsPerReq)).toFixed(1)}, bare ${median(r.a.map((seg) => seg.cpuUsPerReq)).toFixed(1)}; ` +
        `req/s Bulwark ${median(r.b.map((seg) => seg.rps)).toFixed(0)}, bare ${median(r.a.map((seg) => seg.rps)).toFixed(0)}; refused ${(refused * 100).toFixed(1)}%\n` +
        `  per-round CPU ratios (bare / Bulwark): ${r.cpuRatios.map((x) => x.toFixed(2)).join(' ')}\n` +
        `  ${median(r.cpuRatios).toFixed(3)}× the bare server by CPU per request (target ≥ 0.9), ${median(r.rpsRatios).toFixed(3)}× by req/s\n`,
    );
  }
  if (drops.bare.length > 0) {
    process.stdout.write(`drop at accept: median Bulwark ${median(drops.bulwark).toFixed(0)} vs bare ${median(drops.bare).toFixed(0)} connections/s\n`);
    process.stdout.write(`  per-round ratios: ${dropRatios.map((x) => x.toFixed(2)).join(' ')}\n`);
    process.stdout.write(`  drop at accept: ${median(dropRatios).toFixed(3)}× the bare server's rate (median of paired rounds)\n`);
    process.stdout.write(`  CPU µs per connection: Bulwark ${median(dropCpu.bulwark).toFixed(1)}, bare ${median(dropCpu.bare).toFixed(1)}; per-round ratios (bare / Bulwark) ${dropCpuRatios.map((x) => x.toFixed(2)).join(' ')}\n`);
    process.stdout.write(`  drop at accept: ${median(dropCpuRatios).toFixed(3)}× the bare server by CPU per connection (target ≥ 0.95)\n`);
  }
} finally {
  for (const s of servers) await s.stop();
  await origin.stop();
}
