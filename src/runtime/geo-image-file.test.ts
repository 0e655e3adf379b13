import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, open, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildGeoImageFile } from './geo-image-build.ts';
import { openGeoImage } from './geo-image-file.ts';

let dir: string;
let image: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'bulwark-geo-file-'));
  const v4 = path.join(dir, 'v4.csv');
  // Enough ranges for several blocks, so a damaged block is one among others.
  await writeFile(v4, Array.from({ length: 200 }, (_, i) => `${i + 1}.0.0.0,${i + 1}.0.255.255,${64500 + (i % 3)},Org ${i % 3}`).join('\n'));
  const v6 = path.join(dir, 'v6.csv');
  await writeFile(v6, '2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64511,Doc Net\n');
  image = path.join(dir, 'image.bin');
  buildGeoImageFile({ v4Path: v4, v6Path: v6, countryPath: null, out: image });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('a sound image is read one block per lookup, from the open descriptor even once the file is deleted', async () => {
  const copy = path.join(dir, 'copy.bin');
  await copyFile(image, copy);
  const r = await openGeoImage(copy);
  await rm(copy);
  assert.ok(r.head.v4.blocks > 3);
  assert.deepEqual(r.recordV4(0x07000001), { asn: 64500, asnOrg: 'Org 0', country: null, label: 'public' });
  assert.deepEqual(r.recordV4(0x07010001), { asn: null, asnOrg: null, country: null, label: 'public' });
  assert.deepEqual(r.recordV6(Uint32Array.of(0x20010db8, 0, 0, 1)), { asn: 64511, asnOrg: 'Doc Net', country: null, label: 'public' });
  assert.deepEqual(r.damage(), { reads: 0, last: null });
  r.close();
  assert.equal(r.recordV4(0x07000001), null, 'a closed image answers nothing');
});

test('a truncated, damaged or foreign file is refused at open with BULWARK_ERR_GEO_ASN_CORRUPT', async () => {
  const bytes = await readFile(image);
  const probe = await openGeoImage(image);
  const blockAt = probe.head.v4.offsets[2]!;
  probe.close();
  const variants: Array<[string, (f: string) => Promise<void>, RegExp]> = [
    ['cut in the blocks', (f) => truncate(f, bytes.length - 100), /truncated/],
    ['cut in the head', (f) => truncate(f, 40), /truncated/],
    ['empty', (f) => truncate(f, 0), /truncated/],
    ['a flipped bit in a block', async (f) => {
      const fh = await open(f, 'r+');
      await fh.write(Uint8Array.of(bytes[blockAt + 9]! ^ 4), 0, 1, blockAt + 9);
      await fh.close();
    }, /block 2 of IPv4: checksum mismatch/],
    ['not an image', (f) => writeFile(f, 'BWASN001 an image of the previous format'), /not a geo image/],
  ];
  for (const [name, damage, why] of variants) {
    const f = path.join(dir, 'damaged.bin');
    await copyFile(image, f);
    await damage(f);
    await assert.rejects(openGeoImage(f), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'BULWARK_ERR_GEO_ASN_CORRUPT', name);
      assert.match(err.message, why, name);
      return true;
    });
  }
});

test('a block damaged after open gives no answer (never a wrong one) and is counted', async () => {
  const f = path.join(dir, 'later.bin');
  await copyFile(image, f);
  const r = await openGeoImage(f);
  const b = 3;
  const at = r.head.v4.offsets[b]! + 12;
  const fh = await open(f, 'r+');
  await fh.write(Uint8Array.of(0xff, 0xff), 0, 2, at);
  await fh.close();
  const inBlock = r.head.v4.starts[b]!;
  assert.equal(r.recordV4(inBlock), null);
  assert.equal(r.damage().reads, 1);
  assert.match(r.damage().last ?? '', /IPv4 block 3: checksum mismatch/);
  assert.notEqual(r.recordV4(r.head.v4.starts[1]!), null, 'other blocks still answer');
  await truncate(f, r.head.v4.offsets[1]! + 4);
  assert.equal(r.recordV4(r.head.v4.starts[2]!), null, 'a file cut after open: no answer');
  assert.match(r.damage().last ?? '', /truncated/);
  r.close();
});
