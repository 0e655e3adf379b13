/**
 * Rate-limit check cost: ns per request for one limit and for five, against references measured in the
 * same run (the machine is shared and noisy, so the ratios are the figures to read):
 * - `map-increment`: a plain `Map<string, number>` counter per key — the least any keyed limiter does;
 * - `lru-bucket`: a classic token bucket in lru-cache (object per key, refill on read), the usual
 *   npm approach, bounded by `max`.
 * Keys come from 20,000 distinct client addresses in 500 /24s, with a synthetic clock at 1M req/s.
 * Bounded: each case runs at most ~0.4 s per round, 5 rounds, interleaved; medians are printed.
 *
 * Run: node --import tsx bench/ratelimit.bench.ts
 */
import { LRUCache } from 'lru-cache';
import { compileGcra } from '../src/core/ratelimit/gcra.ts';
import { createLimiterTable } from '../src/core/ratelimit/limiter-table.ts';
import { createLimitEvaluator } from '../src/core/ratelimit/evaluator.ts';
import type { LimitSpec } from '../src/core/ratelimit/evaluator.ts';
import type { RequestFacts } from '../src/core/ratelimit/facts.ts';

const CLIENTS = 20_000;
const ROUNDS = 5;
const ROUND_BUDGET_MS = 400;
const BATCH = 20_000;
const T0 = 1_700_000_000_000;

const PATHS = ['/', '/news/1', '/search', '/login', '/static/app.js', '/news/2', '/about', '/'];
const facts: RequestFacts[] = [];
for (let i = 0; i < CLIENTS; i++) {
  const a = 10 + (i % 500);
  const b = Math.floor(i / 500);
  const headers: Record<string, string> = { 'user-agent': `ua-${i % 7}` };
  facts.push({
    address: `198.${a & 255}.${(a * 7) & 255}.${b}`,
    prefix: `198.${a & 255}.${(a * 7) & 255}.0/24`,
    asn: 64500 + (i % 50),
    country: 'NL',
    fingerprint: `fp-${i % 40}`,
    site: 'www',
    method: i % 5 === 0 ? 'POST' : 'GET',
    path: PATHS[i % PATHS.length],
    header: (name) => headers[name],
  });
}
const ipKeys = facts.map((f) => f.address);

const LIMITS: LimitSpec[] = [
  { name: 'per-ip', average: 20, burst: 40, key: ['address'] },
  { name: 'per-24', average: 200, burst: 400, key: ['prefix'] },
  { name: 'login', average: 5, period: 60_000, burst: 5, key: ['address'], match: { path: '=/login', methods: ['POST'] } },
  { name: 'search', average: 2, burst: 10, key: ['address'], match: { path: '/search' } },
  { name: 'per-fp', average: 1000, burst: 2000, key: ['fingerprint', 'site'] },
];
/** The five limits hit by every request (no matching), for the worst case. */
const LIMITS_ALL: LimitSpec[] = LIMITS.map((l) => ({ ...l, match: undefined }));

type Case = { name: string; perRequestLimits: number; run: (i: number) => void };

let sink = 0;

function mapCase(): Case {
  const m = new Map<string, number>();
  return {
    name: 'map-increment (ref)',
    perRequestLimits: 1,
    run: (i) => {
      const k = 'limit:per-ip|' + ipKeys[i % CLIENTS];
      m.set(k, (m.get(k) ?? 0) + 1);
    },
  };
}

function lruBucketCase(limits: LimitSpec[], name: string): Case {
  const specs = limits.map((l) => ({ name: l.name, rate: l.average / (l.period ?? 1000), burst: l.burst ?? 1, parts: l.key }));
  const cache = new LRUCache<string, { tokens: number; last: number }>({ max: 100_000 });
  return {
    name,
    perRequestLimits: limits.length,
    run: (i) => {
      const f = facts[i % CLIENTS];
      const now = T0 + i / 1000;
      for (const s of specs) {
        const k = 'limit:' + s.name + '|' + (s.parts[0] === 'address' ? f.address : s.parts[0] === 'prefix' ? f.prefix : f.fingerprint + '|' + f.site);
        let e = cache.get(k);
        if (e === undefined) {
          e = { tokens: s.burst, last: now };
          cache.set(k, e);
        }
        e.tokens = Math.min(s.burst, e.tokens + (now - e.last) * s.rate);
        e.last = now;
        if (e.tokens >= 1) e.tokens -= 1;
        else sink++;
      }
    },
  };
}

function tableCase(): Case {
  const table = createLimiterTable({ maxKeys: 100_000, seed: 12345 });
  const limit = compileGcra(LIMITS[0]);
  return {
    name: 'table.check, 1 limit',
    perRequestLimits: 1,
    run: (i) => {
      if (!table.check('limit:per-ip|' + ipKeys[i % CLIENTS], limit, T0 + i / 1000).allowed) sink++;
    },
  };
}

function evaluatorCase(limits: LimitSpec[], name: string): Case {
  const e = createLimitEvaluator({ limits, table: createLimiterTable({ maxKeys: 100_000, seed: 999 }) });
  return {
    name,
    perRequestLimits: limits.length,
    run: (i) => {
      if (e.evaluate(facts[i % CLIENTS], T0 + i / 1000).refused !== null) sink++;
    },
  };
}

/** Run one case for up to ROUND_BUDGET_MS; returns ns per request. */
function measure(c: Case, offset: number): number {
  let i = offset;
  let n = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ROUND_BUDGET_MS * 1e6);
  let now = start;
  while (now < deadline) {
    for (let k = 0; k < BATCH; k++) c.run(i++);
    n += BATCH;
    now = process.hrtime.bigint();
  }
  return Number(now - start) / n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const cases: Case[] = [
  mapCase(),
  lruBucketCase(LIMITS.slice(0, 1), 'lru-cache bucket, 1 limit (ref)'),
  tableCase(),
  evaluatorCase(LIMITS.slice(0, 1), 'evaluator, 1 limit'),
  lruBucketCase(LIMITS_ALL, 'lru-cache bucket, 5 limits (ref)'),
  evaluatorCase(LIMITS, 'evaluator, 5 limits (2 matched)'),
  evaluatorCase(LIMITS_ALL, 'evaluator, 5 limits (all apply)'),
];

// Warm-up (JIT) then interleaved rounds.
for (const c of cases) for (let i = 0; i < 200_000; i++) c.run(i);
const samples = cases.map(() => [] as number[]);
let offset = 1_000_000;
for (let r = 0; r < ROUNDS; r++) {
  cases.forEach((c, j) => {
    samples[j].push(measure(c, offset));
  });
  offset += 10_000_000;
}

const ns = samples.map(median);
const ref = ns[0];
const lru1 = ns[1];
const lru5 = ns[4];
console.log(`rate-limit check cost — ${CLIENTS} clients, median of ${ROUNDS} rounds (node ${process.version})`);
console.log('case'.padEnd(36) + 'ns/req'.padStart(9) + 'ns/limit'.padStart(10) + '× map'.padStart(8) + '× lru(same n)'.padStart(15));
cases.forEach((c, j) => {
  const lru = c.perRequestLimits === 1 ? lru1 : lru5;
  console.log(
    c.name.padEnd(36) +
      ns[j].toFixed(1).padStart(9) +
      (ns[j] / c.perRequestLimits).toFixed(1).padStart(10) +
      (ns[j] / ref).toFixed(2).padStart(8) +
      (ns[j] / lru).toFixed(2).padStart(15),
  );
});
console.log(`(sink ${sink})`);
