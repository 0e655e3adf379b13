/**
 * Request buffering (issue #5, and the drill's slow POST finding): a request body up to
 * `shield.request_buffer` is received whole before the request competes for an origin slot, so a
 * client that uploads slowly costs Bulwark a little memory and the origin nothing. The bytes buffered
 * at once across all requests are capped; beyond the cap (or for bodies without a declared length, or
 * larger ones) the body streams as before.
 */
import type { RequestContext } from '../../pipeline/context.ts';

/** Bytes all buffered request bodies may take at once. */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;
let buffered = 0;

export function bufferedRequestBytes(): number {
  return buffered;
}

/**
 * Whether this request's body should be received first: a declared Content-Length within the limit and
 * room in the global budget. Reserves the bytes when it says yes.
 */
export function shouldBuffer(ctx: RequestContext, limit: number): number {
  const cl = ctx.req.headers['content-length'];
  if (cl === undefined || limit <= 0 || ctx.req.headers['transfer-encoding'] !== undefined) return 0;
  const n = Number(cl);
  if (!(n > 0) || n > limit || buffered + n > MAX_BUFFERED_BYTES) return 0;
  buffered += n;
  return n;
}

/**
 * Reads the whole body (the `reserved` bytes). Resolves to the body, or null when the client went away
 * or the body broke; the reservation is returned either way.
 */
export function receiveBody(ctx: RequestContext, reserved: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const req = ctx.req;
    const chunks: Buffer[] = [];
    let got = 0;
    let done = false;
    const finish = (body: Buffer | null) => {
      if (done) return;
      done = true;
      buffered -= reserved;
      req.off('data', onData);
      resolve(body);
    };
    const onData = (c: Buffer) => {
      got += c.length;
      if (got > reserved) return finish(null);
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => finish(got === reserved ? Buffer.concat(chunks, got) : null));
    req.once('error', () => finish(null));
    req.once('close', () => finish(null));
  });
}
