/**
 * Micro benchmarks of the shield's pure core: cache key computation, cache lookup hit,
 * admission acquire/release. Each figure is printed next to a reference measured in the same run,
 * interleaved over several rounds (the machine is shared and noisy), with the ratio; the median round
 * is reported. Bounded: ~0.2 s per measurement per round, 3 rounds, about 10 s in all.
 *
 * Run: node --import tsx bench/cache-core.bench.ts
 */
import { LRUCache } from 'lru-cache';
import { createCacheKeyer } from '../src/core/cache/cache-key.ts';
import { createEntry } from '../src/core/cache/entry.ts';
import { DEFAULT_SITE_CACHE_POLICY, storable } from '../src/core/cache/storable.ts';
import { createResponseStore } from '../src/core/cache/store.ts';
import { createAdmission } from '../src/core/shield/admission.ts';
import { createConcurrencyLimiter } from '../src/core/shield/concurrency-limit.ts';
import { PRIORITY_CLEARED } from '../src/core/vocabulary.ts';

const ROUNDS = 3;
const BUDGET_MS = 200;
const MAX_ITERS = 20_000_000;
let sink = 0;

/** ns per call of `fn`, run in batches until the time budget is spent. */
function measure(fn: (i: number) => unknown): number {
  let iters = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < BigInt(BUDGET_MS) * 1_000_000n && iters < MAX_ITERS) {
    for (let k = 0; k < 10_000; k++) if (fn(iters + k)) sink++;
    iters += 10_000;
    elapsed = process.hrtime.bigint() - t0;
  }
  return Number(elapsed) / iters;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Pair {
  readonly name: string;
  readonly reference: string;
  readonly subject: (i: number) => unknown;
  readonly baseline: (i: number) => unknown;
}

// ---- fixtures -------------------------------------------------------------------------------------
const N = 10_000;
const HOST = 'www.example.org';
const keyer = createCacheKeyer({ ignoreQueryPaths: ['/', '/assets/**'] });
const plainPaths = Array.from({ length: N }, (_, i) => `/news/2025/article-${i}`);
const queryPaths = Array.from({ length: N }, (_, i) => `/search?utm_source=nl&q=term${i}&page=2&fbclid=x${i}&lang=fr`);
const reqs = (paths: string[]) => paths.map((path) => ({ method: 'GET', host: HOST, path }));
const plainReqs = reqs(plainPaths);
const queryReqs = reqs(queryPaths);

const store = createResponseStore({ maxBytes: 256 * 1024 * 1024, maxObjectBytes: 1024 * 1024, admitAfterUses: 1 });
const keys = plainReqs.map((r) => keyer(r));
const anon = { header: (_: string) => undefined, anonymous: true };
const body = Buffer.alloc(2_000, 'x');
const map = new Map<string, unknown>();
const lru = new LRUCache<string, object>({ max: 100_000, maxSize: 256 * 1024 * 1024, sizeCalculation: () => 2_500 });
for (let i = 0; i < N; i++) {
  const res = { status: 200, headers: { 'cache-control': 'max-age=3600', 'content-type': 'text/html' }, body };
  const d = storable({ method: 'GET', header: () => undefined }, res, DEFAULT_SITE_CACHE_POLICY, 0);
  const e = createEntry(keys[i], res, d, 0, () => undefined);
  store.put(e);
  map.set(keys[i], e);
  lru.set(keys[i], e);
}

/** A hand-written object-linked LRU, the alternative lru-cache was measured against. */
function createLinkedLru() {
  type Node = { k: string; v: unknown; prev: Node | null; next: Node | null };
  const m = new Map<string, Node>();
  let head: Node | null = null;
  let tail: Node | null = null;
  const unlink = (n: Node) => {
    if (n.prev) n.prev.next = n.next;
    else head = n.next;
    if (n.next) n.next.prev = n.prev;
    else tail = n.prev;
  };
  const front = (n: Node) => {
    n.prev = null;
    n.next = head;
    if (head) head.prev = n;
    head = n;
    if (!tail) tail = n;
  };
  return {
    set(k: string, v: unknown) {
      const n: Node = { k, v, prev: null, next: null };
      m.set(k, n);
      front(n);
    },
    get(k: string) {
      const n = m.get(k);
      if (n === undefined) return undefined;
      if (head !== n) {
        unlink(n);
        front(n);
      }
      return n.v;
    },
  };
}
const linked = createLinkedLru();
for (const k of keys) linked.set(k, 1);

const admission = createAdmission({ limiter: createConcurrencyLimiter({ initialLimit: 100, maxLimit: 100, minRttIntervalMs: 0 }) });
const BENCH_CLIENT = { address: '203.0.113.7', prefix: '203.0.113.0/24' };
let semaphore = 0;
const semaphoreLimit = 100;

// ---- pairs ------------------------------------------------------------------------------------------
const pairs: Pair[] = [
  {
    name: 'cache key, path without query',
    reference: 'string concat of the same parts',
    subject: (i) => keyer(plainReqs[i % N]).length,
    baseline: (i) => `GET ${plainReqs[i % N].host.toLowerCase()}${plainReqs[i % N].path}`.length,
  },
  {
    name: 'cache key, 5 params (2 trackers)',
    reference: 'new URL() + searchParams.sort()',
    subject: (i) => keyer(queryReqs[i % N]).length,
    baseline: (i) => {
      const u = new URL(queryReqs[i % N].path, 'http://x');
      u.searchParams.sort();
      return u.search.length;
    },
  },
  {
    name: 'store.lookup hit (count + LRU + state)',
    reference: 'Map.get',
    subject: (i) => store.lookup(keys[i % N], 1, anon).state === 'fresh',
    baseline: (i) => map.get(keys[i % N]) !== undefined,
  },
  {
    name: 'lru-cache get (the pick)',
    reference: 'hand-written linked-list LRU get',
    subject: (i) => lru.get(keys[i % N]) !== undefined,
    baseline: (i) => linked.get(keys[i % N]) !== undefined,
  },
  {
    name: 'admission tryAcquire + release',
    reference: 'counter semaphore inc/dec',
    subject: (i) => {
      const r = admission.tryAcquire(PRIORITY_CLEARED, BENCH_CLIENT, i);
      admission.release(BENCH_CLIENT, 'success', 10, i);
      return r.status === 'admitted';
    },
    baseline: () => {
      const ok = semaphore < semaphoreLimit;
      if (ok) semaphore++;
      semaphore--;
      return ok;
    },
  },
];

// ---- run --------------------------------------------------------------------------------------------
const results = pairs.map(() => ({ subject: [] as number[], baseline: [] as number[] }));
const started = Date.now();
for (let round = 0; round < ROUNDS; round++) {
  pairs.forEach((p, i) => {
    results[i].baseline.push(measure(p.baseline));
    results[i].subject.push(measure(p.subject));
  });
}
console.log(`cache-core bench: ${ROUNDS} rounds × ${BUDGET_MS} ms per measurement, median round, node ${process.version}`);
console.log('| measurement | ns/op | reference | ref ns/op | ratio |');
console.log('|---|---:|---|---:|---:|');
pairs.forEach((p, i) => {
  const s = median(results[i].subject);
  const b = median(results[i].baseline);
  console.log(`| ${p.name} | ${s.toFixed(1)} | ${p.reference} | ${b.toFixed(1)} | ${(s / b).toFixed(2)}× |`);
});
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s; sink ${sink > 0 ? 'ok' : '0'}; store ${JSON.stringify({ keys: store.stats().keys, bytes: store.stats().bytes })})`);
