import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CLIENT_PREFACE, FLAG, FRAME, FrameScanner, h2ErrorName, type FrameVisitor } from './frame-scanner.ts';
import { encodeFrame as rawFrame, u32 } from './frame-encode.ts';

type Seen = [type: number, flags: number, id: number, length: number, code: number, padding: number];

function collector(stopAt = -1): { seen: Seen[]; visitor: FrameVisitor } {
  const seen: Seen[] = [];
  return {
    seen,
    visitor: {
      frame(type, flags, id, length, code, padding) {
        seen.push([type, flags, id, length, code, padding]);
        return seen.length !== stopAt;
      },
    },
  };
}

const STREAM = Buffer.concat([
  Buffer.from(CLIENT_PREFACE),
  rawFrame(FRAME.SETTINGS, 0, 0, Buffer.alloc(6)),
  rawFrame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, Buffer.alloc(20, 1)),
  rawFrame(FRAME.RST_STREAM, 0, 1, u32(8)),
  rawFrame(FRAME.DATA, FLAG.PADDED, 3, Buffer.from([4, 0, 0, 0, 0])),
  rawFrame(FRAME.GOAWAY, 0, 0, Buffer.concat([u32(7), u32(11), Buffer.from('bye')])),
  rawFrame(FRAME.WINDOW_UPDATE, 0, 0, u32(1000)),
]);

const EXPECTED: Seen[] = [
  [FRAME.SETTINGS, 0, 0, 6, 0, 0],
  [FRAME.HEADERS, 5, 1, 20, 0, 0],
  [FRAME.RST_STREAM, 0, 1, 4, 8, 0],
  [FRAME.DATA, FLAG.PADDED, 3, 5, 0, 4],
  [FRAME.GOAWAY, 0, 0, 11, 11, 0],
  [FRAME.WINDOW_UPDATE, 0, 0, 4, 0, 0],
];

describe('frame scanner', () => {
  it('reads every frame header, the reset and GOAWAY codes and the pad length, after the preface', () => {
    const c = collector();
    assert.equal(new FrameScanner(true).feed(STREAM, c.visitor), STREAM.length);
    assert.deepEqual(c.seen, EXPECTED);
  });

  it('reads the same frames however the stream is cut into chunks (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: STREAM.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const s = new FrameScanner(true);
        const c = collector();
        let from = 0;
        for (const p of [...points, STREAM.length]) {
          s.feed(STREAM.subarray(from, p), c.visitor);
          from = p;
        }
        assert.deepEqual(c.seen, EXPECTED);
      }),
    );
  });

  it('stops at a refused frame and says where it starts in the chunk', () => {
    const c = collector(3);
    const at = new FrameScanner(true).feed(STREAM, c.visitor);
    const rstStart = 24 + (9 + 6) + (9 + 20);
    assert.equal(at, rstStart);
    assert.equal(c.seen.length, 3);
  });

  it('a refused frame whose header began in an earlier chunk is cut at the chunk start', () => {
    const s = new FrameScanner(false);
    const frame = rawFrame(FRAME.PING, 0, 0, Buffer.alloc(8));
    assert.equal(s.feed(frame.subarray(0, 4), collector(1).visitor), 4);
    assert.equal(s.feed(frame.subarray(4), collector(1).visitor), 0);
  });

  it('names error codes', () => {
    assert.equal(h2ErrorName(0xb), 'enhance_your_calm');
    assert.equal(h2ErrorName(0x1), 'protocol_error');
    assert.equal(h2ErrorName(0x99), 'code_153');
  });
});
