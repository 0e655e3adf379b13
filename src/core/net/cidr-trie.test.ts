import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createCidrTrie } from './cidr-trie.ts';
import { cidrHasAddress, parseCidr } from './cidr.ts';
import type { Cidr } from './cidr.ts';
import { formatV4, formatV6 } from './ip-format.ts';
import { parseIp } from './ip.ts';
import { parseIpInto } from './ip-parse.ts';

test('longest prefix wins, per family', () => {
  const t = createCidrTrie();
  const entries: Array<[string, number]> = [
    ['0.0.0.0/0', 0],
    ['10.0.0.0/8', 1],
    ['10.1.0.0/16', 2],
    ['10.1.2.0/24', 3],
    ['10.1.2.3/32', 4],
    ['2001:db8::/32', 5],
    ['2001:db8:1::/48', 6],
    ['2001:db8:1:2::/64', 7],
    ['2001:db8:1:2::1/128', 8],
    ['fc00::/7', 9],
  ];
  for (const [cidr, v] of entries) assert.equal(t.insert(cidr, v), true);
  const lookups: Array<[string, number]> = [
    ['10.1.2.3', 4],
    ['10.1.2.4', 3],
    ['10.1.3.4', 2],
    ['10.2.0.0', 1],
    ['11.0.0.0', 0],
    ['255.255.255.255', 0],
    ['::ffff:10.1.2.3', 4],
    ['2001:db8:1:2::1', 8],
    ['2001:db8:1:2::2', 7],
    ['2001:db8:1:3::', 6],
    ['2001:db8:2::', 5],
    ['2001:db9::', -1],
    ['fdff:ffff::1', 9],
    ['fe00::', -1],
    ['::', -1],
    ['not an ip', -1],
  ];
  for (const [a, want] of lookups) {
    assert.equal(t.lookup(a), want, a);
    const p = parseIp(a);
    if (p) assert.equal(t.lookup(p), want, `${a} parsed`);
  }
  assert.equal(t.size, entries.length);
});

test('insert replaces, get is exact, remove restores the shorter match', () => {
  const t = createCidrTrie();
  t.insert('10.0.0.0/8', 1);
  t.insert('10.1.0.0/16', 2);
  t.insert('10.1.0.0/16', 3);
  assert.equal(t.size, 2);
  assert.equal(t.get('10.1.0.0/16'), 3);
  assert.equal(t.get('10.1.0.0/17'), -1);
  assert.equal(t.get('10.0.0.0/7'), -1);
  assert.equal(t.remove('10.1.0.0/16'), true);
  assert.equal(t.remove('10.1.0.0/16'), false);
  assert.equal(t.lookup('10.1.2.3'), 1);
  assert.equal(t.size, 1);
  t.insert('0.0.0.0/0', 7);
  assert.equal(t.lookup('8.8.8.8'), 7);
  assert.equal(t.remove('0.0.0.0/0'), true);
  assert.equal(t.lookup('8.8.8.8'), -1);
});

test('root table: short prefixes, /0 and removal near the root stay exact', () => {
  const t = createCidrTrie({ rootTableMin: 0 });
  t.insert('0.0.0.0/0', 0);
  t.insert('10.0.0.0/8', 1);
  t.insert('10.1.0.0/16', 2);
  t.insert('10.1.2.0/24', 3);
  t.insert('2001:db8::/32', 4);
  t.insert('2001::/15', 5);
  const expect = (pairs: Array<[string, number]>): void => {
    for (const [a, v] of pairs) assert.equal(t.lookup(a), v, a);
  };
  expect([['10.1.2.3', 3], ['10.1.3.3', 2], ['10.2.0.0', 1], ['11.0.0.0', 0], ['2001:db8::1', 4], ['2001:1::', 5], ['2000::', 5], ['1fff::', -1]]);
  t.remove('10.0.0.0/8');
  t.remove('0.0.0.0/0');
  t.remove('2001::/15');
  expect([['10.1.2.3', 3], ['10.1.3.3', 2], ['10.2.0.0', -1], ['11.0.0.0', -1], ['2001:db8::1', 4], ['2001:1::', -1]]);
  assert.ok(t.stats().bytes > 1_000_000, 'both tables allocated');
  // A branch node below the table's depth (1.2.0.0/21) is spliced out when one side goes away.
  t.insert('1.2.3.0/24', 6);
  t.insert('1.2.4.0/24', 7);
  t.remove('1.2.3.0/24');
  expect([['1.2.4.5', 7], ['1.2.3.5', -1]]);
});

test('IPv6 second table: a crowded /16 is looked up through its next 16 bits, exact under insert and removal', () => {
  const t = createCidrTrie({ rootTableMin: 0, secondTableMin: 4 });
  t.insert('2001::/16', 0);
  for (let i = 1; i <= 6; i++) t.insert(`2001:${(i * 0x1111).toString(16)}::/32`, i);
  t.insert('2001:8000::/17', 7);
  t.insert('2001:3333:4444::/48', 8);
  t.insert('2a00::/12', 9);
  const expect = (pairs: Array<[string, number]>): void => {
    for (const [a, v] of pairs) assert.equal(t.lookup(a), v, a);
  };
  expect([['2001:1111::1', 1], ['2001:3333:4444::9', 8], ['2001:3333:5555::9', 3], ['2001:9999::1', 7], ['2001:7000::1', 0], ['2a01::1', 9], ['2002::1', -1]]);
  assert.ok(t.stats().bytes > 1_000_000, 'the IPv6 root table and one second table allocated (512 KB each)');
  // Changes above depth 16 refresh the second table whole; changes at 16..31 the slots below them.
  t.insert('2000::/3', 10);
  t.insert('2001:2000::/19', 11);
  t.remove('2001::/16');
  t.remove('2001:1111::/32');
  expect([['2001:1111::1', 10], ['2001:2222::1', 2], ['2001:2000::1', 11], ['2001:7000::1', 10], ['2001:9999::1', 7], ['2001:3333:4444::9', 8], ['2002::1', 10]]);
  t.remove('2001:8000::/17');
  t.remove('2000::/3');
  expect([['2001:9999::1', -1], ['2001:2222::1', 2], ['2001:3333::1', 3], ['2002::1', -1]]);
});

test('removal recycles nodes', () => {
  const t = createCidrTrie({ initialNodes: 8 });
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < 100; i++) t.insert(`10.${round}.${i}.0/24`, i);
    for (let i = 0; i < 100; i++) assert.equal(t.remove(`10.${round}.${i}.0/24`), true);
  }
  assert.equal(t.size, 0);
  assert.ok(t.stats().nodes <= 2, `nodes left: ${t.stats().nodes}`);
  assert.ok(t.stats().capacityNodes <= 256, `capacity: ${t.stats().capacityNodes}`);
});

test('cap: inserts beyond maxPrefixes fail, replacing still works', () => {
  const t = createCidrTrie({ maxPrefixes: 3, initialNodes: 2 });
  assert.equal(t.insert('1.0.0.0/8', 1), true);
  assert.equal(t.insert('2.0.0.0/8', 2), true);
  assert.equal(t.insert('2001:db8::/32', 3), true);
  assert.equal(t.insert('3.0.0.0/8', 4), false);
  assert.equal(t.insert('1.0.0.0/8', 5), true);
  assert.equal(t.lookup('1.2.3.4'), 5);
  assert.equal(t.lookup('3.2.3.4'), -1);
  const s = t.stats();
  assert.equal(s.prefixes, 3);
  assert.ok(s.nodes <= s.maxNodes && s.capacityNodes <= s.maxNodes);
});

test('bad input to insert throws a coded error', () => {
  const t = createCidrTrie();
  assert.throws(() => t.insert('nope', 1), { code: 'BULWARK_ERR_NET_INVALID_CIDR' });
  assert.throws(() => t.insert('1.0.0.0/8', -1), { code: 'BULWARK_ERR_NET_TRIE_VALUE' });
  assert.throws(() => t.insert('1.0.0.0/8', 1.5), { code: 'BULWARK_ERR_NET_TRIE_VALUE' });
});

/** The reference: scan every prefix, keep the longest that contains the address. */
function naiveLookup(prefixes: Map<string, { cidr: Cidr; value: number }>, address: string): number {
  const words = new Uint32Array(4);
  const fam = parseIpInto(address, words);
  if (fam === 0) return -1;
  let best = -1;
  let bestBits = -1;
  for (const { cidr, value } of prefixes.values()) {
    if (cidr.bits > bestBits && cidrHasAddress(cidr, fam, words)) {
      best = value;
      bestBits = cidr.bits;
    }
  }
  return best;
}

// Prefixes drawn around a few bases so that they nest and share paths, plus fully random ones.
const v4Base = fc.constantFrom(0x0a000000, 0xc0a80000, 0xcb007100, 0x01020300, 0);
// Noise is shifted below a random depth so prefixes from one base share their leading bits and nest.
const v4Prefix = fc.tuple(fc.oneof(v4Base, fc.nat(0xffffffff)), fc.nat(0xffffffff), fc.nat(31), fc.nat(32)).map(([base, noise, depth, bits]) => {
  const v = (base ^ (noise >>> depth)) >>> 0;
  return `${formatV4(v)}/${bits}`;
});
const v6Base = fc.constantFrom([0x20010db8, 0, 0, 0], [0xfc000000, 0, 0, 0], [0x2a001450, 0x4001, 0, 0], [0, 0, 0, 1]);
const v6Prefix = fc
  .tuple(v6Base, fc.array(fc.nat(0xffffffff), { minLength: 4, maxLength: 4 }), fc.nat(128), fc.nat(128))
  .map(([base, noise, keep, bits]) => {
    const w = Uint32Array.from(base.map((b, i) => (b ^ (i * 32 >= keep ? noise[i] : 0)) >>> 0));
    return `${formatV6(w)}/${bits}`;
  });
const prefixArb = fc.oneof(v4Prefix, v6Prefix);

/** Addresses inside some inserted prefixes (random host bits) and fully random ones. */
function addressesFor(prefixes: string[], noise: number[]): string[] {
  const out: string[] = [];
  prefixes.forEach((p, i) => {
    const c = parseCidr(p)!;
    const n = noise[i % noise.length];
    if (c.family === 4) out.push(formatV4((c.v4 | (n >>> Math.min(31, c.bits))) >>> 0));
    else out.push(formatV6(Uint32Array.from(c.v6, (w, k) => (k * 32 + 31 < c.bits ? w : (w | (n >>> 7)) >>> 0))));
  });
  return out;
}

// Every property runs with and without the first-16-bits root tables (built at 1024 prefixes by default),
// and with IPv6 second tables for first-16-bits values holding 8 or more longer prefixes (the bases
// 2001:db8:: and 2a00:1450:: usually do).
const tableOptions = fc.constantFrom(
  { initialNodes: 4 },
  { initialNodes: 4, rootTableMin: 0 },
  { initialNodes: 4, rootTableMin: 20 },
  { initialNodes: 4, rootTableMin: 0, secondTableMin: 8 },
);

test('property: trie agrees with a naive linear matcher (v4 and v6)', () => {
  fc.assert(
    fc.property(
      tableOptions,
      fc.array(prefixArb, { maxLength: 120 }),
      fc.array(fc.nat(0xffffffff), { minLength: 1, maxLength: 20 }),
      fc.array(fc.oneof(fc.nat(0xffffffff).map(formatV4), fc.array(fc.nat(0xffffffff), { minLength: 4, maxLength: 4 }).map((w) => formatV6(Uint32Array.from(w)))), { maxLength: 40 }),
      (options, prefixes, noise, randomAddrs) => {
        const trie = createCidrTrie(options);
        const ref = new Map<string, { cidr: Cidr; value: number }>();
        prefixes.forEach((p, value) => {
          const cidr = parseCidr(p)!;
          assert.equal(trie.insert(cidr, value), true);
          ref.set(cidr.text, { cidr, value });
        });
        assert.equal(trie.size, ref.size);
        for (const a of [...addressesFor(prefixes, noise), ...randomAddrs]) assert.equal(trie.lookup(a), naiveLookup(ref, a), a);
      },
    ),
    { numRuns: 400 },
  );
});

test('property: trie agrees with the naive matcher after random removals', () => {
  fc.assert(
    fc.property(tableOptions, fc.array(prefixArb, { minLength: 1, maxLength: 80 }), fc.array(fc.boolean(), { minLength: 1 }), fc.array(fc.nat(0xffffffff), { minLength: 1, maxLength: 8 }), (options, prefixes, drop, noise) => {
      const trie = createCidrTrie(options);
      const ref = new Map<string, { cidr: Cidr; value: number }>();
      prefixes.forEach((p, value) => {
        const cidr = parseCidr(p)!;
        trie.insert(cidr, value);
        ref.set(cidr.text, { cidr, value });
      });
      [...ref.keys()].forEach((k, i) => {
        if (drop[i % drop.length]) {
          assert.equal(trie.remove(k), true);
          ref.delete(k);
        }
      });
      assert.equal(trie.size, ref.size);
      assert.ok(trie.stats().nodes <= 2 * ref.size + 2, 'at most 2N + 2 nodes');
      for (const a of addressesFor(prefixes, noise)) assert.equal(trie.lookup(a), naiveLookup(ref, a), a);
      // Re-insert a few dropped ones: the tables must follow growth after shrinkage too.
      prefixes.slice(0, 10).forEach((p, value) => {
        const cidr = parseCidr(p)!;
        trie.insert(cidr, value);
        ref.set(cidr.text, { cidr, value });
      });
      for (const a of addressesFor(prefixes, noise)) assert.equal(trie.lookup(a), naiveLookup(ref, a), a);
    }),
    { numRuns: 300 },
  );
});

test('property: IPv6 second tables agree with the naive matcher, before and after removals', () => {
  // Crowded first-16-bits values (2001::, 2a00::) so second tables are built, plus short prefixes above them.
  const crowded = fc
    .tuple(fc.constantFrom(0x2001, 0x2a00), fc.nat(0xffff), fc.nat(0xffffffff), fc.integer({ min: 17, max: 64 }))
    .map(([top, next, low, bits]) => `${formatV6(Uint32Array.of(((top << 16) | next) >>> 0, low, 0, 0))}/${bits}`);
  const short = fc.tuple(fc.constantFrom(0x2001, 0x2a00, 0x2000), fc.integer({ min: 1, max: 31 })).map(([top, bits]) => `${formatV6(Uint32Array.of((top << 16) >>> 0, 0, 0, 0))}/${bits}`);
  fc.assert(
    fc.property(
      fc.array(crowded, { minLength: 12, maxLength: 60 }),
      fc.array(short, { maxLength: 4 }),
      fc.array(fc.boolean(), { minLength: 1 }),
      fc.array(fc.nat(0xffffffff), { minLength: 1, maxLength: 8 }),
      (many, few, drop, noise) => {
        const trie = createCidrTrie({ rootTableMin: 0, secondTableMin: 4 });
        const ref = new Map<string, { cidr: Cidr; value: number }>();
        const put = (p: string, value: number): void => {
          const cidr = parseCidr(p)!;
          trie.insert(cidr, value);
          ref.set(cidr.text, { cidr, value });
        };
        many.forEach(put);
        const all = [...many, ...few];
        const check = (): void => {
          for (const a of addressesFor(all, noise)) assert.equal(trie.lookup(a), naiveLookup(ref, a), a);
        };
        check(); // builds the tables
        assert.ok(trie.stats().bytes >= 2 * 2 * 65536 * 4, 'a second table was built');
        few.forEach((p, i) => put(p, 1000 + i)); // changes above depth 16 and at 16..31, after the build
        check();
        [...ref.keys()].forEach((k, i) => {
          if (drop[i % drop.length]) {
            assert.equal(trie.remove(k), true);
            ref.delete(k);
          }
        });
        check();
      },
    ),
    { numRuns: 40 },
  );
});
