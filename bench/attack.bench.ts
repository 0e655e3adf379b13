/**
 * `npm run bench:attack` — the attack suite: each chosen drill scenario against Bulwark and, as
 * references in the same run (same seed, same bounds, same origin fixture settings), against NO
 * protection (the attack and the visitors go straight to the origin fixture) and against nginx with
 * `limit_req` per address (bench/servers/nginx-limit-req.ts) when /usr/sbin/nginx is installed. Prints
 * them side by side: attack reaching the origin (and its ratio to no protection), visitors served and
 * their p99 (and its ratio to no protection), the origin's peak concurrency against its capacity, time to
 * mitigate, and the protector's CPU and peak memory.
 *
 * Bounded: every drill stops by itself (duration and request budget); the whole run takes about
 * scenarios × protections × (duration + ~4 s).
 *
 * Options: --scenarios a,b,c (default below) --duration S (default 8) --rate N (default: each scenario's,
 * scaled by --scale) --scale X (default 0.5: this machine is shared) --protections none,bulwark,nginx
 * --json (also print every report as one JSON array at the end).
 */
import { parseArgs } from 'node:util';
import { runDrill, type DrillOptions } from '../src/drill/run.ts';
import { findScenario } from '../src/drill/scenarios/index.ts';
import type { DrillReport } from '../src/drill/report.ts';
import { columns } from '../src/drill/report.ts';
import { hasNginx, nginxProtector } from './servers/nginx-limit-req.ts';

const DEFAULT_SCENARIOS = 'get-flood-few,get-flood-many,cache-busting,post-flood,ua-rotation,slowloris,malformed';
const { values } = parseArgs({
  options: {
    scenarios: { type: 'string', default: DEFAULT_SCENARIOS },
    duration: { type: 'string', default: '8' },
    rate: { type: 'string' },
    scale: { type: 'string', default: '0.5' },
    protections: { type: 'string', default: 'none,bulwark,nginx' },
    json: { type: 'boolean', default: false },
  },
});
const DURATION_S = Number(values.duration);
const SCALE = Number(values.scale);
const SEED = 20_261_128;

type ProtectionName = 'none' | 'bulwark' | 'nginx';

function protectionOption(name: ProtectionName): DrillOptions['protection'] {
  return name === 'nginx' ? nginxProtector() : name;
}

const wanted = values.protections.split(',').map((p) => p.trim()) as ProtectionName[];
const protections = wanted.filter((p) => p !== 'nginx' || hasNginx());
if (wanted.includes('nginx') && !hasNginx()) process.stdout.write('nginx: not installed, skipped\n');

const all: DrillReport[] = [];
for (const name of values.scenarios.split(',').map((s) => s.trim()).filter(Boolean)) {
  const scenario = findScenario(name);
  const rate = values.rate !== undefined ? Number(values.rate) : Math.max(1, Math.round(scenario.defaults.rate * SCALE));
  const reports = new Map<ProtectionName, DrillReport>();
  for (const p of protections) {
    process.stderr.write(`bench: ${name} against ${p}…\n`);
    try {
      reports.set(p, await runDrill({ scenario, durationS: DURATION_S, rate, seed: SEED, protection: protectionOption(p) }));
    } catch (err) {
      process.stdout.write(`${name} / ${p}: failed: ${(err as Error).message.split('\n')[0]}\n`);
    }
  }
  all.push(...reports.values());
  process.stdout.write(sideBySide(name, rate, reports) + '\n');
}
if (values.json) process.stdout.write(JSON.stringify(all, null, 2) + '\n');

/** One scenario's reports as rows of figures, one column per protection, ratios against `none`. */
function sideBySide(name: string, rate: number, reports: ReadonlyMap<ProtectionName, DrillReport>): string {
  const names = [...reports.keys()];
  const rs = names.map((n) => reports.get(n)!);
  const ref = reports.get('none');
  const first = rs[0];
  if (!first) return `${name}: no result\n`;
  const ratio = (x: number | null | undefined, base: number | null | undefined): string => (x == null || base == null || base === 0 ? '-' : `${(x / base).toFixed(2)}×`);
  const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);
  const rows: string[][] = [
    ['', ...names],
    ['attack sent', ...rs.map((r) => String(r.attack.sent))],
    ['attack reaching origin', ...rs.map((r) => `${r.attack.reachedOrigin ?? '-'} (${pct(r.attack.reachedOriginRatio)})`)],
    ['  ratio to no protection', ...rs.map((r) => ratio(r.attack.reachedOrigin, ref?.attack.reachedOrigin))],
    ['attack challenged / limited / dropped', ...rs.map((r) => `${r.attack.challenged} / ${r.attack.limited} / ${r.attack.dropped}`)],
    ['visitors served', ...rs.map((r) => `${pct(r.visitors.servedRatio)} of ${r.visitors.sent}`)],
    ['visitors p99 ms', ...rs.map((r) => r.visitors.p99Ms.toFixed(1))],
    ['  ratio to no protection', ...rs.map((r) => ratio(r.visitors.p99Ms, ref?.visitors.p99Ms))],
    ['origin peak concurrency / capacity', ...rs.map((r) => `${r.origin.peakConcurrency ?? '-'} / ${r.origin.capacity ?? '-'}`)],
    ['origin over capacity (503)', ...rs.map((r) => String(r.origin.overCapacity ?? '-'))],
    ['origin peak req/s', ...rs.map((r) => String(r.origin.peakRps ?? '-'))],
    ['time to mitigate s', ...rs.map((r) => (r.timeToMitigateS === null ? (r.timeToMitigateNote.startsWith('not applicable') ? 'n.a.' : 'never') : String(r.timeToMitigateS)))],
    ['protector CPU s', ...rs.map((r) => (r.bulwark?.cpuS ?? '-').toString())],
    ['protector peak RSS MB', ...rs.map((r) => (r.bulwark?.peakRssMb ?? '-').toString())],
    ['repelled', ...rs.map((r) => (r.repelled.verdict === null ? '?' : r.repelled.verdict ? 'yes' : 'no'))],
  ];
  const b = first.bounds;
  return `${name} — ${DURATION_S} s, ${rate}/s, ${b.sources} sources, seed ${b.seed}; origin capacity ${b.capacity}; visitors ${b.visitors.browser}+${b.visitors.nojs}+${b.visitors.api}\n${columns(rows)}\n`;
}
