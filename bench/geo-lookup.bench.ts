/**
 * Geo lookups: the geo image read from its file (runtime/geo-data.ts) against the tables held in
 * memory, the way Bulwark kept them before (the ASN table's typed arrays and the country MaxMind DB
 * walked in a Buffer, each distinct country record decoded once) — built here from the same packaged
 * files, as the reference of the same run.
 *
 *   node --import tsx bench/geo-lookup.bench.ts            (about 15 s; every loop is bounded in time)
 *
 * Times are process CPU time, each group measured interleaved (bench/lib/cpu-compare.ts: the median round), next to a
 * `Map.get` yardstick. Two address sets per family:
 * - repeated: 4,096 addresses looked up again and again (returning clients: the answer cache holds them);
 * - new: 65,536 addresses in a cycle longer than the answer cache, so every lookup reads a block of the file.
 * Also printed: load time (build in a child process, then opening a cached image) and memory held.
 */
import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Reader } from 'maxmind';
import { buildAsnTable } from '../src/core/identify/geo/asn-table.ts';
import { createMmdbTree } from '../src/core/identify/geo/mmdb-tree.ts';
import { formatV4, formatV6 } from '../src/core/net/ip-format.ts';
import { parseIpInto } from '../src/core/net/ip-parse.ts';
import { labelV4, labelV6 } from '../src/core/net/protected-ranges.ts';
import { GEO_CACHE_GENERATION, loadGeoData } from '../src/runtime/geo-data.ts';
import { createRandom as rng } from '../src/drill/attackers/traffic-shapes.ts';
import { compare, sinkValue } from './lib/cpu-compare.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const require = createRequire(import.meta.url);
const pkgDir = (name: string): string => path.dirname(require.resolve(`${name}/package.json`));
const rand = rng(7);
const u32 = (): number => (rand() * 4294967296) >>> 0;
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU ns per call of each function, interleaved: 7 rounds of `budgetMs / 7`, batches of 2000 calls, median round. */
const fmt = (ns: number): string => (ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const row = (name: string, ns: number, note = ''): void => console.log(`  ${name.padEnd(40)} ${fmt(ns).padStart(9)}  ${note}`);

/** The in-memory design, as the reference: ASN typed arrays + country tree over the whole DB in a Buffer. */
async function inMemoryReference(): Promise<(address: string) => number> {
  const asnDir = pkgDir('@ip-location-db/asn');
  const table = buildAsnTable({
    v4: (await readFile(path.join(asnDir, 'asn-ipv4.csv'))).toString('latin1'),
    v6: (await readFile(path.join(asnDir, 'asn-ipv6.csv'))).toString('latin1'),
    latin1: true,
  });
  const buf = await readFile(path.join(pkgDir('@ip-location-db/geo-whois-asn-country-mmdb'), 'geo-whois-asn-country.mmdb'));
  const reader = new Reader<Record<string, unknown>>(buf);
  const tree = createMmdbTree(buf, reader.metadata);
  const countries = new Map<number, string | null>();
  const w = new Uint32Array(4);
  return (address) => {
    const fam = parseIpInto(address, w);
    if (fam === 0 || (fam === 4 ? labelV4(w[0]!) : labelV6(w)) !== 'public') return 0;
    const r = fam === 4 ? table.rowV4(w[0]!) : table.rowV6(w);
    const leaf = fam === 4 ? tree.leafV4(w[0]!) : tree.leafV6(w);
    let country = countries.get(leaf);
    if (country === undefined) countries.set(leaf, (country = (reader.get(address)?.country_code as string | undefined) ?? null));
    const info = { asn: r < 0 ? null : table.asnAt(r), asnOrg: r < 0 ? null : table.orgAt(r), country, label: 'public' };
    return (info.asn ?? 0) + (info.asnOrg?.length ?? 0);
  };
}

const cacheDir = await mkdtemp(path.join(tmpdir(), 'bulwark-geo-bench-'));
try {
  console.log('Geo lookups (packaged @ip-location-db files)');
  gc();
  const m0 = process.memoryUsage();
  let t0 = performance.now();
  const built = await loadGeoData({ cacheDir });
  const buildMs = performance.now() - t0;
  built.close();
  gc();
  t0 = performance.now();
  const geo = await loadGeoData({ cacheDir });
  const openMs = performance.now() - t0;
  gc();
  const m1 = process.memoryUsage();
  const st = geo.stats();
  console.log(`  load: ${buildMs.toFixed(0)} ms building the image in a child process; ${openMs.toFixed(0)} ms opening and checking it when cached`);
  console.log(`  image: ${(st.image!.bytes / 1e6).toFixed(1)} MB on disk, ${st.image!.rows.v4} IPv4 + ${st.image!.rows.v6} IPv6 rows; held in memory: ${(st.image!.memoryBytes / 1e6).toFixed(2)} MB (array buffers +${((m1.arrayBuffers - m0.arrayBuffers) / 1e6).toFixed(2)} MB)`);
  t0 = cpuMs();
  const ref = await inMemoryReference();
  gc();
  const m2 = process.memoryUsage();
  console.log(`  reference (tables in memory): built in ${(cpuMs() - t0).toFixed(0)} ms CPU, array buffers +${((m2.arrayBuffers - m1.arrayBuffers) / 1e6).toFixed(1)} MB`);

  const v6 = (): string => formatV6(Uint32Array.of((0x20000000 | (u32() & 0x0fffffff)) >>> 0, u32(), u32(), u32()));
  const repeated4 = Array.from({ length: 4096 }, () => formatV4(u32()));
  const repeated6 = Array.from({ length: 4096 }, v6);
  const fresh4 = Array.from({ length: 65_536 }, () => formatV4(u32()));
  const fresh6 = Array.from({ length: 65_536 }, v6);
  const yard = new Map(repeated4.map((a, i) => [a, i]));
  // A second instance for the new addresses, so that they do not push the repeated ones out of the cache.
  const geoNew = await loadGeoData({ cacheDir });
  const look = (g: typeof geo, a: string): number => {
    const info = g.lookup(a);
    return (info.asn ?? 0) + (info.asnOrg?.length ?? 0);
  };
  const timed = compare({
    rep4: (i) => look(geo, repeated4[i & 4095]!),
    rep4ref: (i) => ref(repeated4[i & 4095]!),
    new4: (i) => look(geoNew, fresh4[i & 65535]!),
    new4ref: (i) => ref(fresh4[i & 65535]!),
    rep6: (i) => look(geo, repeated6[i & 4095]!),
    rep6ref: (i) => ref(repeated6[i & 4095]!),
    new6: (i) => look(geoNew, fresh6[i & 65535]!),
    new6ref: (i) => ref(fresh6[i & 65535]!),
    map: (i) => yard.get(repeated4[i & 4095]!) ?? 0,
  });
  const r = Object.fromEntries(Object.entries(timed).map(([k, t]) => [k, t.median]));
  const vs = (a: number, b: number): string => `in memory ${fmt(b)}: ${(a / b).toFixed(2)}× its time`;
  row('IPv4, repeated addresses (cached)', r.rep4!, vs(r.rep4!, r.rep4ref!));
  row('IPv4, new addresses (one read each)', r.new4!, vs(r.new4!, r.new4ref!));
  row('IPv6, repeated addresses (cached)', r.rep6!, vs(r.rep6!, r.rep6ref!));
  row('IPv6, new addresses (one read each)', r.new6!, vs(r.new6!, r.new6ref!));
  row('yardstick: Map.get(string), 4k keys', r.map!);
  for (const [name, g] of [['repeated', geo], ['new', geoNew]] as const) {
    const s = g.stats().cache;
    console.log(`  answer cache (${name}): ${s.entries} entries (cap ${s.capacity}: ${GEO_CACHE_GENERATION} per family and generation), ${s.hits} hits, ${s.misses} misses`);
    g.close();
  }
} finally {
  await rm(cacheDir, { recursive: true, force: true });
}
console.log(`(sink ${sinkValue() > 0 ? 'ok' : '0'})`);
