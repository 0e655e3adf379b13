/**
 * Durable-state micro-benchmarks, each against references measured in the same run:
 *
 *  1. `appendSeconds` — the detector's per-second write, one row per open incident — against
 *     `JSON.stringify` of the same row (a CPU yardstick) and a bare prepared INSERT committed on its own
 *     (the floor SQLite sets); also one tick for 10 open incidents, and a PASSIVE checkpoint (the WAL sync
 *     the incident store does every 10 s by default), which includes fsync.
 *  2. `isBanned` on a mirror holding 1M bans — the accept-phase lookup — against a plain `Map.get` of a
 *     string key; `matchAddress` (parses, builds keys for the lengths in use); the mirror's heap per ban.
 *  3. `add` of an automatic ban (upsert + audit row in one transaction) against the bare INSERT.
 *
 * The machine is shared and noisy: functions are measured interleaved in 7 rounds and the median round
 * is kept; times are wall-clock (writes wait for the disk, which is the point). Bounded: ~30 s.
 *
 * Run: node --import tsx bench/incident-store.bench.ts
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createBanMirror } from '../src/stores/ban-mirror.ts';
import { openStateStores } from '../src/stores/index.ts';
import type { IncidentSecond, StoredBan } from '../src/stores/types.ts';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;
const T0 = Date.UTC(2026, 10, 28, 10);
let sink = 0;

const nowNs = (): number => Number(process.hrtime.bigint());
const fmt = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const line = (name: string, ns: number, note = ''): void => console.log(`  ${name.padEnd(48)} ${fmt(ns).padStart(10)}  ${note}`);
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;

type Fn = (i: number) => number | Promise<number>;

/** Wall ns per call of each function: 7 interleaved rounds of `budgetMs / 7 / n` each; median round. */
async function compare(fns: Record<string, Fn>, budgetMs: number, batch = 200): Promise<Record<string, number>> {
  const names = Object.keys(fns);
  const rounds: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const counters: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (const n of names) for (let i = 0; i < batch; i++) sink += await fns[n](counters[n]++); // warm-up (awaiting is fine here)
  const slice = (budgetMs * 1e6) / 7 / names.length;
  for (let r = 0; r < 7; r++) {
    for (const n of names) {
      const fn = fns[n];
      let calls = 0;
      let k = counters[n];
      const t0 = nowNs();
      let t = t0;
      while (t - t0 < slice) {
        for (let i = 0; i < batch; i++) {
          const v = fn(k++);
          sink += typeof v === 'number' ? v : await v; // sync functions are not charged an await
        }
        calls += batch;
        t = nowNs();
      }
      counters[n] = k;
      rounds[n].push((t - t0) / calls);
    }
  }
  return Object.fromEntries(names.map((n) => [n, rounds[n].sort((a, b) => a - b)[3]]));
}

function second(i: number): IncidentSecond {
  return { t: T0 + i * 1000, requests: 4000 + (i % 97), distinct: 1800, level: 'under_attack', outcomes: { forwarded: 300, challenged: 2500, dropped: 1100, limited: 97 } };
}

async function benchAppend(stateDir: string): Promise<void> {
  console.log('\n1. appendSeconds (one row per call = one open incident per detector tick)');
  const state = openStateStores({ stateDir, incidents: { checkpointEveryMs: 0, maxTimelineSeconds: 10_000_000 } });
  const { db } = state.database;
  const inc = await Promise.all(['a', 'b'].map((site) => state.incidents.open({ site, openedAtMs: T0 })));
  db.exec('CREATE TABLE bare (incident_id TEXT NOT NULL, t INTEGER NOT NULL, requests INTEGER, distinct_sources INTEGER, level TEXT, outcomes TEXT, PRIMARY KEY (incident_id, t)) WITHOUT ROWID');
  const bare = db.prepare('INSERT INTO bare VALUES (?, ?, ?, ?, ?, ?)');
  const r = await compare(
    {
      'JSON.stringify(row)': (i) => JSON.stringify(second(i)).length,
      'bare prepared INSERT, own transaction': (i) => {
        const s = second(i);
        return bare.run('x', s.t, s.requests, s.distinct, s.level, JSON.stringify(s.outcomes)).changes;
      },
      'await incidents.appendSeconds(id, [row])': async (i) => (await state.incidents.appendSeconds(inc[0].id, [second(i)])).inserted,
    },
    6000,
  );
  const store = r['await incidents.appendSeconds(id, [row])'];
  line('JSON.stringify(row)', r['JSON.stringify(row)'], '(CPU yardstick)');
  line('bare prepared INSERT, own transaction', r['bare prepared INSERT, own transaction'], '(SQLite floor)');
  line('appendSeconds, 1 row', store, `${ratio(store, r['bare prepared INSERT, own transaction'])} bare insert, ${ratio(store, r['JSON.stringify(row)'])} stringify`);

  const ten = await Promise.all(Array.from({ length: 10 }, (_, k) => state.incidents.open({ site: `s${k}`, openedAtMs: T0 })));
  const tick = await compare(
    { 'tick: 10 incidents × 1 row': async (i) => {
      let n = 0;
      for (const x of ten) n += (await state.incidents.appendSeconds(x.id, [second(i)])).inserted;
      return n;
    } },
    2000,
    20,
  );
  line('detector tick, 10 open incidents', tick['tick: 10 incidents × 1 row'], `${ratio(tick['tick: 10 incidents × 1 row'], store)} one incident`);

  const cps: number[] = [];
  for (let k = 0; k < 7; k++) {
    for (let i = 0; i < 10; i++) for (const x of ten) await state.incidents.appendSeconds(x.id, [second(1_000_000 + k * 10 + i)]);
    const t0 = nowNs();
    state.database.checkpoint('PASSIVE');
    cps.push(nowNs() - t0);
  }
  const cp = cps.sort((a, b) => a - b)[3];
  line('PASSIVE checkpoint after 10 s of 10 incidents', cp, `${ratio(cp, store)} one append; every 10 s by default`);
  state.close();
}

function ban(key: string, i: number): StoredBan {
  return { key, scope: 'address', reason: 'escalation/limit/login', by: 'limit/login', level: 1, createdAtMs: T0, untilMs: T0 + 3_600_000 + i, source: 'auto' };
}

async function benchBans(stateDir: string): Promise<void> {
  console.log('\n2. isBanned on the in-memory mirror with 1M bans (accept phase)');
  const N = 1_000_000;
  const addrs: string[] = new Array<string>(N);
  for (let i = 0; i < N; i++) addrs[i] = `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;
  const probesHit = Array.from({ length: 4096 }, (_, i) => addrs[(i * 7919) % N]);
  const probesMiss = Array.from({ length: 4096 }, (_, i) => `192.0.${(i >>> 8) & 255}.${i & 255}`);
  const prefixesMiss: string[][] = probesMiss.map((a) => [a.slice(0, a.lastIndexOf('.')) + '.0/24', a.split('.').slice(0, 2).join('.') + '.0.0/16']);
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const mirror = createBanMirror(N + 2);
  // fresh key strings, as loading from SQLite makes them (the probes hold their own copies)
  for (let i = 0; i < N; i++) mirror.set(`10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`, T0 + 3_600_000);
  gc();
  const perBan = (process.memoryUsage().heapUsed - heap0) / N;
  // two prefix bans, so lookups of prefix keys and matchAddress have lengths in use (/24 and /16)
  mirror.set('198.51.100.0/24', T0 + 3_600_000);
  mirror.set('172.16.0.0/16', T0 + 3_600_000);
  const plain = new Map<string, number>();
  for (let i = 0; i < N; i++) plain.set(addrs[i], T0 + 3_600_000);
  const r = await compare(
    {
      'loop overhead': (i) => i & 1,
      'Map.get (hit)': (i) => plain.get(probesHit[i & 4095]) ?? 0,
      'isBanned, hit on the address': (i) => (mirror.bannedKey(probesHit[i & 4095], [], T0) === undefined ? 0 : 1),
      'isBanned, miss (address + /24 + /16)': (i) => (mirror.bannedKey(probesMiss[i & 4095], prefixesMiss[i & 4095], T0) === undefined ? 0 : 1),
      'matchAddress, miss (parses, keys /24 + /16)': (i) => (mirror.matchAddress(probesMiss[i & 4095], T0) === undefined ? 0 : 1),
    },
    3000,
    20_000,
  );
  const ref = r['Map.get (hit)'];
  line('harness loop overhead (included below)', r['loop overhead']);
  line('Map.get of a string key, 1M entries', ref, '(reference)');
  for (const k of ['isBanned, hit on the address', 'isBanned, miss (address + /24 + /16)', 'matchAddress, miss (parses, keys /24 + /16)']) line(k, r[k], `${ratio(r[k], ref)} Map.get`);
  console.log(`  mirror heap: ${perBan.toFixed(0)} bytes per ban (keys included) → ${((perBan * N) / 2 ** 20).toFixed(0)} MiB at 1M`);

  console.log('\n3. add(ban) — upsert + audit row, one transaction');
  const state = openStateStores({ stateDir: path.join(stateDir, 'bans') });
  state.database.db.exec('CREATE TABLE bare (key TEXT PRIMARY KEY, until_ms INTEGER) WITHOUT ROWID');
  const bare = state.database.db.prepare('INSERT OR REPLACE INTO bare VALUES (?, ?)');
  const a = await compare(
    {
      'bare prepared INSERT, own transaction': (i) => bare.run(addrs[i % N], i).changes,
      'await bans.add(ban)': async (i) => ((await state.bans.add(ban(addrs[i % N], i), { nowMs: T0 })).change === 'added' ? 1 : 0),
    },
    3000,
  );
  line('bare prepared INSERT, own transaction', a['bare prepared INSERT, own transaction'], '(SQLite floor)');
  line('bans.add', a['await bans.add(ban)'], `${ratio(a['await bans.add(ban)'], a['bare prepared INSERT, own transaction'])} bare insert`);
  state.close();
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-bench-state-'));
try {
  console.log(`state in ${dir} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}); wall-clock medians of 7 interleaved rounds`);
  await benchAppend(dir);
  await benchBans(dir);
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
if (sink === 42) console.log('');
