import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConnectionGuard, type ConnectionLimits, type Violation } from './connection-guard.ts';
import { FLAG, FRAME, H2_ERROR } from './frame-scanner.ts';

const LIMITS: ConnectionLimits = {
  maxConcurrentStreams: 100,
  maxContinuations: 4,
  maxHeaderBlockBytes: 65_536,
  clientResets: { rate: 50, burst: 100, perConnection: 500 },
  provokedResets: { rate: 10, burst: 20, perConnection: 100 },
  refusedStreams: { rate: 10, burst: 100 },
  settings: { rate: 5, burst: 20 },
  ping: { rate: 5, burst: 20 },
  priority: { rate: 100, burst: 300 },
  windowUpdate: { rate: 100, burst: 500 },
  emptyFrames: { rate: 5, burst: 20 },
};

const HEADERS_END = FLAG.END_HEADERS | FLAG.END_STREAM;

/** Feeds frames from the client until a violation; returns it and how many frames passed. */
function floodIn(g: ConnectionGuard, frames: number, next: (i: number) => [type: number, flags: number, id: number, length: number, padding?: number], nowMs = 0): { v: Violation | null; passed: number } {
  for (let i = 0; i < frames; i++) {
    const [type, flags, id, length, padding] = next(i);
    const v = g.inbound(type, flags, id, length, padding ?? 0, nowMs);
    if (v !== null) return { v, passed: i };
  }
  return { v: null, passed: frames };
}

/** A browser-like start: SETTINGS, ACK of ours, a window update. */
function handshake(g: ConnectionGuard): void {
  g.inbound(FRAME.SETTINGS, 0, 0, 18, 0, 0);
  g.inbound(FRAME.SETTINGS, FLAG.ACK, 0, 0, 0, 0);
  g.inbound(FRAME.WINDOW_UPDATE, 0, 0, 4, 0, 0);
}

describe('HTTP/2 connection guard', () => {
  it('Rapid Reset (CVE-2023-44487): HEADERS + RST_STREAM pairs end the connection after the reset burst', () => {
    const g = new ConnectionGuard(LIMITS);
    handshake(g);
    const r = floodIn(g, 1000, (i) => (i % 2 === 0 ? [FRAME.HEADERS, HEADERS_END, 2 * i + 1, 30] : [FRAME.RST_STREAM, 0, 2 * i - 1, 4]));
    assert.equal(r.v?.reason, 'rapid_reset');
    assert.equal(r.v?.code, H2_ERROR.ENHANCE_YOUR_CALM);
    assert.equal(r.passed, 2 * 100 + 1, 'the 101st reset is refused');
  });

  it('Rapid Reset, slowly: the per-connection cap ends a connection that stays under the rate', () => {
    const g = new ConnectionGuard(LIMITS);
    let v: Violation | null = null;
    let resets = 0;
    for (let i = 0; v === null && i < 10_000; i++) {
      const t = i * 40; // 25 resets a second, half the rate
      v = g.inbound(FRAME.HEADERS, HEADERS_END, 2 * i + 1, 30, 0, t) ?? g.inbound(FRAME.RST_STREAM, 0, 2 * i + 1, 4, 0, t);
      if (v === null) resets++;
    }
    assert.equal(v?.reason, 'rapid_reset');
    assert.match(v!.detail, /500 streams reset/);
    assert.equal(resets, 500);
  });

  it('MadeYouReset (CVE-2025-8671): resets the server had to send count; Bulwark\'s own and graceful ones do not', () => {
    const g = new ConnectionGuard(LIMITS);
    handshake(g);
    for (let id = 1; id <= 61; id += 2) g.inbound(FRAME.HEADERS, HEADERS_END, id, 30, 0, 0);
    g.markOwnReset(1);
    assert.equal(g.outbound(FRAME.RST_STREAM, 0, 1, 4, H2_ERROR.INTERNAL_ERROR, 0), null, 'own reset');
    assert.equal(g.outbound(FRAME.RST_STREAM, 0, 3, 4, H2_ERROR.NO_ERROR, 0), null, 'graceful');
    assert.equal(g.outbound(FRAME.RST_STREAM, 0, 5, 4, H2_ERROR.CANCEL, 0), null, 'cancel');
    let v: Violation | null = null;
    let provoked = 0;
    for (let id = 7; v === null && id <= 61; id += 2) {
      v = g.outbound(FRAME.RST_STREAM, 0, id, 4, H2_ERROR.PROTOCOL_ERROR, 0);
      if (v === null) provoked++;
    }
    assert.equal(provoked, 20);
    assert.equal(v?.reason, 'provoked_resets');
  });

  it('stream flood: a stream beyond the acknowledged limit is a PROTOCOL_ERROR; closed streams free their place', () => {
    const g = new ConnectionGuard(LIMITS);
    handshake(g);
    for (let id = 1; id <= 199; id += 2) assert.equal(g.inbound(FRAME.HEADERS, HEADERS_END, id, 30, 0, 0), null);
    assert.equal(g.openStreams, 100);
    // The server answers stream 1 (its END_STREAM closes it): one place free.
    g.outbound(FRAME.HEADERS, FLAG.END_HEADERS, 1, 20, 0, 0);
    g.outbound(FRAME.DATA, FLAG.END_STREAM, 1, 100, 0, 0);
    assert.equal(g.inbound(FRAME.HEADERS, HEADERS_END, 201, 30, 0, 0), null);
    const v = g.inbound(FRAME.HEADERS, HEADERS_END, 203, 30, 0, 0);
    assert.equal(v?.reason, 'stream_flood');
    assert.equal(v?.code, H2_ERROR.PROTOCOL_ERROR);
  });

  it('stream flood before the limit was acknowledged: refused streams count against their own budget', () => {
    const g = new ConnectionGuard(LIMITS);
    const r = floodIn(g, 1000, (i) => [FRAME.HEADERS, HEADERS_END, 2 * i + 1, 30]);
    assert.equal(r.v?.reason, 'refused_streams');
    assert.equal(r.passed, 100 + 100);
    // The library's REFUSED_STREAM answers for those are not provoked resets.
    assert.equal(g.outbound(FRAME.RST_STREAM, 0, 201, 4, H2_ERROR.REFUSED_STREAM, 0), null);
    assert.equal(g.provokedResets, 0);
  });

  it('CONTINUATION flood (CVE-2024-27316): more CONTINUATIONs than allowed in one block', () => {
    const g = new ConnectionGuard(LIMITS);
    handshake(g);
    assert.equal(g.inbound(FRAME.HEADERS, FLAG.END_STREAM, 1, 100, 0, 5), null);
    assert.equal(g.blockSinceMs, 5);
    const r = floodIn(g, 100, () => [FRAME.CONTINUATION, 0, 1, 10]);
    assert.equal(r.v?.reason, 'continuation_flood');
    assert.equal(r.passed, 4);
  });

  it('CONTINUATION flood with few large frames: the header block byte cap', () => {
    const g = new ConnectionGuard({ ...LIMITS, maxContinuations: 8 });
    g.inbound(FRAME.HEADERS, 0, 1, 16_384, 0, 0);
    const r = floodIn(g, 8, () => [FRAME.CONTINUATION, 0, 1, 16_384]);
    assert.equal(r.v?.reason, 'header_block_too_large');
    assert.equal(r.passed, 3);
  });

  it('a header block that ends resets the count (legitimate large headers pass)', () => {
    const g = new ConnectionGuard(LIMITS);
    for (let id = 1; id < 40; id += 2) {
      assert.equal(g.inbound(FRAME.HEADERS, FLAG.END_STREAM, id, 16_384, 0, 0), null);
      assert.equal(g.inbound(FRAME.CONTINUATION, FLAG.END_HEADERS, id, 8000, 0, 0), null);
      g.outbound(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, id, 20, 0, 0);
    }
    assert.equal(g.blockSinceMs, -1);
  });

  const floods: [name: string, frame: [number, number, number, number, number?], reason: string, burst: number][] = [
    ['SETTINGS flood (CVE-2019-9515)', [FRAME.SETTINGS, 0, 0, 6], 'settings_flood', 20],
    ['PING flood (CVE-2019-9512)', [FRAME.PING, 0, 0, 8], 'ping_flood', 20],
    ['PRIORITY flood (CVE-2019-9513)', [FRAME.PRIORITY, 0, 3, 5], 'priority_flood', 300],
    ['unknown frame flood', [0x42, 0, 0, 3], 'priority_flood', 300],
    ['WINDOW_UPDATE flood', [FRAME.WINDOW_UPDATE, 0, 0, 4], 'window_update_flood', 500],
    ['empty DATA frames (CVE-2019-9518)', [FRAME.DATA, 0, 1, 0], 'empty_frames', 20],
    ['padding-only DATA frames (CVE-2019-9518)', [FRAME.DATA, FLAG.PADDED, 1, 5, 4], 'empty_frames', 20],
  ];
  for (const [name, frame, reason, burst] of floods) {
    it(`${name}: GOAWAY ENHANCE_YOUR_CALM after the burst`, () => {
      const g = new ConnectionGuard(LIMITS);
      const r = floodIn(g, 10_000, () => frame);
      assert.equal(r.v?.reason, reason);
      assert.equal(r.v?.code, H2_ERROR.ENHANCE_YOUR_CALM);
      assert.equal(r.passed, burst);
    });
  }

  it('budgets refill with time: a steady rate under the limit never trips', () => {
    const g = new ConnectionGuard(LIMITS);
    for (let i = 0; i < 5000; i++) assert.equal(g.inbound(FRAME.PING, 0, 0, 8, 0, i * 250), null); // 4/s < 5/s
  });

  it('data Bulwark sent earns the WINDOW_UPDATEs that acknowledge it (a big download with a small window)', () => {
    const g = new ConnectionGuard(LIMITS);
    g.inbound(FRAME.HEADERS, HEADERS_END, 1, 30, 0, 0);
    // 100 MB in 16 KiB frames within one second; the client acknowledges every 32 KiB.
    for (let sent = 0; sent < 100 * 1024 * 1024; sent += 16_384) {
      g.outbound(FRAME.DATA, 0, 1, 16_384, 0, 0);
      if (sent % 32_768 === 0) assert.equal(g.inbound(FRAME.WINDOW_UPDATE, 0, 1, 4, 0, 0), null);
    }
  });

  it('a browser page load (50 assets, some cancelled) stays within every budget', () => {
    const g = new ConnectionGuard(LIMITS);
    handshake(g);
    let t = 0;
    for (let id = 1; id <= 101; id += 2) {
      t += 5;
      assert.equal(g.inbound(FRAME.HEADERS, HEADERS_END | FLAG.PRIORITY, id, 60, 0, t), null);
      g.outbound(FRAME.HEADERS, FLAG.END_HEADERS, id, 40, 0, t);
      g.outbound(FRAME.DATA, FLAG.END_STREAM, id, 20_000, 0, t);
      if (id % 7 === 0) assert.equal(g.inbound(FRAME.WINDOW_UPDATE, 0, 0, 4, 0, t), null);
    }
    for (let id = 103; id <= 113; id += 2) {
      assert.equal(g.inbound(FRAME.HEADERS, HEADERS_END, id, 60, 0, t), null);
      assert.equal(g.inbound(FRAME.RST_STREAM, 0, id, 4, 0, t), null);
    }
    assert.equal(g.openStreams, 0);
    assert.deepEqual(g.counts(), { streamsOpened: 57, clientResets: 6, provokedResets: 0, refusedStreams: 0, frames: 3 + 51 + 7 + 12 });
  });
});
