/**
 * Micro-benchmarks for addresses and lists (target: ~1 µs per lookup at 100k prefixes). Geo lookups
 * have their own: bench/geo-lookup.bench.ts.
 *
 *   node --import tsx bench/trie.bench.ts            (a few seconds; every loop is bounded in CPU time)
 *
 * The machine is shared and noisy, so: times are process CPU time (not wall time), each group of
 * functions is measured interleaved (A B C, A B C, ...: bench/lib/cpu-compare.ts) and the median round is kept, and every figure
 * is printed next to a reference measured in the same group:
 * - trie lookup vs `Map.get` of a string key (a machine-speed yardstick), a naive linear scan and
 *   ipaddr.js `match` (both over 1k prefixes, extrapolated ×100 to 100k);
 * - normalizeAddress / prefixKey vs ipaddr.js.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { createCidrTrie } from '../src/core/net/cidr-trie.ts';
import { cidrHasAddress, parseCidr } from '../src/core/net/cidr.ts';
import type { Cidr } from '../src/core/net/cidr.ts';
import { formatV4, formatV6 } from '../src/core/net/ip-format.ts';
import { normalizeAddress, parseIp, prefixKey, prefixKeys } from '../src/core/net/ip.ts';
import { parseIpInto } from '../src/core/net/ip-parse.ts';
import { createRandom as rng } from '../src/drill/attackers/traffic-shapes.ts';
import { compare as compareCpu, sinkValue } from './lib/cpu-compare.ts';

const require = createRequire(import.meta.url);
const pkgDir = (name: string): string => path.dirname(require.resolve(`${name}/package.json`));

const rand = rng(42);
const u32 = (): number => (rand() * 4294967296) >>> 0;
const v6Global = (): Uint32Array => Uint32Array.of((0x20000000 | (u32() & 0x1fffffff)) >>> 0, u32(), u32(), u32());

/** Process CPU time in ms (user + system). */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU ns per call of each case, interleaved (bench/lib/cpu-compare.ts): the median round. */
function compare(fns: Record<string, (i: number) => number>, budgetMs = 700): Record<string, number> {
  return Object.fromEntries(Object.entries(compareCpu(fns, budgetMs)).map(([name, t]) => [name, t.median]));
}

const fmt = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`);
const row = (name: string, ns: number, note = ''): void => console.log(`  ${name.padEnd(44)} ${fmt(ns).padStart(9)}  ${note}`);

/** A blocklist-shaped prefix set: 80% IPv4 (/16–/32, mostly /24 and /32), 20% IPv6 (/29–/64). */
function makePrefixes(n: number): string[] {
  const v4Lens = [16, 18, 20, 22, 24, 24, 24, 24, 28, 32, 32, 32];
  const v6Lens = [29, 32, 32, 40, 48, 48, 56, 64, 64];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (rand() < 0.8) out.push(parseCidr(`${formatV4(u32())}/${v4Lens[(rand() * v4Lens.length) | 0]}`)!.text);
    else out.push(parseCidr(`${formatV6(v6Global())}/${v6Lens[(rand() * v6Lens.length) | 0]}`)!.text);
  }
  return out;
}

/** Probe addresses: half inside listed prefixes, half random, in the prefixes' family mix. */
function makeProbes(prefixes: string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = parseCidr(prefixes[(rand() * prefixes.length) | 0])!;
    const inside = rand() < 0.5;
    if (c.family === 4) out.push(formatV4(inside ? (c.v4 | (u32() >>> Math.min(31, c.bits))) >>> 0 : u32()));
    else out.push(formatV6(inside ? Uint32Array.from(c.v6, (w, k) => (k * 32 + 32 <= c.bits ? w : (w | u32()) >>> 0)) : v6Global()));
  }
  return out;
}

function naiveMatcher(cidrs: Cidr[]): (address: string) => number {
  const words = new Uint32Array(4);
  return (address) => {
    const fam = parseIpInto(address, words);
    if (fam === 0) return -1;
    let best = -1;
    let bits = -1;
    for (let k = 0; k < cidrs.length; k++) {
      if (cidrs[k].bits > bits && cidrHasAddress(cidrs[k], fam, words)) {
        best = k;
        bits = cidrs[k].bits;
      }
    }
    return best;
  };
}

function benchTrie(): void {
  console.log('\nCIDR trie, 100k mixed prefixes (80% IPv4, 20% IPv6)');
  const prefixes = makePrefixes(100_000);
  const cidrs = prefixes.map((p) => parseCidr(p)!);
  let t0 = cpuMs();
  const trie = createCidrTrie();
  prefixes.forEach((p, i) => trie.insert(p, i));
  const fromText = cpuMs() - t0;
  t0 = cpuMs();
  const trie2 = createCidrTrie();
  cidrs.forEach((c, i) => trie2.insert(c, i));
  const fromParsed = cpuMs() - t0;
  t0 = cpuMs();
  const yard = new Map<string, number>();
  prefixes.forEach((p, i) => yard.set(p, i));
  const mapFill = cpuMs() - t0;
  console.log(`  build: ${fromText.toFixed(0)} ms from text, ${fromParsed.toFixed(0)} ms from parsed prefixes; filling a Map with the same strings: ${mapFill.toFixed(0)} ms (${(fromParsed / mapFill).toFixed(1)}×)`);
  const probes = makeProbes(prefixes, 8192);
  const parsed = probes.map((p) => parseIp(p)!);
  trie.lookup(probes[0]); // builds the first-16-bits tables
  const s = trie.stats();
  console.log(`  ${s.prefixes} distinct prefixes, ${s.nodes} nodes, ${(s.bytes / 1e6).toFixed(1)} MB (nodes + root tables)`);
  const m = probes.length - 1;
  const keys = probes.map((_, i) => prefixes[i % prefixes.length]);
  const naive = naiveMatcher(cidrs.slice(0, 1000));
  const ranges = prefixes.slice(0, 1000).map((p) => ipaddr.parseCIDR(p));
  const ipProbes = probes.map((p) => ipaddr.parse(p));
  const r = compare({
    str: (i) => trie.lookup(probes[i & m]),
    parsed: (i) => trie.lookup(parsed[i & m]),
    map: (i) => yard.get(keys[i & m]) ?? 0,
    naive: (i) => naive(probes[i & m]),
    ipaddr: (i) => {
      const a = ipProbes[i & m];
      let hit = 0;
      for (const c of ranges) if (c[0].kind() === a.kind() && a.match(c)) hit++;
      return hit;
    },
  });
  row('trie.lookup(string)', r.str, `${(r.str / r.map).toFixed(1)}× Map.get`);
  row('trie.lookup(ParsedIp)', r.parsed, `${(r.parsed / r.map).toFixed(1)}× Map.get`);
  row('yardstick: Map.get(string), 100k keys', r.map);
  row('naive scan, 1k prefixes', r.naive, `×100 → ${fmt(r.naive * 100)} at 100k: trie ${((r.naive * 100) / r.str).toFixed(0)}× faster`);
  row('ipaddr.js match, 1k prefixes', r.ipaddr, `×100 → ${fmt(r.ipaddr * 100)} at 100k: trie ${((r.ipaddr * 100) / r.str).toFixed(0)}× faster`);
}

function benchAddresses(): void {
  console.log('\nAddresses (40% IPv4, 40% ::ffff:IPv4 as a dual-stack listener reports them, 20% IPv6)');
  const addrs: string[] = [];
  for (let i = 0; i < 4096; i++) {
    const x = rand();
    addrs.push(x < 0.4 ? formatV4(u32()) : x < 0.8 ? `::ffff:${formatV4(u32())}` : formatV6(v6Global()));
  }
  const m = addrs.length - 1;
  const yard = new Map(addrs.map((a, i) => [a, i]));
  const r = compare({
    norm: (i) => normalizeAddress(addrs[i & m])!.length,
    normRef: (i) => {
      const ip = ipaddr.process(addrs[i & m]);
      return (ip.kind() === 'ipv6' ? (ip as ipaddr.IPv6).toRFC5952String() : ip.toString()).length;
    },
    key: (i) => prefixKey(addrs[i & m], addrs[i & m].length > 22 ? 64 : 24)!.length,
    keyRef: (i) => {
      const ip = ipaddr.process(addrs[i & m]);
      const bits = ip.kind() === 'ipv4' ? 24 : 64;
      const cidr = `${ip.toString()}/${bits}`;
      const net = ip.kind() === 'ipv4' ? ipaddr.IPv4.networkAddressFromCIDR(cidr) : ipaddr.IPv6.networkAddressFromCIDR(cidr);
      return `${net.toString()}/${bits}`.length;
    },
    keys: (i) => prefixKeys(addrs[i & m]).length,
    map: (i) => yard.get(addrs[i & m]) ?? 0,
  });
  row('normalizeAddress', r.norm, `${(r.norm / r.map).toFixed(1)}× Map.get; ipaddr.js process+toString ${fmt(r.normRef)} (${(r.normRef / r.norm).toFixed(1)}× slower)`);
  row('prefixKey (/24 or /64)', r.key, `${(r.key / r.map).toFixed(1)}× Map.get; ipaddr.js networkAddressFromCIDR ${fmt(r.keyRef)} (${(r.keyRef / r.key).toFixed(1)}× slower)`);
  row('prefixKeys (two levels, one parse)', r.keys, `${(r.keys / r.map).toFixed(1)}× Map.get`);
  row('yardstick: Map.get(string), 4k keys', r.map);
}

const started = performance.now();
benchTrie();
benchAddresses();
console.log(`\n(done in ${((performance.now() - started) / 1000).toFixed(1)} s wall; sink ${sinkValue() > 0 ? 'ok' : '0'})`);
