/**
 * Micro-benchmarks for addresses, lists and geo data (issue #3, "~1 µs per lookup at 100k prefixes").
 *
 *   node --import tsx bench/trie.bench.ts            (about 15 s; every loop is bounded in time)
 *
 * Each figure is printed with a reference measured in the same run, because the machine is shared:
 * - trie lookup vs a naive linear scan (1k prefixes, extrapolated to 100k) and vs ipaddr.js `match`
 *   (same), and vs a `Map.get` of a string key as a machine-speed yardstick;
 * - prefixKey / normalizeAddress vs ipaddr.js;
 * - ASN lookup vs the same `Map.get` yardstick; country tree walk vs the maxmind reader.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import ipaddr from 'ipaddr.js';
import { Reader } from 'maxmind';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createCidrTrie } from '../src/core/net/cidr-trie.ts';
import { cidrHasAddress, parseCidr } from '../src/core/net/cidr.ts';
import type { Cidr } from '../src/core/net/cidr.ts';
import { formatV4, formatV6 } from '../src/core/net/ip-format.ts';
import { normalizeAddress, parseIp, prefixKey, prefixKeys } from '../src/core/net/ip.ts';
import { parseIpInto } from '../src/core/net/ip-parse.ts';
import { buildAsnTable } from '../src/core/identify/geo/asn-table.ts';
import { loadGeoData } from '../src/edge/geo-data.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Deterministic PRNG (the bench must be repeatable). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(42);
const u32 = (): number => (rand() * 4294967296) >>> 0;

let sink = 0;
/** ns per call of `fn(i)`, run in batches until `maxMs` (after a warm-up); the median of 5 rounds. */
function measure(fn: (i: number) => number, maxMs = 300): number {
  for (let i = 0; i < 20_000; i++) sink += fn(i);
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < maxMs / 5) {
      for (let i = 0; i < 5000; i++) sink += fn(n + i);
      n += 5000;
      t = performance.now();
    }
    rounds.push(((t - t0) * 1e6) / n);
  }
  return rounds.sort((a, b) => a - b)[2];
}
const fmt = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const row = (name: string, ns: number, note = ''): void => console.log(`  ${name.padEnd(46)} ${fmt(ns).padStart(10)}  ${note}`);

/** A blocklist-shaped prefix set: 80% IPv4 (/16–/32, mostly /24 and /32), 20% IPv6 (/29–/64). */
function makePrefixes(n: number): string[] {
  const v4Lens = [16, 18, 20, 22, 24, 24, 24, 24, 28, 32, 32, 32];
  const v6Lens = [29, 32, 32, 40, 48, 48, 56, 64, 64];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (rand() < 0.8) out.push(parseCidr(`${formatV4(u32())}/${v4Lens[(rand() * v4Lens.length) | 0]}`)!.text);
    else out.push(parseCidr(`${formatV6(Uint32Array.of((0x20000000 | (u32() & 0x1fffffff)) >>> 0, u32(), u32(), u32()))}/${v6Lens[(rand() * v6Lens.length) | 0]}`)!.text);
  }
  return out;
}

/** Probe addresses: half inside listed prefixes, half random (mixed families like the prefixes). */
function makeProbes(prefixes: string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = parseCidr(prefixes[(rand() * prefixes.length) | 0])!;
    const inside = rand() < 0.5;
    if (c.family === 4) out.push(formatV4(inside ? (c.v4 | (u32() >>> Math.min(31, c.bits))) >>> 0 : u32()));
    else out.push(formatV6(inside ? Uint32Array.from(c.v6, (w, k) => (k * 32 + 32 <= c.bits ? w : (w | u32()) >>> 0)) : Uint32Array.of((0x20000000 | (u32() & 0x1fffffff)) >>> 0, u32(), u32(), u32())));
  }
  return out;
}

function benchTrie(): void {
  console.log('\nCIDR trie, 100k mixed prefixes');
  const prefixes = makePrefixes(100_000);
  const cidrs = prefixes.map((p) => parseCidr(p)!);
  let t0 = performance.now();
  const trie = createCidrTrie();
  prefixes.forEach((p, i) => trie.insert(p, i));
  const buildMs = performance.now() - t0;
  t0 = performance.now();
  const trie2 = createCidrTrie();
  cidrs.forEach((c, i) => trie2.insert(c, i));
  const buildParsedMs = performance.now() - t0;
  t0 = performance.now();
  const yardMap = new Map<string, number>();
  prefixes.forEach((p, i) => yardMap.set(p, i));
  const mapBuildMs = performance.now() - t0;
  const s = trie.stats();
  console.log(`  build: ${buildMs.toFixed(0)} ms from text, ${buildParsedMs.toFixed(0)} ms from parsed prefixes (yardstick: filling a Map with the same 100k strings ${mapBuildMs.toFixed(0)} ms)`);
  console.log(`  ${s.prefixes} distinct prefixes, ${s.nodes} nodes, ${(s.bytes / 1e6).toFixed(1)} MB typed arrays`);
  const probes = makeProbes(prefixes, 8192);
  const parsed = probes.map((p) => parseIp(p)!);
  const mask = probes.length - 1;
  const yard = new Map(prefixes.map((p, i) => [p, i]));
  const yardKeys = probes.map((_, i) => prefixes[i % prefixes.length]);

  const trieStr = measure((i) => trie.lookup(probes[i & mask]));
  const trieParsed = measure((i) => trie.lookup(parsed[i & mask]));
  const mapGet = measure((i) => yard.get(yardKeys[i & mask]) ?? 0);
  const small = cidrs.slice(0, 1000);
  const words = new Uint32Array(4);
  const naive1k = measure((i) => {
    const fam = parseIpInto(probes[i & mask], words);
    if (fam === 0) return -1;
    let best = -1;
    let bits = -1;
    for (let k = 0; k < small.length; k++) {
      const c: Cidr = small[k];
      if (c.bits > bits && cidrHasAddress(c, fam, words)) {
        best = k;
        bits = c.bits;
      }
    }
    return best;
  }, 500);
  const ipaddrRanges = prefixes.slice(0, 1000).map((p) => ipaddr.parseCIDR(p));
  const ipaddrProbes = probes.map((p) => ipaddr.parse(p));
  const ipaddr1k = measure((i) => {
    const a = ipaddrProbes[i & mask];
    let hit = 0;
    for (const r of ipaddrRanges) if (r[0].kind() === a.kind() && a.match(r)) hit++;
    return hit;
  }, 500);
  row('trie.lookup(string)', trieStr, `= ${(trieStr / mapGet).toFixed(1)}× Map.get(string)`);
  row('trie.lookup(ParsedIp)', trieParsed, `= ${(trieParsed / mapGet).toFixed(1)}× Map.get(string)`);
  row('yardstick: Map.get(string) over 100k keys', mapGet);
  row('naive linear scan, 1k prefixes', naive1k, `→ ×100 for 100k: ${fmt(naive1k * 100)}, trie is ${((naive1k * 100) / trieStr).toFixed(0)}× faster`);
  row('ipaddr.js match, 1k prefixes', ipaddr1k, `→ ×100 for 100k: ${fmt(ipaddr1k * 100)}, trie is ${((ipaddr1k * 100) / trieStr).toFixed(0)}× faster`);
}

function benchAddresses(): void {
  console.log('\nAddresses (mixed 80% IPv4-mapped/IPv4, 20% IPv6)');
  const addrs: string[] = [];
  for (let i = 0; i < 4096; i++) {
    const r = rand();
    addrs.push(r < 0.4 ? formatV4(u32()) : r < 0.8 ? `::ffff:${formatV4(u32())}` : formatV6(Uint32Array.of((0x20000000 | (u32() & 0x1fffffff)) >>> 0, u32(), u32(), u32())));
  }
  const mask = addrs.length - 1;
  const norm = measure((i) => normalizeAddress(addrs[i & mask])!.length);
  const normRef = measure((i) => {
    const ip = ipaddr.process(addrs[i & mask]);
    return (ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString()).length;
  });
  const key = measure((i) => prefixKey(addrs[i & mask], 24)!.length);
  const keys = measure((i) => prefixKeys(addrs[i & mask]).length);
  const keyRef = measure((i) => {
    const ip = ipaddr.process(addrs[i & mask]);
    const bits = ip.kind() === 'ipv4' ? 24 : 64;
    const cidr = `${ip.toString()}/${bits}`;
    const net = ip.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
    return `${net.toString()}/${bits}`.length;
  });
  row('normalizeAddress', norm, `ipaddr.js process+toString: ${fmt(normRef)} (${(normRef / norm).toFixed(1)}× slower)`);
  row('prefixKey (/24 or /64)', key, `ipaddr.js networkAddressFromCIDR: ${fmt(keyRef)} (${(keyRef / key).toFixed(1)}× slower)`);
  row('prefixKeys (default two levels)', keys);
}

async function benchGeo(): Promise<void> {
  console.log('\nGeo data (packaged @ip-location-db files)');
  gc();
  const m0 = process.memoryUsage();
  const t0 = performance.now();
  const geo = await loadGeoData();
  const loadMs = performance.now() - t0;
  gc();
  const m1 = process.memoryUsage();
  const st = geo.stats();
  console.log(`  load: ${loadMs.toFixed(0)} ms total (ASN ${st.loadMs.asn.toFixed(0)} ms, country ${st.loadMs.country.toFixed(0)} ms in parallel)`);
  console.log(`  ASN rows: ${st.asn!.v4Rows} IPv4 + ${st.asn!.v6Rows} IPv6, ${st.asn!.orgs} organisations; typed arrays ${(st.asn!.bytes / 1e6).toFixed(1)} MB, country DB ${(st.countryDatabase!.bytes / 1e6).toFixed(1)} MB`);
  console.log(`  retained after GC: heap +${((m1.heapUsed - m0.heapUsed) / 1e6).toFixed(1)} MB, array buffers +${((m1.arrayBuffers - m0.arrayBuffers) / 1e6).toFixed(1)} MB, RSS +${((m1.rss - m0.rss) / 1e6).toFixed(0)} MB (RSS includes freed load buffers)`);
  const v4 = Array.from({ length: 4096 }, () => formatV4(u32()));
  const v6 = Array.from({ length: 4096 }, () => formatV6(Uint32Array.of((0x20000000 | (u32() & 0x0fffffff)) >>> 0, u32(), u32(), u32())));
  const mask = 4095;
  const yard = new Map(v4.map((a, i) => [a, i]));
  const mapGet = measure((i) => yard.get(v4[i & mask]) ?? 0);
  const words = new Uint32Array(4);
  const g4 = measure((i) => geo.lookup(v4[i & mask]).asn ?? 0);
  const g6 = measure((i) => geo.lookup(v6[i & mask]).asn ?? 0);
  const file = path.join(path.dirname(createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json')), 'geo-whois-asn-country.mmdb');
  const reader = new Reader<{ country_code?: string }>(await readFile(file));
  const mm4 = measure((i) => (reader.get(v4[i & mask])?.country_code ? 1 : 0));
  row('geo.lookup IPv4 (ASN + country + label)', g4, `= ${(g4 / mapGet).toFixed(1)}× Map.get(string)`);
  row('geo.lookup IPv6', g6, `= ${(g6 / mapGet).toFixed(1)}× Map.get(string)`);
  row('reference: maxmind reader.get IPv4 (country only)', mm4, `geo.lookup is ${(mm4 / g4).toFixed(1)}× faster with ASN included`);
  row('yardstick: Map.get(string) over 4k keys', mapGet);
  // ASN alone, through the table handles, with parsing included.
  const asnOnly = await asnBench(v4, words);
  row('ASN only (parse + binary search), IPv4', asnOnly, `= ${(asnOnly / mapGet).toFixed(1)}× Map.get(string)`);
}

async function asnBench(v4: string[], words: Uint32Array): Promise<number> {
  const dir = path.dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'));
  const text = (await readFile(path.join(dir, 'asn-ipv4.csv'))).toString('latin1');
  const t0 = performance.now();
  const table = buildAsnTable({ v4: text, latin1: true });
  console.log(`  (ASN IPv4 table alone, warm: built in ${(performance.now() - t0).toFixed(0)} ms)`);
  return measure((i) => {
    parseIpInto(v4[i & 4095], words);
    return table.rowV4(words[0]);
  });
}

const started = performance.now();
benchTrie();
benchAddresses();
await benchGeo();
console.log(`\n(done in ${((performance.now() - started) / 1000).toFixed(1)} s; sink ${sink > 0 ? 'ok' : '0'})`);
