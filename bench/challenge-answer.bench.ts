/**
 * What a challenge answer costs Bulwark: every request of a browser-like client is answered with the
 * challenge page (a rule challenges every path), against a bare node:http hello server in the same run —
 * both pinned to core 0 and running, the load tool on core 1, alternating paired segments (bench/lib/paired.ts).
 *
 * - varied (the headline): every request carries its own `X-Bench-N` header value, as a flood whose
 *   requests differ does; nothing can be answered from bytes seen before.
 * - repeated: the same request over and over.
 *
 * Every answer is a full challenge: a fresh token (its own nonce and signature), the page, its record,
 * its counts (challenge stats, site aggregates, detector). The detector runs but in shadow mode, so it
 * may raise the level (the page then says so; the same code path) but never turns the benchmark's own
 * single-address traffic into blocks; a fresh state directory means no learned baseline. Every answer is
 * checked to be a challenge page before and after the load.
 *
 * A third pair measures the floor under the page: the same varied requests asking for JSON, which the
 * same challenge decision answers with the status-only 429/503 (no token, no page) — identify, decide,
 * record and node:http alone. The page's own cost is the difference between the two.
 *
 * Target: CPU per answer ≥ 0.6× the hello server's (reference CPU / Bulwark CPU) on varied requests.
 * - varied at a fixed rate: the varied requests at one offered rate for both servers (--rate, default
 *   4000 req/s; 0 skips it). At full speed the faster server batches more requests per wake-up and
 *   system call, so its requests get cheaper; at the same rate CPU per request compares the same work.
 * Options: --seconds N (default 4), --rounds N (default 7), --connections N (default 64), --rate N.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { ROOT, siteYaml, startBulwarkProcess } from './lib/bulwark-process.ts';
import { BROWSER_HEADERS, CHALLENGE_EVERYTHING_SITE, SIGNATURES_SHADOW_TOP } from './lib/bench-configs.ts';
import { median, pairedLoad, segmentLine, type Contender, type PairedResult } from './lib/paired.ts';
import { startProcess, waitIdle, type Started } from './lib/processes.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '4' }, rounds: { type: 'string', default: '7' }, connections: { type: 'string', default: '64' }, rate: { type: 'string', default: '4000' } } });
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);


const CONFIG = siteYaml('http://127.0.0.1:9', CHALLENGE_EVERYTHING_SITE, SIGNATURES_SHADOW_TOP);

async function isChallenge(url: string): Promise<boolean> {
  const r = await request(url, { headers: { ...BROWSER_HEADERS, 'x-bench-n': 'check' } });
  const body = await r.body.text();
  return r.statusCode === 403 && r.headers['x-bulwark-challenge'] === 'page' && body.includes('id="bw-form"');
}

async function isStatusOnly(url: string): Promise<boolean> {
  const r = await request(url, { headers: { ...BROWSER_HEADERS, accept: 'application/json', 'x-bench-n': 'check' } });
  await r.body.dump();
  return (r.statusCode === 429 || r.statusCode === 503) && r.headers['x-bulwark-challenge'] === 'status';
}

function summary(label: string, r: PairedResult): void {
  const cpuA = median(r.a.map((s) => s.cpuUsPerReq));
  const cpuB = median(r.b.map((s) => s.cpuUsPerReq));
  process.stdout.write(
    `${label}: median req/s hello ${median(r.a.map((s) => s.rps)).toFixed(0)}, Bulwark challenge ${median(r.b.map((s) => s.rps)).toFixed(0)}; ` +
      `CPU µs/answer hello ${cpuA.toFixed(1)}, Bulwark ${cpuB.toFixed(1)}\n` +
      `  per-round CPU ratios (hello / Bulwark): ${r.cpuRatios.map((x) => x.toFixed(2)).join(' ')}\n` +
      `  ${label}: ${median(r.cpuRatios).toFixed(3)}× the hello server by CPU per answer (target ≥ 0.6), ${median(r.rpsRatios).toFixed(3)}× by req/s\n`,
  );
}

const servers: Started[] = [];
try {
  const hello = await startProcess(process.execPath, [join(ROOT, 'bench/servers/hello-origin.mjs'), '0'], 0);
  servers.push(hello);
  const bulwark = await startBulwarkProcess(CONFIG, 0);
  servers.push(bulwark);
  await waitIdle(bulwark.pid);
  const url = `http://127.0.0.1:${bulwark.port}/story`;
  if (!(await isChallenge(url))) throw new Error('Bulwark does not answer with a challenge page');
  const a: Contender = { name: 'hello', url: `http://127.0.0.1:${hello.port}/story`, pid: hello.pid };
  const b: Contender = { name: 'challenge', url, pid: bulwark.pid };
  const opts = { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS, core: 1, headers: BROWSER_HEADERS };
  const varied = pairedLoad(a, b, { ...opts, vary: 'header', onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s).replace(who.name, `${who.name} varied`)) });
  const atRate = RATE > 0 ? pairedLoad(a, b, { ...opts, rate: RATE, vary: 'header', onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s).replace(who.name, `${who.name} varied@${RATE}`)) }) : null;
  const repeated = pairedLoad(a, b, { ...opts, onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s)) });
  if (!(await isChallenge(url))) throw new Error('after the load, Bulwark no longer answers with a challenge page');
  if (!(await isStatusOnly(url))) throw new Error('Bulwark does not answer JSON requests with the status-only challenge answer');
  const floor = pairedLoad(a, b, { ...opts, headers: { ...BROWSER_HEADERS, accept: 'application/json' }, vary: 'header', onSegment: (round, who, s) => process.stdout.write(segmentLine(round, who, s).replace(who.name, `${who.name} floor`)) });
  process.stdout.write('\n');
  summary('varied header per request', varied);
  if (atRate !== null) summary(`varied header per request at ${RATE} req/s for both`, atRate);
  summary('same request repeated', repeated);
  summary('floor: the same decision answered status-only (no token, no page), varied', floor);
  const page = median(varied.b.map((s) => s.cpuUsPerReq)) - median(floor.b.map((s) => s.cpuUsPerReq));
  process.stdout.write(`the page's own cost (varied page − varied floor, medians): ${page.toFixed(1)} µs per answer\n`);
} finally {
  for (const s of servers) await s.stop();
}
