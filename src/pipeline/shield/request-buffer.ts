/**
 * Request buffering (docs/threats.md, "slow POST"; and the drill's slow POST finding): before a request with a body
 * competes for an origin slot, Bulwark receives its first `shield.request_buffer` bytes — the whole body
 * when it is that small (forms, API calls), the start of it otherwise. A client that uploads slowly
 * therefore costs Bulwark a little memory and the origin nothing (the slow-body guard cuts it off);
 * a large upload that arrives at a normal pace streams on after its first bytes. The bytes buffered at
 * once across all requests are capped; beyond the cap, or without a declared length, bodies stream as
 * before.
 */
import type { RequestContext } from '../context.ts';

/**
 * Without room in the budget, a body still has to show this many bytes (or all of a smaller one) before
 * its request is admitted; they are put back on the stream, so this costs no more than the stream's own
 * buffer.
 */
export const PROBE_BYTES = 16 * 1024;

/** Bytes all buffered request bodies may take at once. */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
let buffered = 0;

export function bufferedRequestBytes(): number {
  return buffered;
}

/**
 * How many bytes of this request's body to receive before admission (0: none): a declared
 * Content-Length, up to `limit`, within the global budget. Reserves them when it says yes.
 */
export function shouldBuffer(ctx: RequestContext, limit: number): number {
  const cl = ctx.req.headers['content-length'];
  if (cl === undefined || limit <= 0 || ctx.req.headers['transfer-encoding'] !== undefined) return 0;
  const n = Math.min(Number(cl), limit);
  if (!(n > 0) || buffered + n > MAX_BUFFERED_BYTES) return 0;
  buffered += n;
  return n;
}

/** The body to forward: whole (small bodies), or a received prefix followed by the rest as it streams. */
export type ReceivedBody = Buffer | AsyncIterable<Buffer>;

async function* prefixThenRest(prefix: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield prefix;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Receives the first `reserved` bytes (all of a body that small). Resolves to the body to forward, or
 * null when the client went away or the body broke; the reservation is returned either way.
 */
export function receiveBody(ctx: RequestContext, reserved: number): Promise<ReceivedBody | null> {
  const total = Number(ctx.req.headers['content-length']);
  return new Promise((resolve) => {
    const req = ctx.req;
    const chunks: Buffer[] = [];
    let got = 0;
    let done = false;
    const finish = (body: ReceivedBody | null) => {
      if (done) return;
      done = true;
      buffered -= reserved;
      req.off('data', onData);
      resolve(body);
    };
    const onData = (c: Buffer) => {
      got += c.length;
      chunks.push(c);
      if (got > total) return finish(null);
      if (got >= reserved && got < total) {
        // Enough to know the client sends at a real pace: the rest streams to the origin.
        req.pause();
        finish(prefixThenRest(Buffer.concat(chunks, got), (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]()));
      }
    };
    req.on('data', onData);
    req.once('end', () => finish(got === total ? Buffer.concat(chunks, got) : null));
    req.once('error', () => finish(null));
    req.once('close', () => finish(null));
  });
}

/**
 * For a body that is not buffered (no room in the budget): waits until its first PROBE_BYTES (or all of
 * it) have arrived, puts them back on the stream and resolves to true; false when the client went away.
 * A slow POST never gets this far (the slow-body guard cuts it off), so it never reaches the origin.
 */
export function awaitFirstBytes(ctx: RequestContext): Promise<boolean> {
  const total = Number(ctx.req.headers['content-length']);
  const want = Math.min(total, PROBE_BYTES);
  return new Promise((resolve) => {
    const req = ctx.req;
    const chunks: Buffer[] = [];
    let got = 0;
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      if (ok) {
        req.pause();
        if (got > 0) req.unshift(Buffer.concat(chunks, got));
      }
      resolve(ok);
    };
    const onData = (c: Buffer) => {
      got += c.length;
      chunks.push(c);
      if (got >= want) finish(true);
    };
    const onEnd = () => finish(got >= want);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', () => finish(false));
    req.once('close', () => finish(false));
  });
}
