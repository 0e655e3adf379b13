import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { Reader } from 'maxmind';
import { loadGeoData } from './geo-data.ts';
import type { GeoData } from './geo-data.ts';
import { formatV4, formatV6 } from '../core/net/ip-format.ts';

let geo: GeoData;
let dir: string;

before(async () => {
  geo = await loadGeoData();
  dir = await mkdtemp(path.join(os.tmpdir(), 'bulwark-geo-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
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
});

test('operator-supplied files are used', async () => {
  const v4 = path.join(dir, 'v4.csv');
  await writeFile(v4, '8.8.8.0,8.8.8.255,64500,Example Org\n');
  const g = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false });
  assert.equal(g.lookup('8.8.8.8').asnOrg, 'Example Org');
  assert.equal(g.lookup('1.1.1.1').asn, null);
});

test('the ASN image is kept in cacheDir: a later load reads it, a changed CSV gets a new one, a damaged one is rebuilt', async () => {
  const cacheDir = path.join(dir, 'geo-cache');
  const v4 = path.join(dir, 'cached-v4.csv');
  await writeFile(v4, '8.8.8.0,8.8.8.255,64500,First Org\n');
  const first = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false, cacheDir });
  assert.equal(first.lookup('8.8.8.8').asnOrg, 'First Org');
  const images = await readdir(cacheDir);
  assert.equal(images.length, 1);
  assert.match(images[0]!, /^asn-[0-9a-f]+\.bin$/);
  const again = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false, cacheDir });
  assert.equal(again.lookup('8.8.8.8').asnOrg, 'First Org');
  assert.deepEqual(await readdir(cacheDir), images, 'read from the image, not rebuilt');
  await writeFile(v4, '8.8.8.0,8.8.8.255,64501,Second Org\n');
  await utimes(v4, new Date(), new Date(Date.now() + 5000));
  const changed = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false, cacheDir });
  assert.equal(changed.lookup('8.8.8.8').asnOrg, 'Second Org');
  const now = await readdir(cacheDir);
  assert.equal(now.length, 1, 'the old image is removed');
  assert.notDeepEqual(now, images);
  await writeFile(path.join(cacheDir, now[0]!), 'damaged');
  const rebuilt = await loadGeoData({ asnV4Path: v4, asnV6Path: false, countryPath: false, cacheDir });
  assert.equal(rebuilt.lookup('8.8.8.8').asn, 64501);
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
