/**
 * Memory under a flood of distinct sources: RSS growth after 1M and 10M distinct client addresses go
 * through rate limiting, for Bulwark's evaluator (per-address and per-/24 limits over one limiter table
 * with a cap) against references in the same run: an lru-cache token bucket with the same cap, and a
 * plain unbounded Map (1M only — 10M would take gigabytes, which is the point).
 *
 * Each scenario runs in its own child process (`--expose-gc`, so the baseline is clean and one
 * scenario's garbage cannot inflate another's); RSS is read after a full GC, before creating the
 * structure and after each flood stage. Targets: 1M distinct addresses add ≤ 64 MB RSS; 10M add
 * no more than the configured cap (the table's bytes, allocated once). Bounded: each child is killed
 * after 240 s.
 *
 * Run: node --import tsx bench/ratelimit-memory.bench.ts [maxKeys=1000000]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LRUCache } from 'lru-cache';
import { createLimiterTable } from '../src/core/ratelimit/limiter-table.ts';
import { createLimitEvaluator } from '../src/core/ratelimit/evaluator.ts';
import type { RequestFacts } from '../src/core/ratelimit/facts.ts';

const MB = 1024 * 1024;
const T0 = 1_700_000_000_000;
const STAGES = [1_000_000, 10_000_000];

type Scenario = 'bulwark' | 'lru' | 'map';

interface ChildReport {
  scenario: Scenario;
  structureBytes: number;
  baseRss: number;
  stages: Array<{ keys: number; rss: number; heapUsed: number; ms: number; extra: string }>;
}

function address(i: number): string {
  const v = (i + 0x0b000000) >>> 0; // start at 11.0.0.0
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function settle(): { rss: number; heapUsed: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run the child with --expose-gc');
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

const noHeader = (): undefined => undefined;

function runChild(scenario: Scenario, maxKeys: number): ChildReport {
  const base = settle();
  let step: (i: number, now: number) => void;
  let structureBytes = 0;
  let extra: () => string = () => '';
  const stages = scenario === 'map' ? STAGES.slice(0, 1) : STAGES;
  if (scenario === 'bulwark') {
    const table = createLimiterTable({ maxKeys, seed: 0x5eed });
    structureBytes = table.bytes;
    const e = createLimitEvaluator({
      table,
      limits: [
        // One request a source per 6 s: every flooding source stays "hot" for 6 s, far more than the
        // table holds, so the exact table saturates and the sketch fallback is exercised too.
        { name: 'per-ip', average: 10, period: 60_000, burst: 20, key: ['address'] },
        { name: 'per-24', average: 100, burst: 200, key: ['prefix'] },
      ],
    });
    step = (i, now) => {
      const a = address(i);
      const f: RequestFacts = {
        address: a,
        prefix: a.slice(0, a.lastIndexOf('.')) + '.0/24',
        asn: null,
        country: null,
        fingerprint: 'fp',
        site: 'www',
        method: 'GET',
        path: '/',
        header: noHeader,
      };
      e.evaluate(f, now);
    };
    extra = () => {
      const s = table.stats();
      return `size ${s.size}/${s.capacity}, evictions ${s.evictions}, fallbacks ${s.fallbacks}`;
    };
  } else if (scenario === 'lru') {
    const cache = new LRUCache<string, { tokens: number; last: number }>({ max: maxKeys });
    step = (i, now) => {
      const k = 'limit:per-ip|' + address(i);
      let b = cache.get(k);
      if (b === undefined) cache.set(k, (b = { tokens: 20, last: now }));
      b.tokens = Math.min(20, b.tokens + (now - b.last) * 0.01);
      b.last = now;
      if (b.tokens >= 1) b.tokens--;
    };
    extra = () => `size ${cache.size}`;
  } else {
    const m = new Map<string, number>();
    step = (i, now) => {
      m.set('limit:per-ip|' + address(i), now);
    };
    extra = () => `size ${m.size}`;
  }
  const report: ChildReport = { scenario, structureBytes, baseRss: base.rss, stages: [] };
  let i = 0;
  const started = Date.now();
  for (const target of stages) {
    // 1M distinct addresses per simulated second: the flood's sources all arrive within seconds.
    for (; i < target; i++) step(i, T0 + i / 1000);
    const m = settle();
    report.stages.push({ keys: target, rss: m.rss, heapUsed: m.heapUsed, ms: Date.now() - started, extra: extra() });
  }
  return report;
}

function parent(maxKeys: number): void {
  const self = fileURLToPath(import.meta.url);
  const reports: ChildReport[] = [];
  for (const scenario of ['bulwark', 'lru', 'map'] as Scenario[]) {
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', self, `--child=${scenario}`, String(maxKeys)], {
      encoding: 'utf8',
      timeout: 240_000,
      maxBuffer: 1 << 20,
    });
    if (r.status !== 0) {
      console.log(`${scenario}: failed (status ${r.status}, signal ${r.signal}) ${r.stderr.slice(0, 500)}`);
      continue;
    }
    reports.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildReport);
  }
  console.log(`RSS growth under a flood of distinct addresses — cap ${maxKeys.toLocaleString('en')} keys (node ${process.version})`);
  console.log('scenario'.padEnd(10) + 'keys'.padStart(12) + 'ΔRSS MB'.padStart(10) + 'heap MB'.padStart(10) + 'cap MB'.padStart(8) + 'time s'.padStart(8) + '  state');
  const bulwark = reports.find((r) => r.scenario === 'bulwark');
  for (const r of reports) {
    for (const s of r.stages) {
      console.log(
        r.scenario.padEnd(10) +
          s.keys.toLocaleString('en').padStart(12) +
          ((s.rss - r.baseRss) / MB).toFixed(1).padStart(10) +
          (s.heapUsed / MB).toFixed(1).padStart(10) +
          (r.structureBytes > 0 ? (r.structureBytes / MB).toFixed(1) : '-').padStart(8) +
          (s.ms / 1000).toFixed(1).padStart(8) +
          '  ' +
          s.extra,
      );
    }
  }
  if (bulwark !== undefined) {
    const [one, ten] = bulwark.stages;
    const d1 = (one.rss - bulwark.baseRss) / MB;
    const d10 = (ten.rss - bulwark.baseRss) / MB;
    console.log(`target 1M ≤ 64 MB: ${d1.toFixed(1)} MB → ${d1 <= 64 ? 'met' : 'MISSED'}`);
    console.log(`target 10M ≤ cap (${(bulwark.structureBytes / MB).toFixed(1)} MB + 8 MB runtime slack): ${d10.toFixed(1)} MB → ${d10 <= bulwark.structureBytes / MB + 8 ? 'met' : 'MISSED'}`);
    for (const other of reports.filter((r) => r !== bulwark)) {
      const o1 = (other.stages[0].rss - other.baseRss) / MB;
      console.log(`ratio at 1M: bulwark / ${other.scenario} = ${(d1 / o1).toFixed(2)}`);
    }
  }
}

const childArg = process.argv.find((a) => a.startsWith('--child='));
const maxKeysArg = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
if (childArg !== undefined) console.log(JSON.stringify(runChild(childArg.slice('--child='.length) as Scenario, maxKeysArg)));
else parent(maxKeysArg);
