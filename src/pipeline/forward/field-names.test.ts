import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIELD_CONNECTION, FIELD_DROP, FIELD_KEEP, FIELD_VIA, INVALID_VALUE, MAX_FORWARD_FIELD_NAMES, MAX_REMEMBERED_VALUE, forwardFieldNames, latin1, plainConnectionBytes, rememberValue, rememberedValue, requestFieldKind, responseFieldName } from './field-names.ts';

test('request fields: hop-by-hop and Bulwark-set fields dropped, Connection and Via singled out, any spelling', () => {
  const table: [string, number][] = [
    ['Accept', FIELD_KEEP], ['accept', FIELD_KEEP], ['X-Bench-N', FIELD_KEEP], ['Cookie', FIELD_KEEP],
    ['Connection', FIELD_CONNECTION], ['CONNECTION', FIELD_CONNECTION], ['Via', FIELD_VIA], ['vIA', FIELD_VIA],
    ['Keep-Alive', FIELD_DROP], ['TE', FIELD_DROP], ['Upgrade', FIELD_DROP], ['Transfer-Encoding', FIELD_DROP], ['Proxy-Authorization', FIELD_DROP],
    ['Host', FIELD_DROP], ['X-Forwarded-For', FIELD_DROP], ['X-Request-Id', FIELD_DROP], ['X-Original-URL', FIELD_DROP], ['Expect', FIELD_DROP],
    ['__proto__', FIELD_KEEP], ['constructor', FIELD_KEEP],
  ];
  // Twice: the first answer is decided, the second remembered; both must agree.
  for (let round = 0; round < 2; round++) for (const [name, kind] of table) assert.equal(requestFieldKind(name), kind, `${name} (round ${round})`);
});

test("response fields: decided from the bytes, remembered in the origin's spelling, freshness fields marked", () => {
  const table: [string, number, boolean][] = [
    ['Content-Type', FIELD_KEEP, false], ['content-length', FIELD_KEEP, false], ['Set-Cookie', FIELD_KEEP, false],
    ['Cache-Control', FIELD_KEEP, true], ['EXPIRES', FIELD_KEEP, true], ['expires', FIELD_KEEP, true],
    ['Connection', FIELD_CONNECTION, false], ['Keep-Alive', FIELD_DROP, false], ['Transfer-Encoding', FIELD_DROP, false],
    ['X-Request-Id', FIELD_DROP, false], ['Via', FIELD_VIA, false], ['__proto__', FIELD_KEEP, false],
  ];
  for (let round = 0; round < 2; round++) {
    for (const [name, kind, freshness] of table) {
      // undici hands over views into a larger buffer: the name's bytes only must count.
      const big = Buffer.from(`xx${name}yy`, 'latin1');
      const f = responseFieldName(big.subarray(2, 2 + name.length));
      assert.equal(f.name, name);
      assert.equal(f.kind, kind, name);
      assert.equal(f.freshness, freshness, name);
      assert.deepEqual(responseFieldName(name), f, `${name} as a string`);
    }
  }
  // Same length, same hash neighbourhood: a name is never confused with another of its length.
  assert.equal(responseFieldName(Buffer.from('Content-Typf')).name, 'Content-Typf');
  assert.equal(responseFieldName(Buffer.from('Content-Typf')).kind, FIELD_KEEP);
});

test('bytes above 0x7f come back one character per byte (latin1), as node:http writes them', () => {
  const bytes = Buffer.from([0x58, 0xe9, 0xff, 0x41]);
  assert.equal(latin1(bytes), 'X\u00e9\u00ffA');
  assert.equal(responseFieldName(bytes).name, 'X\u00e9\u00ffA');
  assert.equal(latin1('as is'), 'as is');
});

test('a flood of distinct names fills each memory to its cap and no further; decisions stay right beyond it', () => {
  for (let i = 0; forwardFieldNames().request < MAX_FORWARD_FIELD_NAMES && i < MAX_FORWARD_FIELD_NAMES * 2; i++) requestFieldKind(`X-Random-${i}`);
  for (let i = 0; forwardFieldNames().response < MAX_FORWARD_FIELD_NAMES && i < MAX_FORWARD_FIELD_NAMES * 2; i++) responseFieldName(Buffer.from(`X-Random-${i}`));
  assert.deepEqual(forwardFieldNames(), { request: MAX_FORWARD_FIELD_NAMES, response: MAX_FORWARD_FIELD_NAMES, cap: MAX_FORWARD_FIELD_NAMES });
  for (let i = 0; i < 100; i++) {
    assert.equal(requestFieldKind(`X-Other-${i}`), FIELD_KEEP);
    assert.equal(responseFieldName(Buffer.from(`X-Other-${i}`)).kind, FIELD_KEEP);
  }
  assert.equal(requestFieldKind('X-Forwarded-Host-Is-Not'), FIELD_KEEP);
  assert.equal(requestFieldKind('X-FORWARDED-HOST'), FIELD_DROP);
  assert.equal(responseFieldName(Buffer.from('KEEP-ALIVE')).kind, FIELD_DROP);
  assert.equal(responseFieldName(Buffer.from('Cache-control')).freshness, true);
  assert.deepEqual(forwardFieldNames(), { request: MAX_FORWARD_FIELD_NAMES, response: MAX_FORWARD_FIELD_NAMES, cap: MAX_FORWARD_FIELD_NAMES });
});

test('a response value is reused when the same bytes come again under the same name; long values are not remembered', () => {
  const field = responseFieldName(Buffer.from('X-Value-Test'));
  assert.equal(rememberedValue(field, Buffer.from('text/html')), null);
  rememberValue(field, 'text/html');
  const again = rememberedValue(field, Buffer.from('xtext/htmlx').subarray(1, 10));
  assert.equal(again, 'text/html');
  assert.equal(rememberedValue(field, Buffer.from('text/htmm')), null);
  assert.equal(rememberedValue(field, Buffer.from('text/html; charset=utf-8')), null);
  assert.equal(rememberedValue(field, 'text/html'), 'text/html');
  rememberValue(field, 'x'.repeat(MAX_REMEMBERED_VALUE + 1));
  assert.equal(rememberedValue(field, Buffer.from('text/html')), 'text/html', 'a long value does not replace the remembered one');
  assert.equal(INVALID_VALUE.test('a\u0001b'), true);
  assert.equal(INVALID_VALUE.test('tab\there caf\u00e9'), false);
});

test('Connection values that name no field, recognised from their bytes', () => {
  for (const v of ['keep-alive', 'close']) assert.equal(plainConnectionBytes(Buffer.from(v)), true, v);
  for (const v of ['Keep-Alive', 'close, x-secret', 'upgrade', 'keep-alivf', '']) assert.equal(plainConnectionBytes(Buffer.from(v)), false, v);
});
