import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseV4Range, parseV6Range } from './ip-parse.ts';

// The parser before the one-pass rewrite, kept as the oracle: the rewrite must accept and reject the
// same texts and produce the same words.
/** Value of one hex digit char code, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20; // fold to lower case
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * Parse IPv6 text in `s[start, end)` (no brackets, no zone) into `out[0..3]`.
 * Returns false when the text is not a valid RFC 4291 address.
 */
function previousParseV6Range(s: string, start: number, end: number, out: Uint32Array): boolean {
  const g = new Int32Array(8);
  let n = 0; // groups written
  let gap = -1; // index in `groups` where `::` stands
  let i = start;
  if (i + 1 < end && s.charCodeAt(i) === 58 && s.charCodeAt(i + 1) === 58) {
    gap = 0;
    i += 2;
  }
  while (i < end) {
    let hex = 0;
    let j = i;
    while (j < end && j - i < 5) {
      const v = hexValue(s.charCodeAt(j));
      if (v < 0) break;
      hex = hex * 16 + v;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      // Embedded dotted IPv4: must be the last 32 bits.
      if (n > 6) return false;
      const v4 = parseV4Range(s, i, end);
      if (v4 < 0) return false;
      g[n++] = v4 >>> 16;
      g[n++] = v4 & 0xffff;
      i = end;
      break;
    }
    const digits = j - i;
    if (digits === 0 || digits > 4 || n === 8) return false;
    g[n++] = hex;
    i = j;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false; // a second `::`
      gap = n;
      i++;
    } else if (i === end) {
      return false; // trailing single colon
    }
  }
  if (gap < 0) {
    if (n !== 8) return false;
  } else {
    if (n > 7) return false; // `::` stands for at least one zero group
    const tail = n - gap;
    for (let k = 0; k < tail; k++) g[7 - k] = g[n - 1 - k];
    for (let k = gap; k < 8 - tail; k++) g[k] = 0;
  }
  out[0] = g[0] * 65536 + g[1];
  out[1] = g[2] * 65536 + g[3];
  out[2] = g[4] * 65536 + g[5];
  out[3] = g[6] * 65536 + g[7];
  return true;
}


test('property: parseV6Range agrees with the previous parser on near-address texts', () => {
  const piece = fc.constantFrom('', '0', '1', 'a', 'F', 'ff', '1234', 'abcd', '12345', 'fffff', '0000', 'g', '.', ':', '::', '1.2.3.4', '255.255.255.255', '256.1.1.1', '01.2.3.4', 'ffff');
  const text = fc.oneof(
    fc.array(piece, { maxLength: 12 }).map((xs) => xs.join(':')),
    fc.array(piece, { maxLength: 12 }).map((xs) => xs.join('')),
    fc.array(fc.constantFrom('0', '9', 'a', 'f', 'A', 'F', 'g', ':', '.', ' '), { maxLength: 45 }).map((xs) => xs.join('')),
  );
  fc.assert(
    fc.property(text, (s) => {
      const a = new Uint32Array(4);
      const b = new Uint32Array(4);
      const ok = parseV6Range(s, 0, s.length, a);
      assert.equal(ok, previousParseV6Range(s, 0, s.length, b), s);
      if (ok) assert.deepEqual([...a], [...b], s);
    }),
    { numRuns: 20_000 },
  );
});

test('parseV6Range on the RFC 4291 forms', () => {
  const cases: Array<[string, number[] | null]> = [
    ['::', [0, 0, 0, 0]],
    ['::1', [0, 0, 0, 1]],
    ['2001:db8::ff00:42:8329', [0x20010db8, 0, 0xff00, 0x00428329]],
    ['2001:DB8:0:0:8:800:200C:417A', [0x20010db8, 0, 0x80800, 0x200c417a]],
    ['::ffff:192.0.2.1', [0, 0, 0xffff, 0xc0000201]],
    ['1:2:3:4:5:6:7:8', [0x10002, 0x30004, 0x50006, 0x70008]],
    ['1:2:3:4:5:6:7:8:9', null],
    ['12345::', null],
    ['1::2::3', null],
    ['1:', null],
    [':1', null],
    ['1:2:3:4:5:6:7::', [0x10002, 0x30004, 0x50006, 0x70000]],
    ['1:2:3:4:5:6:7:8::', null],
    ['::1.2.3.4.5', null],
    ['1234.1.1.1', null],
  ];
  for (const [s, words] of cases) {
    const out = new Uint32Array(4);
    const ok = parseV6Range(s, 0, s.length, out);
    assert.equal(ok, words !== null, s);
    if (words !== null) assert.deepEqual([...out], words, s);
  }
});
