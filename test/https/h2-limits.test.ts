/**
 * HTTP/2 flood limits over real TLS sockets: each limit ends the connection that floods it — GOAWAY
 * with the limit's code and name, one record `h2/<reason>` for the client, one refusal toward its
 * escalation — and the frame that broke it never reaches the pipeline. Graceful ends (requests per
 * connection, idle) are GOAWAY NO_ERROR with nothing held against the client. Each attack comes from its
 * own source address (127.0.19.x) so the escalation of one does not touch the next.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeFrame, headerBlock, requestBlock, u32 } from '../../src/core/http2/frame-encode.ts';
import { FLAG, FRAME, H2_ERROR } from '../../src/core/http2/frame-scanner.ts';
import { connectRawH2, rstStream, type RawH2 } from '../../src/drill/attackers/h2-raw.ts';
import { h2Request, h2Session, startHttpsBulwark, until, type HttpsBulwark } from '../helpers/https.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

let origin: SimpleOrigin;
let b: HttpsBulwark;
let nextSource = 10;

before(async () => {
  origin = await startSimpleOrigin((req, res) => {
    const slow = req.url?.startsWith('/slow');
    setTimeout(() => res.end('ok'), slow ? 3000 : 0);
  });
  b = await startHttpsBulwark({
    origin: origin.url,
    connections: { header_timeout: '1s' },
    http2: { idle_timeout: '1s', stream_idle_timeout: '1s' },
    policy: { escalation: { address_threshold: 2, address_window: '1m' } },
  });
});
after(async () => {
  await b.stop();
  await origin.close();
});

const HEADERS_END = FLAG.END_HEADERS | FLAG.END_STREAM;
const get = (id: number, path = '/') => encodeFrame(FRAME.HEADERS, HEADERS_END, id, requestBlock('alpha.test', path));

/** A fresh raw HTTP/2 connection from a source address no other test uses. */
async function attacker(ackSettings = true): Promise<{ c: RawH2; source: string }> {
  const source = `127.0.19.${nextSource++}`;
  const c = await connectRawH2({ host: '127.0.0.1', port: b.httpsPort, servername: 'alpha.test', localAddress: source, ackSettings });
  // The server's SETTINGS (and, when acknowledging, the ACK of ours) before the attack starts.
  await c.next((f) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) !== 0);
  return { c, source };
}

/** Waits for the GOAWAY and the server's close; checks the code, the debug data and the client's record. */
async function expectGoaway(c: RawH2, source: string, reason: string, code: number): Promise<void> {
  const f = await c.next((x) => x.type === FRAME.GOAWAY);
  assert.ok(f !== null, `a GOAWAY for ${reason}`);
  const g = c.goaway()!;
  assert.equal(g.code, code, `GOAWAY code for ${reason}`);
  assert.equal(g.debug, reason);
  assert.ok(await c.closed(3000), 'the server closes the connection');
  assert.ok(await until(() => b.records.some((r) => r.clientAddress === source && r.decisionBy === `h2/${reason}`)), `record h2/${reason}`);
  const rec = b.records.find((r) => r.clientAddress === source && r.decisionBy === `h2/${reason}`)!;
  assert.equal(rec.httpVersion, '2.0');
  assert.equal(rec.outcome, 'dropped');
  assert.equal(rec.site, 'alpha');
  assert.equal(rec.errorCode, `BULWARK_ERR_H2_${reason.toUpperCase()}`);
}

describe('HTTP/2 flood limits', () => {
  it('Rapid Reset (CVE-2023-44487): GOAWAY ENHANCE_YOUR_CALM; the streams after the limit never reach the pipeline', async () => {
    const { c, source } = await attacker();
    const frames: Buffer[] = [];
    for (let i = 0; i < 400; i++) frames.push(get(2 * i + 1), rstStream(2 * i + 1));
    c.send(Buffer.concat(frames));
    await expectGoaway(c, source, 'rapid_reset', H2_ERROR.ENHANCE_YOUR_CALM);
    const piped = b.records.filter((r) => r.clientAddress === source && !r.decisionBy.startsWith('h2/')).length;
    assert.ok(piped <= 101, `at most the reset burst of streams ran the pipeline (${piped} of 400)`);
  });

  it('MadeYouReset (CVE-2025-8671): streams the server must reset (malformed headers) end the connection', async () => {
    const { c, source } = await attacker();
    const frames: Buffer[] = [];
    for (let i = 0; i < 60; i++) {
      const block = headerBlock([[':method', 'GET'], [':scheme', 'https'], [':authority', 'alpha.test'], [':path', '/'], ['X-Upper-Case', 'is malformed in HTTP/2']]);
      frames.push(encodeFrame(FRAME.HEADERS, HEADERS_END, 2 * i + 1, block));
    }
    c.send(Buffer.concat(frames));
    await expectGoaway(c, source, 'provoked_resets', H2_ERROR.ENHANCE_YOUR_CALM);
  });

  it('CONTINUATION flood (CVE-2024-27316): more CONTINUATION frames than allowed in one header block', async () => {
    const { c, source } = await attacker();
    const frames = [encodeFrame(FRAME.HEADERS, FLAG.END_STREAM, 1, requestBlock('alpha.test', '/'))];
    for (let i = 0; i < 50; i++) frames.push(encodeFrame(FRAME.CONTINUATION, 0, 1, headerBlock([[`x-filler-${i}`, 'a'.repeat(100)]])));
    c.send(Buffer.concat(frames));
    await expectGoaway(c, source, 'continuation_flood', H2_ERROR.ENHANCE_YOUR_CALM);
  });

  it('a header block larger than twice max_header_list_size ends the connection', async () => {
    const { c, source } = await attacker();
    const big = (i: number) => headerBlock([[`x-big-${i}`, 'b'.repeat(16_300)]]);
    const frames = [encodeFrame(FRAME.HEADERS, FLAG.END_STREAM, 1, requestBlock('alpha.test', '/', [['x-big', 'b'.repeat(16_000)]]))];
    for (let i = 0; i < 4; i++) frames.push(encodeFrame(FRAME.CONTINUATION, 0, 1, big(i)));
    c.send(Buffer.concat(frames));
    await expectGoaway(c, source, 'header_block_too_large', H2_ERROR.ENHANCE_YOUR_CALM);
  });

  it('a header block left open ends the connection after connections.header_timeout', async () => {
    const { c, source } = await attacker();
    c.send(encodeFrame(FRAME.HEADERS, FLAG.END_STREAM, 1, requestBlock('alpha.test', '/')));
    await expectGoaway(c, source, 'header_block_timeout', H2_ERROR.ENHANCE_YOUR_CALM);
  });

  it('header list over max_header_list_size (32 KiB decoded): that stream is reset, the origin never sees it, the connection stays', async () => {
    const { c } = await attacker();
    const seenBefore = origin.requests.length;
    const filler = (i: number, n: number) => headerBlock([[`x-large-${i}`, 'l'.repeat(n)]]);
    c.send(Buffer.concat([
      encodeFrame(FRAME.HEADERS, FLAG.END_STREAM, 1, requestBlock('alpha.test', '/large')),
      encodeFrame(FRAME.CONTINUATION, 0, 1, filler(1, 16_000)),
      encodeFrame(FRAME.CONTINUATION, 0, 1, filler(2, 16_000)),
      encodeFrame(FRAME.CONTINUATION, FLAG.END_HEADERS, 1, filler(3, 8000)),
    ]));
    const rst = await c.next((f) => f.type === FRAME.RST_STREAM && f.streamId === 1);
    assert.ok(rst !== null, 'the stream is reset');
    assert.equal(rst.payload.readUInt32BE(0), H2_ERROR.ENHANCE_YOUR_CALM);
    assert.equal(c.goaway(), null, 'the connection stays');
    c.send(get(3, '/after'));
    assert.ok(await c.next((f) => f.type === FRAME.HEADERS && f.streamId === 3), 'the next request is answered');
    assert.ok(!origin.requests.slice(seenBefore).some((r) => r.url === '/large'));
    c.close();
  });

  it('HPACK table beyond SETTINGS_HEADER_TABLE_SIZE: the library ends the connection, recorded as h2/protocol_error', async () => {
    const { c, source } = await attacker();
    // A dynamic table size update to 64 KiB (RFC 7541 §6.3), over the 4 KiB Bulwark advertised.
    const update = Buffer.from([0x3f, 0xe1, 0xff, 0x03]);
    c.send(encodeFrame(FRAME.HEADERS, HEADERS_END, 1, Buffer.concat([update, requestBlock('alpha.test', '/')])));
    assert.ok(await c.closed(3000), 'the connection is closed');
    assert.ok(await until(() => b.records.some((r) => r.clientAddress === source && r.decisionBy === 'h2/protocol_error')), 'record h2/protocol_error');
  });

  it('stream flood: a stream beyond the acknowledged max_concurrent_streams is a PROTOCOL_ERROR', async () => {
    const { c, source } = await attacker();
    const frames: Buffer[] = [];
    for (let i = 0; i < 101; i++) frames.push(get(2 * i + 1, '/slow'));
    c.send(Buffer.concat(frames));
    await expectGoaway(c, source, 'stream_flood', H2_ERROR.PROTOCOL_ERROR);
  });

  it('stream flood before the limit was acknowledged: refused streams have their own budget', async () => {
    const { c, source } = await attacker(false);
    const frames: Buffer[] = [];
    for (let i = 0; i < 300; i++) frames.push(get(2 * i + 1, '/slow'));
    c.send(Buffer.concat(frames));
    await expectGoaway(c, source, 'refused_streams', H2_ERROR.ENHANCE_YOUR_CALM);
  });

  const controlFloods: [name: string, frame: Buffer, count: number, reason: string][] = [
    ['SETTINGS flood (CVE-2019-9515)', encodeFrame(FRAME.SETTINGS, 0, 0), 60, 'settings_flood'],
    ['PING flood (CVE-2019-9512)', encodeFrame(FRAME.PING, 0, 0, Buffer.alloc(8)), 60, 'ping_flood'],
    ['PRIORITY flood (CVE-2019-9513)', encodeFrame(FRAME.PRIORITY, 0, 3, Buffer.concat([u32(0), Buffer.from([16])])), 600, 'priority_flood'],
    ['WINDOW_UPDATE flood', encodeFrame(FRAME.WINDOW_UPDATE, 0, 0, u32(1)), 1000, 'window_update_flood'],
  ];
  for (const [name, frame, count, reason] of controlFloods) {
    it(`${name}: GOAWAY ENHANCE_YOUR_CALM`, async () => {
      const { c, source } = await attacker();
      c.send(Buffer.concat(Array.from({ length: count }, () => frame)));
      await expectGoaway(c, source, reason, H2_ERROR.ENHANCE_YOUR_CALM);
    });
  }

  it('empty frames flood (CVE-2019-9518): empty DATA frames without END_STREAM', async () => {
    const { c, source } = await attacker();
    const frames = [encodeFrame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock([[':method', 'POST'], [':scheme', 'https'], [':authority', 'alpha.test'], [':path', '/upload']]))];
    for (let i = 0; i < 60; i++) frames.push(encodeFrame(FRAME.DATA, 0, 1));
    c.send(Buffer.concat(frames));
    await expectGoaway(c, source, 'empty_frames', H2_ERROR.ENHANCE_YOUR_CALM);
  });

  it('a request body that stalls is reset (CANCEL) after stream_idle_timeout; the connection stays', async () => {
    const { c } = await attacker();
    c.send(encodeFrame(FRAME.HEADERS, FLAG.END_HEADERS, 1, headerBlock([[':method', 'POST'], [':scheme', 'https'], [':authority', 'alpha.test'], [':path', '/upload'], ['content-length', '100']])));
    c.send(encodeFrame(FRAME.DATA, 0, 1, Buffer.alloc(10)));
    const rst = await c.next((f) => f.type === FRAME.RST_STREAM && f.streamId === 1, 5000);
    assert.ok(rst !== null, 'the stalled stream is reset');
    assert.equal(rst.payload.readUInt32BE(0), H2_ERROR.CANCEL);
    assert.equal(c.goaway(), null, 'no GOAWAY for a stalled stream');
    c.close();
  });

  it('max_requests_per_connection: graceful GOAWAY NO_ERROR; the requests before it are answered; nothing recorded against the client', async () => {
    const small = await startHttpsBulwark({ origin: origin.url, http2: { max_requests_per_connection: 5 } });
    const source = `127.0.19.${nextSource++}`;
    const c = await connectRawH2({ host: '127.0.0.1', port: small.httpsPort, servername: 'alpha.test', localAddress: source });
    c.send(Buffer.concat([1, 3, 5, 7, 9].map((id) => get(id))));
    const f = await c.next((x) => x.type === FRAME.GOAWAY);
    assert.ok(f !== null);
    assert.equal(c.goaway()!.code, H2_ERROR.NO_ERROR);
    assert.equal(c.goaway()!.lastStreamId, 9);
    assert.ok(await until(() => c.frames.filter((x) => x.type === FRAME.HEADERS).length === 5), 'five answers');
    assert.ok(await c.closed(3000));
    assert.ok(!small.records.some((r) => r.clientAddress === source && r.decisionBy.startsWith('h2/')));
    assert.equal(small.records.filter((r) => r.clientAddress === source && r.status === 200).length, 5);
    await small.stop();
  });

  it('idle_timeout: a connection without streams gets a graceful GOAWAY', async () => {
    const { c, source } = await attacker();
    c.send(get(1));
    const f = await c.next((x) => x.type === FRAME.GOAWAY, 5000);
    assert.ok(f !== null);
    assert.equal(c.goaway()!.code, H2_ERROR.NO_ERROR);
    assert.ok(!b.records.some((r) => r.clientAddress === source && r.decisionBy.startsWith('h2/')));
  });

  it('escalation: a client ended twice for a limit is banned and dropped at accept', async () => {
    const source = `127.0.19.${nextSource++}`;
    for (let round = 0; round < 2; round++) {
      const c = await connectRawH2({ host: '127.0.0.1', port: b.httpsPort, servername: 'alpha.test', localAddress: source });
      c.send(Buffer.concat(Array.from({ length: 60 }, () => encodeFrame(FRAME.PING, 0, 0, Buffer.alloc(8)))));
      assert.ok(await c.closed(3000));
    }
    assert.ok(await until(() => b.bulwark.runtime().services.stores.bans.matchAddress(source, Date.now()) !== undefined), 'banned');
    await assert.rejects(connectRawH2({ host: '127.0.0.1', port: b.httpsPort, servername: 'alpha.test', localAddress: source }));
  });

  it('a browser-like client (50 requests at once on one connection, node:http2) meets no limit', async () => {
    const session = await h2Session(b.httpsPort, `127.0.19.${nextSource++}`);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => h2Request(session, { path: `/asset/${i}.css`, headers: { 'user-agent': 'Mozilla/5.0' } })));
    assert.ok(answers.every((a) => a.status === 200));
    session.close();
    assert.deepEqual(Object.keys(b.httpsStats().http2.goaway_by_reason).sort(), [
      'continuation_flood', 'empty_frames', 'header_block_timeout', 'header_block_too_large', 'ping_flood', 'priority_flood', 'protocol_error', 'provoked_resets', 'rapid_reset', 'refused_streams', 'settings_flood', 'stream_flood', 'window_update_flood',
    ]);
  });
});
