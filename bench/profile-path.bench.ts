/**
 * Where a request path's CPU goes: Bulwark (the production bundle) runs one path under a varied load
 * with V8's sampling profiler on, and the profile is printed as µs per request — the functions with
 * the most samples of their own, then the tree of what the request handler (or, for drops, the
 * listening handle's screen) called. The benchmarks give the figures; this says which function a change should target.
 *
 * Paths (--path):
 * - `429`: a limited client whose every request carries its own cookie (the whole refusal path);
 * - `challenge`: a browser-like client answered with the challenge page (its own `X-Bench-N` each time);
 * - `hit`: a cached page, its own `X-Bench-N` each time (the wire cannot answer);
 * - `pass`: pass-through to a hello origin, its own `X-Bench-N` each time;
 * - `drop`: a deny-listed source connecting over and over (dropped at accept).
 * Bulwark on core 0, load and origin on core 1; loopback only; bounded by --seconds (default 8).
 * Sampled times include the profiler's overhead (about a third at the 100 µs interval used here):
 * compare entries with each other. Options: --path P (default 429), --seconds N, --rate N (requests per
 * second offered, through autocannon; default 0: full speed), --top N (default 30), --depth N (tree
 * depth, default 6).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { ROOT, siteYaml } from './lib/bulwark-process.ts';
import { BROWSER_HEADERS, CHALLENGE_EVERYTHING_SITE, LIMITED_TOP, SIGNATURES_SHADOW_TOP } from './lib/bench-configs.ts';
import { loadProfile } from './lib/cpu-profile.ts';
import { runLoad, type LoadOptions } from './lib/load.ts';
import { HAS_TASKSET, startProcess, type Started } from './lib/processes.ts';

const { values } = parseArgs({ options: { path: { type: 'string', default: '429' }, seconds: { type: 'string', default: '8' }, rate: { type: 'string', default: '0' }, top: { type: 'string', default: '30' }, depth: { type: 'string', default: '6' } } });
const PATH = values.path!;
const SECONDS = Number(values.seconds);
const node = process.execPath;
const BANNED = '127.66.6.7';
const NO_GEO = 'identify:\n  geo:\n    enabled: false\n';

/** Per path: origin program, config, URL path, load, warm-up requests. */
function setup(originUrl: string): { yaml: string; url: string; load: Omit<LoadOptions, 'seconds' | 'connections' | 'core'>; warm: number } {
  switch (PATH) {
    case '429':
      return {
        yaml: siteYaml(originUrl, '', LIMITED_TOP),
        // Rotating client stacks: the whole path (a varied cookie or user agent is answered by the refusal lane).
        url: '/', load: { vary: 'stack' }, warm: 1,
      };
    case 'challenge':
      return {
        yaml: siteYaml(originUrl, CHALLENGE_EVERYTHING_SITE, SIGNATURES_SHADOW_TOP),
        url: '/story', load: { vary: 'header', headers: { ...BROWSER_HEADERS } }, warm: 0,
      };
    case 'hit':
      return { yaml: siteYaml(originUrl), url: '/', load: { vary: 'header' }, warm: 4 };
    case 'pass':
      return { yaml: siteYaml(originUrl), url: '/', load: { vary: 'header' }, warm: 0 };
    case 'drop':
      return { yaml: siteYaml(originUrl, '', `lists:\n  deny:\n    - { cidr: ${BANNED}, force: true }\n${NO_GEO}`), url: '/', load: {}, warm: 0 };
    default:
      throw new Error(`--path must be 429, challenge, hit, pass or drop, not ${PATH}`);
  }
}

// The bundle is built first: bin/bulwark.js would otherwise rebuild a stale one inside the profile.
spawnSync(node, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });

const started: Started[] = [];
try {
  const originScript = PATH === 'hit' ? 'cacheable-origin.mjs' : 'hello-origin.mjs';
  const origin = await startProcess(node, [join(ROOT, 'bench/servers', originScript), '0'], 1);
  started.push(origin);
  const s = setup(`http://127.0.0.1:${origin.port}`);
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-profile-'));
  writeFileSync(join(dir, 'bulwark.yaml'), s.yaml.replaceAll('{STATE}', join(dir, 'state')));
  const profiles = join(dir, 'profiles');
  const bulwark = await startProcess(
    node,
    ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', profiles, join(ROOT, 'bin/bulwark.js'), 'start', '-c', join(dir, 'bulwark.yaml')],
    0,
    /"listeners":\["http:\/\/127\.0\.0\.1:(\d+)"/,
  );
  started.push(bulwark);
  const url = `http://127.0.0.1:${bulwark.port}${s.url}`;
  for (let i = 0; i < s.warm; i++) await (await request(url, { headers: s.load.headers })).body.dump();
  if (PATH === 'hit') {
    const r = await request(url, { headers: { 'x-bench-n': 'check' } });
    await r.body.dump();
    if (r.headers['x-bulwark-cache'] !== 'HIT') throw new Error(`the page is not answered from the cache (x-bulwark-cache: ${String(r.headers['x-bulwark-cache'])})`);
  }
  let requests: number;
  if (PATH === 'drop') {
    const pin = HAS_TASKSET ? ['taskset', '-c', '1'] : [];
    const argv = [...pin, node, join(ROOT, 'bench/servers/connect-loop.mjs'), String(bulwark.port), BANNED, String(SECONDS), '64'];
    const out = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 }).stdout;
    requests = Number(/connections (\d+)/.exec(out)?.[1] ?? 0);
  } else {
    const rate = Number(values.rate);
    const r = runLoad(url, { seconds: SECONDS, connections: 64, core: 1, ...s.load, ...(rate > 0 ? { rate } : {}) });
    requests = r.requests;
    process.stdout.write(`${PATH}: ${r.requests} requests in ${SECONDS} s (${r.rps.toFixed(0)} req/s, ${r.non2xx} non-2xx) through ${r.tool}\n`);
  }
  await bulwark.stop(); // a clean exit writes the profile
  started.splice(started.indexOf(bulwark), 1);
  const file = readdirSync(profiles).find((f) => f.endsWith('.cpuprofile'));
  if (file === undefined || requests === 0) throw new Error('no profile or no requests');
  const view = loadProfile(join(profiles, file), requests);
  const unit = PATH === 'drop' ? 'connection' : 'request';
  process.stdout.write(`\nsampled busy time: ${view.busyUs.toFixed(2)} µs per ${unit} (start-up included)\n\nown samples, µs per ${unit}:\n`);
  for (const f of view.self(Number(values.top))) process.stdout.write(`${f.us.toFixed(2).padStart(7)} µs  ${(f.share * 100).toFixed(1).padStart(5)}%  ${f.name}\n`);
  const root = PATH === 'drop' ? 'screened' : 'onRequest';
  process.stdout.write(`\nwhat ${root} called, µs per ${unit}:\n${view.tree(root, Number(values.depth), 0.05).join('\n')}\n`);
} finally {
  for (const p of started) await p.stop();
}
