import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Reader } from 'maxmind';
import { readdirSync, readFileSync } from 'node:fs';
import { GEO_CACHE_GENERATION, loadGeoData } from './geo-data.ts';
import { BUILD_NICENESS } from './geo-image-source.ts';
import { openGeoImage } from './geo-image-file.ts';
import type { GeoData } from './geo-data.ts';
import { formatV4, formatV6 } from '../core/net/ip-format.ts';

let geo: GeoData;
let dir: string;
/** The scheduling priority the image build's child process was seen with while the first load ran. */
let buildPriority: number | null = null;

/** Children of this process whose command line names the geo image worker (from /proc: Linux only). */
function buildChildren(): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('geo-image-worker')) found.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

before(async () => {
  let loading = true;
  const load = loadGeoData().finally(() => void (loading = false));
  while (loading && buildPriority === null && process.platform === 'linux') {
    for (const pid of buildChildren()) {
      try {
        buildPriority = os.getPriority(pid);
      } catch {
        // exited between the listing and the read
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  geo = await load;
  dir = await mkdtemp(path.join(os.tmpdir(), 'bulwark-geo-'));
});
after(async () => {
  geo.close();
  await rm(dir, { recursive: true, force: true });
});

test('the image build runs in a child at a lower scheduling priority than Bulwark (a first start under attack keeps serving)', (t) => {
  if (process.platform !== 'linux') return t.skip('reads /proc');
  assert.notEqual(buildPriority, null, 'the build child was seen while the data loaded');
  assert.equal(buildPriority, Math.min(19, os.getPriority() + BUILD_NICENESS));
});

test('known addresses from the packaged data', () => {
  const cases: Array<[string, string]> = [
    ['8.8.8.8', '15169 Google LLC US public'],
    ['::ffff:8.8.8.8', '15169 Google LLC US public'],
    ['1.1.1.1', '13335 Cloudflare, Inc. AU public'],
    ['2001:4860:4860::8888', '15169 Google LLC US public'],
    ['127.0.0.1', 'null null null loopback'],
    ['::1', 'null null null loopback'],
    ['10.1.2.3', 'null null null private'],
    ['192.168.0.1', 'null null null private'],
    ['fe80::1', 'null null null link_local'],
    ['not an address', 'null null null reserved'],
  ];
  for (const [a, want] of cases) {
    const g = geo.lookup(a);
    assert.equal(`${g.asn} ${g.asnOrg} ${g.country} ${g.label}`, want, a);
  }
  const s = geo.stats();
  assert.ok(s.asn && s.asn.v4Rows > 100_000 && s.asn.v6Rows > 10_000);
  assert.equal(s.asn.invalidLines, 0);
  assert.ok(s.countryDatabase?.type.includes('country'));
  assert.equal(s.image?.file, null, 'without cacheDir the image is a deleted temporary file');
  assert.ok(s.image.memoryBytes < 1_000_000, `index held in memory: ${s.image.memoryBytes} bytes`);
});

test('property: the tree walk gives the same country as the maxmind reader', async () => {
  const file = path.join(path.dirname(createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json')), 'geo-whois-asn-country.mmdb');
  const reader = new Reader<Record<string, unknown>>(await readFile(file));
  const v4 = fc.nat(0xffffffff).map(formatV4);
  // Bias IPv6 towards allocated space (2000::/3) so most probes hit data.
  const v6 = fc.array(fc.nat(0xffffffff), { minLength: 4, maxLength: 4 }).map((w) => formatV6(Uint32Array.from([((w[0] & 0x1fffffff) | 0x20000000) >>> 0, w[1], w[2], w[3]])));
  fc.assert(
    fc.property(fc.oneof(v4, v6), (a) => {
      const g = geo.lookup(a);
      if (g.label !== 'public') return;
      assert.equal(g.country, reader.get(a)?.country_code ?? null, a);
    }),
    { numRuns: 3000 },
  );
});

test('parts can be disabled', async () => {
  const g = await loadGeoData({ asnV6Path: false, countryPath: false });
  assert.equal(g.lookup('8.8.8.8').asn, 15169);
  assert.equal(g.lookup('8.8.8.8').country, null);
  assert.equal(g.lookup('2001:4860:4860::8888').asn, null);
  assert.equal(g.stats().countryDatabase, null);
  g.close();
  assert.equal(g.lookup('8.8.8.8').asn, null, 'a closed image answers nothing');
});

test('operator-supplied files are used', async () => {
  const v4 = path.join(dir, 'v4.csv');
  await writeFile(v4, '8.8.8.0,8.8.8.255,64500,Example Org\n');
  const g = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false });
  assert.equal(g.lookup('8.8.8.8').asnOrg, 'Example Org');
  assert.equal(g.lookup('1.1.1.1').asn, null);
  g.close();
});

test('the geo image is kept in cacheDir: a later load reads it, a changed CSV gets a new one, a damaged one is rebuilt', async () => {
  const cacheDir = path.join(dir, 'geo-cache');
  const v4 = path.join(dir, 'cached-v4.csv');
  await writeFile(v4, '8.8.8.0,8.8.8.255,64500,First Org\n');
  await mkdir(cacheDir, { recursive: true });
  await writeFile(path.join(cacheDir, 'asn-0123456789abcdef01234567.bin'), 'an image of the previous format');
  const first = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false, cacheDir });
  assert.equal(first.lookup('8.8.8.8').asnOrg, 'First Org');
  first.close();
  const images = await readdir(cacheDir);
  assert.equal(images.length, 1);
  assert.match(images[0]!, /^geo-[0-9a-f]+\.bin$/);
  const again = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false, cacheDir });
  assert.equal(again.lookup('8.8.8.8').asnOrg, 'First Org');
  again.close();
  assert.deepEqual(await readdir(cacheDir), images, 'read from the image, not rebuilt');
  await writeFile(v4, '8.8.8.0,8.8.8.255,64501,Second Org\n');
  await utimes(v4, new Date(), new Date(Date.now() + 5000));
  const changed = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false, cacheDir });
  assert.equal(changed.lookup('8.8.8.8').asnOrg, 'Second Org');
  changed.close();
  const now = await readdir(cacheDir);
  assert.equal(now.length, 1, 'the old image is removed');
  assert.notDeepEqual(now, images);
  await writeFile(path.join(cacheDir, now[0]!), 'damaged');
  const rebuilt = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false, cacheDir });
  assert.equal(rebuilt.lookup('8.8.8.8').asn, 64501);
  rebuilt.close();
});

test('clear, coded errors for missing or corrupt files', async () => {
  const junk = path.join(dir, 'junk.csv');
  await writeFile(junk, 'this is,not,an asn,file\nnor is this\n');
  const badMmdb = path.join(dir, 'bad.mmdb');
  await writeFile(badMmdb, 'not a maxmind database at all');
  const cases: Array<[Parameters<typeof loadGeoData>[0], string]> = [
    [{ asnV4Path: path.join(dir, 'missing.csv') }, 'BULWARK_ERR_GEO_FILE_MISSING'],
    [{ asnV4Path: junk, asnV6Path: false, countryPath: false }, 'BULWARK_ERR_GEO_ASN_CORRUPT'],
    [{ asnV4Path: false, asnV6Path: false, countryPath: badMmdb }, 'BULWARK_ERR_GEO_COUNTRY_CORRUPT'],
    [{ asnV4Path: false, asnV6Path: false, countryPath: dir }, 'BULWARK_ERR_GEO_FILE_UNREADABLE'],
  ];
  for (const [options, code] of cases) {
    await assert.rejects(loadGeoData(options), (err: Error & { code?: string }) => {
      assert.equal(err.code, code);
      assert.match(err.message, /\//); // names the file
      return true;
    });
  }
});

test('a truncated image in cacheDir is not trusted: it is rebuilt and answers right', async () => {
  const cacheDir = path.join(dir, 'geo-truncated');
  const v4 = path.join(dir, 'truncated-v4.csv');
  await writeFile(v4, '8.8.8.0,8.8.8.255,64502,Cut Org\n');
  const options = { asnV4Path: v4, asnV6Path: false, countryPath: false, cacheDir } as const;
  (await loadGeoData(options)).close();
  const [name] = await readdir(cacheDir);
  const file = path.join(cacheDir, name!);
  const size = (await stat(file)).size;
  await truncate(file, size - 8);
  const g = await loadGeoData(options);
  assert.deepEqual(g.lookup('8.8.8.8'), { asn: 64502, asnOrg: 'Cut Org', country: null, label: 'public' });
  assert.equal((await stat(file)).size, size, 'rebuilt whole');
  g.close();
});

test('an image damaged while serving: no wrong answer, BULWARK_ERR_GEO_ASN_CORRUPT reported, rebuilt and swapped in', async () => {
  const cacheDir = path.join(dir, 'geo-damaged');
  const v4 = path.join(dir, 'damaged-v4.csv');
  await writeFile(v4, '8.8.8.0,8.8.8.255,64503,Sound Org\n');
  const reports: Array<{ code: string; message: string }> = [];
  let rebuilt!: () => void;
  const swapped = new Promise<void>((resolve) => (rebuilt = resolve));
  const g = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false, cacheDir, onDamage: (e) => reports.push(e), onRebuilt: () => rebuilt() });
  const file = g.stats().image!.file!;
  const probe = await openGeoImage(file);
  const at = probe.head.v4.offsets[0]! + 8;
  probe.close();
  const fh = await open(file, 'r+'); // the same file the process reads, changed in place
  await fh.write(Uint8Array.of(0x42, 0x42, 0x42, 0x42), 0, 4, at);
  await fh.close();
  assert.deepEqual(g.lookup('8.8.8.8'), { asn: null, asnOrg: null, country: null, label: 'public' });
  assert.equal(reports[0]?.code, 'BULWARK_ERR_GEO_ASN_CORRUPT');
  assert.match(reports[0]!.message, /damaged.*checksum mismatch/);
  await swapped;
  assert.deepEqual(g.lookup('8.8.8.8'), { asn: 64503, asnOrg: 'Sound Org', country: null, label: 'public' });
  const s = g.stats().image!;
  assert.deepEqual([s.rebuilds, s.damagedReads], [1, 1]);
  g.close();
});

test('answers are cached: a returning address costs no read, and the cache stays within its cap', async () => {
  const g = await loadGeoData({ asnV6Path: false, countryPath: false });
  g.lookup('8.8.8.8');
  const before = g.stats().cache;
  for (let i = 0; i < 10; i++) assert.equal(g.lookup('8.8.8.8').asn, 15169);
  const after = g.stats().cache;
  assert.deepEqual([after.misses - before.misses, after.hits - before.hits], [0, 10]);
  for (let i = 0; i < GEO_CACHE_GENERATION * 3; i++) g.lookup(formatV4(0x01000000 + i * 256));
  assert.ok(g.stats().cache.entries <= GEO_CACHE_GENERATION * 2, `${g.stats().cache.entries} entries`);
  assert.equal(g.lookup('8.8.8.8').asn, 15169, 'evicted answers are read again');
  g.close();
  // IPv6 answers are keyed by a hash of the address and checked on every hit.
  const v6 = ['2001:4860:4860::1234', '2001:4860:4860::5678', '2a00:1450:4001::99'];
  const h0 = geo.stats().cache.hits;
  const first = v6.map((a) => geo.lookup(a));
  const again = v6.map((a) => geo.lookup(a));
  assert.deepEqual(again, first);
  assert.equal(geo.stats().cache.hits - h0, 3);
  assert.deepEqual(first.map((i) => i.asn), [15169, 15169, 15169]);
});
