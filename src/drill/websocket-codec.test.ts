import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptKey, createFrameParser, encodeFrame, OPCODE } from './websocket-codec.ts';

test('acceptKey: the RFC 6455 §1.3 example', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('frames round-trip at every length encoding, masked and not, split at every byte', () => {
  for (const len of [0, 1, 125, 126, 127, 65535, 65536, 70_000]) {
    for (const mask of [false, true]) {
      const payload = Buffer.alloc(len, len % 251);
      const wire = encodeFrame({ opcode: OPCODE.binary, payload, mask });
      const parser = createFrameParser();
      const [frame] = parser.push(wire);
      assert.ok(frame, `len ${len}`);
      assert.deepEqual(frame.payload, payload);
      assert.equal(frame.fin, true);
      assert.equal(parser.buffered(), 0);
    }
  }
  const wire = Buffer.concat([encodeFrame({ opcode: OPCODE.text, payload: Buffer.from('abc'), mask: true }), encodeFrame({ fin: false, opcode: OPCODE.text, payload: Buffer.from('de') })]);
  const parser = createFrameParser();
  const frames = [...wire].flatMap((b) => parser.push(Buffer.from([b])));
  assert.deepEqual(frames.map((f) => [f.payload.toString(), f.fin]), [['abc', true], ['de', false]]);
});

test('parser errors: unmasked client frame, reserved bits, oversized frame', () => {
  const unmasked = encodeFrame({ opcode: OPCODE.text, payload: Buffer.from('x') });
  assert.throws(() => createFrameParser({ requireMask: true }).push(unmasked), { code: 'BULWARK_ERR_DRILL_WEBSOCKET' });
  const rsv = Buffer.from(unmasked);
  rsv[0] |= 0x40;
  assert.throws(() => createFrameParser().push(rsv), { code: 'BULWARK_ERR_DRILL_WEBSOCKET' });
  const big = encodeFrame({ opcode: OPCODE.binary, payload: Buffer.alloc(2000) });
  assert.throws(() => createFrameParser({ maxPayloadBytes: 1000 }).push(big.subarray(0, 4)), /over the 1000 cap/);
});
