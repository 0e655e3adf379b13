import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { sha256, sha256LeadingZeroBits, createHmacSha256Key, hmacSha256 } from './sha256.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('sha256 matches FIPS 180-4 test vectors', () => {
  assert.equal(hex(sha256(Buffer.from(''))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hex(sha256(Buffer.from('abc'))), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(
    hex(sha256(Buffer.from('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
});

test('sha256 agrees with node:crypto on every length 0..300', () => {
  for (let n = 0; n <= 300; n++) {
    const data = Buffer.alloc(n, n & 0xff);
    assert.equal(hex(sha256(data)), createHash('sha256').update(data).digest('hex'), `length ${n}`);
  }
});

test('property: sha256 agrees with node:crypto on random inputs', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 260 }), (data) => hex(sha256(data)) === createHash('sha256').update(data).digest('hex')),
    { numRuns: 500 },
  );
});

test('property: hmacSha256 agrees with node:crypto for any key and message', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ maxLength: 200 }), (key, msg) => {
      const out = new Uint8Array(32);
      hmacSha256(createHmacSha256Key(key), msg, msg.length, out);
      return hex(out) === createHmac('sha256', key).update(msg).digest('hex');
    }),
    { numRuns: 500 },
  );
});

test('hmacSha256 matches RFC 4231 test case 2', () => {
  const out = new Uint8Array(32);
  const msg = Buffer.from('what do ya want for nothing?');
  hmacSha256(createHmacSha256Key(Buffer.from('Jefe')), msg, msg.length, out);
  assert.equal(hex(out), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
});

test('sha256LeadingZeroBits counts the leading zero bits of the digest', () => {
  for (let i = 0; i < 200; i++) {
    const data = Buffer.from(`seed-${i}`);
    const digest = createHash('sha256').update(data).digest();
    let zeros = 0;
    for (const byte of digest) {
      if (byte === 0) { zeros += 8; continue; }
      zeros += Math.clz32(byte) - 24;
      break;
    }
    assert.equal(sha256LeadingZeroBits(data), zeros);
  }
});
