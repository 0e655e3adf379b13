/**
 * Forwarding one request to the origin through its undici pool (issue #2, point 3).
 *
 * Bodies stream both ways and are never buffered whole: the client's request stream is the undici body
 * (undici reads it as the origin accepts it), and response chunks are written to the client with
 * backpressure (a full client socket pauses the origin read). A client that stops reading for
 * `send_timeout` is cut off (slow read). Errors before the response head become a 502/504 page; after
 * it, the client connection is aborted (the status line is already out).
 *
 * Uses undici's dispatch handler in its raw-header form (`onHeaders` with Buffers): it is the form
 * undici uses internally, so no per-request header object or wrapper is built.
 */
import { performance } from 'node:perf_hooks';
import { Transform, type TransformCallback } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { RequestContext } from '../pipeline/context.ts';
import type { Upstream } from '../runtime/origin-pools.ts';
import { BulwarkError } from '../errors.ts';
import { classifyOriginError } from './origin-errors.ts';
import { clientResponseHeaders, originRequestHeaders } from './proxy-headers.ts';
import { sendPage } from './pages.ts';

export interface ForwardHooks {
  /** Called once when the origin exchange ends (response complete, failed or aborted). */
  onSettled?(ctx: RequestContext, ok: boolean, failure: 'origin' | 'client' | null): void;
}

/** Whether the request carries a body to stream (RFC 9112 §6.3: Content-Length or Transfer-Encoding). */
function hasBody(ctx: RequestContext): boolean {
  const h = ctx.req.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const cl = h['content-length'];
  return cl !== undefined && cl !== '0';
}

/** Caps a chunked upload at `max` bytes: a declared Content-Length was already checked by parse. */
class BodyCap extends Transform {
  private seen = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.max) cb(new BulwarkError('BULWARK_ERR_BODY_TOO_LARGE', 'request body over max_body_bytes', { source: 'client' }));
    else cb(null, chunk);
  }
}

class ForwardHandler implements Dispatcher.DispatchHandler {
  private resumeOrigin: (() => void) | null = null;
  private sendTimer: NodeJS.Timeout | null = null;
  private settled = false;

  constructor(
    private readonly ctx: RequestContext,
    private readonly sendTimeoutMs: number,
    private readonly hooks: ForwardHooks,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.ctx.abortOrigin = abort;
    if (this.ctx.res.destroyed) abort();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx informational (103 Early Hints): not relayed
    const ctx = this.ctx;
    ctx.originLatencyMs = performance.now() - ctx.originSentMono;
    this.resumeOrigin = resume;
    if (ctx.res.destroyed) return false;
    ctx.res.writeHead(statusCode, clientResponseHeaders(rawHeaders, ctx.id));
    return true;
  }

  onData(chunk: Buffer): boolean {
    const res = this.ctx.res;
    if (res.destroyed) return false;
    if (res.write(chunk)) return true;
    // The client is not reading fast enough: pause the origin until it drains, or give up on it.
    res.once('drain', this.onDrain);
    this.sendTimer = setTimeout(this.onSendTimeout, this.sendTimeoutMs);
    return false;
  }

  private readonly onDrain = (): void => {
    if (this.sendTimer) clearTimeout(this.sendTimer);
    this.sendTimer = null;
    this.resumeOrigin?.();
  };

  private readonly onSendTimeout = (): void => {
    this.sendTimer = null;
    this.ctx.errorCode = 'BULWARK_ERR_CLIENT_SEND_TIMEOUT';
    this.ctx.end('forwarded');
    this.ctx.res.destroy();
  };

  onComplete(): void {
    this.ctx.end('forwarded');
    this.ctx.res.end();
    this.settle(true, null);
  }

  onError(err: Error): void {
    const ctx = this.ctx;
    if (this.sendTimer) clearTimeout(this.sendTimer);
    if (ctx.res.destroyed || ctx.res.writableEnded) {
      // The client went away first; the abort we sent comes back here.
      ctx.end('forwarded');
      this.settle(false, 'client');
      return;
    }
    const failure = classifyOriginError(err);
    ctx.errorCode = failure.code;
    if (!ctx.res.headersSent) {
      ctx.end(failure.source === 'client' ? 'rejected' : 'failed');
      const retry = failure.page.status >= 500 ? { 'retry-after': '5' } : undefined;
      sendPage(ctx.res, failure.page, ctx.id, ctx.req.headers.accept, retry, { close: failure.source === 'client' });
    } else {
      ctx.end('failed');
      ctx.res.destroy();
    }
    this.settle(false, failure.source);
  }

  private settle(ok: boolean, failure: 'origin' | 'client' | null): void {
    if (this.settled) return;
    this.settled = true;
    this.hooks.onSettled?.(this.ctx, ok, failure);
  }
}

/**
 * Sends the request to `upstream` and streams the answer to the client. Returns immediately; the
 * response is written as it arrives. `originHostOverride` is the Host to send when the site does not
 * preserve the client's Host.
 */
export function forwardToOrigin(ctx: RequestContext, upstream: Upstream, sendTimeoutMs: number, maxBodyBytes: number, hooks: ForwardHooks = {}): void {
  const req = ctx.req;
  const headers = originRequestHeaders(req.rawHeaders, {
    clientAddress: ctx.clientAddress,
    trustedForwardedFor: ctx.forwardedFor,
    proto: ctx.secure ? 'https' : 'http',
    host: req.headers.host ?? ctx.host,
    requestId: ctx.id,
    originHost: upstream.options.preserve_host ? null : upstream.hostHeader,
  });
  let body: Dispatcher.DispatchOptions['body'] = null;
  if (hasBody(ctx)) body = req.headers['content-length'] === undefined ? req.pipe(new BodyCap(maxBodyBytes)) : req;
  ctx.originSentMono = performance.now();
  upstream.pool.dispatch(
    { origin: upstream.origin, path: ctx.path, method: req.method ?? 'GET', headers, body },
    new ForwardHandler(ctx, sendTimeoutMs, hooks),
  );
}
