/**
 * Detector benchmarks:
 *  1. observe() per request event, with a million distinct sources, against a reference measured in
 *     the same run: exact counting of the same dimensions in Maps and a Set (what one would write
 *     first — and which grows without bound). Interleaved rounds, median reported, with memory growth.
 *  2. The detector tick with 1M distinct sources observed in the window — snapshot + detect + baseline
 *     update + signature proposals + rule reconciliation — against the target (≤ 20 ms) and against the
 *     reference's equivalent (top-k of the exact Maps and the Set's size).
 * Bounded: a fixed number of events and ticks, ~30–60 s on a shared 2-core machine.
 *
 * Run: node --import tsx bench/detector.bench.ts
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadavg } from 'node:os';
import { DIMENSIONS } from '../src/core/detect/dimensions.ts';
import type { HeavyKey } from '../src/core/detect/heavy-hitters.ts';
import { createSiteDetector } from '../src/core/detect/site-detector.ts';
import { createWindowAggregates, type RequestEvent } from '../src/core/detect/window-aggregates.ts';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const SOURCES = 1_000_000;
const WINDOW_S = 10;
const ROUNDS = 3;
const TICKS = 40;
const T0 = 1_700_000_000_000;

// ---- fixtures: 1M distinct addresses in 4k /24 prefixes, realistic other dimensions ----------------
const addresses: string[] = [];
const prefixes: string[] = [];
for (let i = 0; i < SOURCES; i++) {
  const a = (i >>> 16) & 255, b = (i >>> 8) & 255, c = i & 255;
  addresses.push(`10.${a}.${b}.${c}`);
  if (c === 0) prefixes.push(`10.${a}.${b}.0/24`);
}
const PATHS = Array.from({ length: 50 }, (_, i) => `/news/2025/article-${i}`);
const UAS = Array.from({ length: 10 }, (_, i) => `Mozilla/5.0 (X11; Linux x86_64) Chrome/12${i}.0`);
const FPS = ['ge11nn05enus', 'ge11cn07enus', 'ge20nn10dede', 'po11nn03fr', 'ge11nn04'];
const COUNTRIES = ['DE', 'FR', 'US', 'BR', 'IN', 'CN', 'RU', 'NL', 'GB', 'PL'];

/** One mutable event, refilled before each call (both subject and reference read the same fields). */
const ev = {
  site: 'news', outcome: 'forwarded', status: 200, address: '', prefix: '' as string | null, asn: 0 as number | null,
  country: 'DE' as string | null, path: '/' as string | null, userAgent: '' as string | null, fingerprint: '' as string | null,
  cleared: false, originLatencyMs: 35 as number | null, bytesIn: 400, bytesOut: 9000, cache: 'miss', challenge: null,
} as { -readonly [K in keyof RequestEvent]: RequestEvent[K] };

/** Visitor traffic when `bot` is false; a botnet (5 ASNs, one path, one fingerprint) when true. */
function fill(i: number, bot = false): RequestEvent {
  ev.address = addresses[i]!;
  ev.prefix = prefixes[i >>> 8]!;
  ev.asn = bot ? 64_666 + (i % 5) : 64_500 + (i % 97);
  ev.country = COUNTRIES[i % 10]!;
  ev.path = bot ? '/search' : PATHS[i % 50]!;
  ev.userAgent = UAS[i % 10]!;
  ev.fingerprint = bot ? 'ge11nn02' : FPS[i % 5]!;
  ev.cleared = !bot && i % 10 === 0;
  return ev;
}

/** The reference: exact per-dimension counts in Maps plus a Set of addresses, and the same counters. */
function createExactCounter() {
  const maps = DIMENSIONS.map(() => new Map<HeavyKey, number>());
  const distinct = new Set<string>();
  const counters = new Float64Array(32);
  const inc = (m: Map<HeavyKey, number>, k: HeavyKey | null) => {
    if (k !== null) m.set(k, (m.get(k) ?? 0) + 1);
  };
  return {
    observe(e: RequestEvent) {
      counters[0]++;
      counters[1] += e.bytesOut;
      distinct.add(e.address);
      if (e.cleared) return;
      inc(maps[0]!, e.address);
      inc(maps[1]!, e.prefix);
      inc(maps[2]!, e.asn);
      inc(maps[3]!, e.country);
      inc(maps[4]!, e.path);
      inc(maps[5]!, e.userAgent);
      inc(maps[6]!, e.fingerprint);
    },
    snapshot(k: number) {
      const tops = maps.map((m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k));
      return { distinct: distinct.size, tops };
    },
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
/** Heap plus typed-array memory after two full collections (sweeping can lag one behind). */
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
const msOf = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const perSecond = SOURCES / WINDOW_S;
const timeOf = (i: number) => T0 + Math.floor(i / perSecond) * 1000 + ((i % perSecond) * 1000) / perSecond;

// ---- 1. observe() per event ---------------------------------------------------------------------------
console.log(`detector bench — node ${process.version}, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`\n1. observe(): ${SOURCES.toLocaleString('en')} events from as many distinct sources over ${WINDOW_S} s, ${ROUNDS} interleaved rounds`);
const subjectNs: number[] = [];
const referenceNs: number[] = [];
let subjectMem = 0;
let referenceMem = 0;

/** One measured pass; the structure stays alive until its memory has been read (then is dropped). */
function pass<T>(create: () => T, feed: (x: T, i: number) => void, check: (x: T) => void): { ns: number; mem: number } {
  const before = heap();
  const x = create();
  const t = process.hrtime.bigint();
  for (let i = 0; i < SOURCES; i++) feed(x, i);
  const ns = (msOf(t) * 1e6) / SOURCES;
  const mem = heap() - before;
  check(x);
  return { ns, mem };
}

for (let r = 0; r < ROUNDS; r++) {
  const last = r === ROUNDS - 1;
  let distinctEstimate = 0;
  const a = pass(createWindowAggregates, (agg, i) => agg.observe(fill(i), timeOf(i)), (agg) => {
    distinctEstimate = agg.snapshot(T0 + WINDOW_S * 1000).distinct.window;
  });
  const b = pass(createExactCounter, (exact, i) => exact.observe(fill(i)), (exact) => {
    if (last) console.log(`   check: distinct in window ${distinctEstimate.toLocaleString('en')} (exact ${exact.snapshot(1).distinct.toLocaleString('en')}, error ${((distinctEstimate / SOURCES - 1) * 100).toFixed(2)}%)`);
  });
  subjectNs.push(a.ns);
  referenceNs.push(b.ns);
  subjectMem = a.mem;
  referenceMem = b.mem;
}
const obs = median(subjectNs);
const ref = median(referenceNs);
console.log(`   aggregates.observe   ${obs.toFixed(0)} ns/event   memory ${mb(subjectMem)} (fixed, whatever the number of sources)`);
console.log(`   exact Maps + Set     ${ref.toFixed(0)} ns/event   memory ${mb(referenceMem)} (grows with every new source)`);
console.log(`   ratio observe / exact = ${(obs / ref).toFixed(2)}   memory ratio = ${(subjectMem / referenceMem).toFixed(3)}`);
console.log(`   per round (ns/event): observe ${subjectNs.map((x) => x.toFixed(0)).join(', ')}; exact ${referenceNs.map((x) => x.toFixed(0)).join(', ')}`);

// ---- 2. the tick -----------------------------------------------------------------------------------------
console.log(`\n2. detector tick with ${SOURCES.toLocaleString('en')} distinct sources in the window (${TICKS} ticks)`);
const detector = createSiteDetector({ baseline: { warmupSeconds: 120 } }, T0 - 200_000);
for (let s = -199; s <= 0; s++) {
  detector.tick(T0 + s * 1000);
  for (let i = 0; i < 200; i++) detector.observe(fill((i * 4099 + s * 7919 + 2_000_000) % 5000), T0 + s * 1000 + i * 4);
}
for (let i = 0; i < SOURCES; i++) detector.observe(fill(i, true), T0 + 1000 + Math.floor(i / perSecond) * 1000 + ((i % perSecond) * 1000) / perSecond);
const tickAt = T0 + (WINDOW_S + 1) * 1000;
const first = detector.tick(tickAt);
console.log(`   level ${first.detection.level}; ${first.detection.signals.length} signals; window distinct ${first.snapshot.distinct.window.toLocaleString('en')}`);
for (const r of first.proposals) console.log(`   rule: ${r.reason}`);
const tickMs: number[] = [];
const snapMs: number[] = [];
for (let k = 0; k < TICKS; k++) {
  let t = process.hrtime.bigint();
  detector.aggregates.snapshot(tickAt);
  snapMs.push(msOf(t));
  t = process.hrtime.bigint();
  detector.tick(tickAt);
  tickMs.push(msOf(t));
}
const learnMs: number[] = [];
const snap = detector.aggregates.snapshot(tickAt);
for (let k = 0; k < TICKS; k++) {
  const t = process.hrtime.bigint();
  detector.baseline.update(snap, 'normal', tickAt + (k + 1) * 1000);
  learnMs.push(msOf(t));
}
const refTick: number[] = [];
const exact = createExactCounter();
for (let i = 0; i < SOURCES; i++) exact.observe(fill(i));
for (let k = 0; k < 3; k++) {
  const t = process.hrtime.bigint();
  exact.snapshot(64);
  refTick.push(msOf(t));
}
const tick = median(tickMs);
console.log(`   tick (snapshot + detect + baseline + signatures + reconcile)  median ${tick.toFixed(2)} ms, p90 ${pct(tickMs, 0.9).toFixed(2)} ms, max ${Math.max(...tickMs).toFixed(2)} ms`);
console.log(`   of which snapshot                                              median ${median(snapMs).toFixed(2)} ms`);
console.log(`   baseline learning (normal ticks only; frozen under attack)     median ${median(learnMs).toFixed(3)} ms`);
console.log(`   reference: top-64 of exact Maps + Set size                    median ${median(refTick).toFixed(1)} ms`);
console.log(`   ratio tick / target 20 ms = ${(tick / 20).toFixed(3)}   ratio tick / exact reference = ${(tick / median(refTick)).toFixed(4)}`);
