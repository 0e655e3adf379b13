/**
 * Paired A/B of two built Bulwark trees (each a checkout with `node scripts/build.mjs` run in it):
 * both processes on core 0, the load tool and the origin on core 1, alternating paired rounds of one
 * path's varied load (its own `X-Bench-N` header per request, so neither the wire nor the cache key
 * repeats), CPU per request of each process from /proc. Prints per-round ratios OLD ÷ NEW: above 1, NEW
 * is cheaper.
 *
 *   node --import tsx bench/ab.bench.ts --path 429|challenge|hit|pass --old DIR --new DIR [--rounds 5]
 *        [--seconds 3] [--rate N] [--new-first]
 *
 * Give the same tree as --old and --new to see the spread between two processes of one build; a ratio
 * between two trees means something only when that same-tree check reads ~1.0 in the run's conditions.
 * Two processes of one build used to settle ~1.35× apart for their whole lives (lane 429 at ~14–16 vs
 * ~20–22 µs): V8's inline caches in Node's `nextTick` turned megamorphic in whichever process ran a few
 * full collections while no tick was queued (src/main/tick-shape.ts now prevents it), and in some
 * processes responses were left no in-object room and built as dictionaries (src/edge/instance-size.ts).
 * If the spread comes back, `perf record` both processes and compare runtime entries first.
 * --new-first starts NEW before OLD. Loopback only; every round bounded by --seconds.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { ROOT, siteYaml } from './lib/bulwark-process.ts';
import { BROWSER_HEADERS, CHALLENGE_EVERYTHING_SITE, LIMITED_TOP, SIGNATURES_SHADOW_TOP } from './lib/bench-configs.ts';
import { median, pairedLoad, segmentLine, type Contender } from './lib/paired.ts';
import { startProcess, waitIdle, type Started } from './lib/processes.ts';

const { values } = parseArgs({
  options: {
    path: { type: 'string', default: '429' },
    old: { type: 'string' },
    new: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '0' },
    'new-first': { type: 'boolean', default: false },
  },
});
if (values.old === undefined || values.new === undefined) throw new Error('--old DIR and --new DIR (built Bulwark trees) are required');
const PATH = values.path!;
if (!['429', 'challenge', 'hit', 'pass'].includes(PATH)) throw new Error(`--path must be 429, challenge, hit or pass, not ${PATH}`);
const node = process.execPath;

const origin = await startProcess(node, [join(ROOT, 'bench/servers', PATH === 'hit' ? 'cacheable-origin.mjs' : 'hello-origin.mjs'), '0'], 1);
const originUrl = `http://127.0.0.1:${origin.port}`;
const yaml =
  PATH === '429' ? siteYaml(originUrl, '', LIMITED_TOP) : PATH === 'challenge' ? siteYaml(originUrl, CHALLENGE_EVERYTHING_SITE, SIGNATURES_SHADOW_TOP) : siteYaml(originUrl);
const headers = PATH === '429' ? undefined : BROWSER_HEADERS;
const urlPath = PATH === 'hit' ? '/' : '/story';

/** Starts the bundle of the tree at `root` with its own state directory, pinned to core 0. */
async function start(root: string): Promise<Started> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-ab-'));
  writeFileSync(join(dir, 'bulwark.yaml'), yaml.replaceAll('{STATE}', join(dir, 'state')));
  const s = await startProcess(node, [join(resolve(root), 'bin/bulwark.js'), 'start', '-c', join(dir, 'bulwark.yaml')], 0, /"listeners":\["http:\/\/127\.0\.0\.1:(\d+)"/);
  await waitIdle(s.pid);
  return s;
}

const started: Started[] = [origin];
try {
  const order = values['new-first'] ? [values.new, values.old] : [values.old, values.new];
  const first = await start(order[0]!);
  started.push(first);
  const second = await start(order[1]!);
  started.push(second);
  const [oldP, newP] = values['new-first'] ? [second, first] : [first, second];
  // 429: the one admitted request; hit: the page enters the cache after two uses.
  for (const s of [oldP, newP]) for (let i = 0; i < (PATH === 'hit' ? 3 : 1); i++) await (await request(`http://127.0.0.1:${s.port}/`, { headers })).body.dump();
  const a: Contender = { name: 'old', url: `http://127.0.0.1:${oldP.port}${urlPath}`, pid: oldP.pid };
  const b: Contender = { name: 'new', url: `http://127.0.0.1:${newP.port}${urlPath}`, pid: newP.pid };
  const rate = Number(values.rate);
  const r = pairedLoad(a, b, {
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    connections: 64,
    core: 1,
    headers,
    vary: 'header',
    rate: rate > 0 ? rate : undefined,
    onSegment: (round, who, seg) => process.stdout.write(segmentLine(round, who, seg)),
  });
  process.stdout.write(
    `${PATH}${rate > 0 ? ` at ${rate} req/s` : ''}: CPU µs/req old ${median(r.a.map((s) => s.cpuUsPerReq)).toFixed(2)}, new ${median(r.b.map((s) => s.cpuUsPerReq)).toFixed(2)}; ` +
      `per-round old/new ${r.cpuRatios.map((x) => x.toFixed(3)).join(' ')}; median ${median(r.cpuRatios).toFixed(3)}× (above 1: new is cheaper)\n`,
  );
} finally {
  for (const s of started.reverse()) await s.stop();
}
