/**
 * Forwarding one request to the origin through its undici pool.
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
import type { Dispatcher } from 'undici';
import type { RequestContext } from '../context.ts';
import type { Upstream } from '../../runtime/origin-pools.ts';
import { BulwarkError } from '../../core/errors.ts';
import { classifyOriginError, type OriginFailure } from './origin-errors.ts';
import type { SlowReadWatch } from '../../runtime/services.ts';
import { clientResponseHeaders, originRequestHeaders, writeClientHead, type ResponseHeadFacts } from './proxy-headers.ts';
import { PAGES, sendPage } from '../pages/pages.ts';

/** The response header that says how the cache was involved: HIT, MISS, STALE or BYPASS. */
export const CACHE_STATUS_HEADER = 'x-bulwark-cache';

/** How an origin exchange ended, for the shield's limiter, balancer and breaker. */
export type ForwardResult =
  | { readonly kind: 'response'; readonly status: number; readonly complete: boolean }
  | { readonly kind: 'failed'; readonly code: string; readonly source: 'origin' | 'client'; readonly timeout: boolean; readonly connect: boolean }
  | { readonly kind: 'client_gone' };

/**
 * Extension points of one origin exchange (the shield uses them for caching, serve-stale and
 * admission accounting). All optional; none may throw.
 */
export interface ForwardHooks {
  /**
   * The origin's final response head arrived (`headers` as sent to the client; `explicitFreshness`:
   * whether it may carry `Cache-Control` or `Expires`, false only when surely not). Return false when
   * the hook has answered the client itself (e.g. a stale page instead of a 5xx): the origin exchange
   * is then aborted and nothing of it is relayed. The hook may read `headers`, never change it.
   */
  onHead?(ctx: RequestContext, status: number, headers: string[], explicitFreshness: boolean): boolean;
  /** A body chunk that was relayed to the client. */
  onData?(ctx: RequestContext, chunk: Buffer): void;
  /** The body is complete. */
  onEnd?(ctx: RequestContext): void;
  /** The origin failed before any head: return true when the hook answered the client (stale page). */
  onFailure?(ctx: RequestContext, failure: OriginFailure): boolean;
  /** Exactly once, when the exchange is over. */
  onSettled?(ctx: RequestContext, result: ForwardResult): void;
}

const NO_HOOKS: ForwardHooks = {};

/** `Retry-After` (seconds) of the 502/504 pages: the origin may be back in a moment. */
export const ORIGIN_RETRY_AFTER_S = 5;

/** How far ahead of a slow client the origin's response is read (per response). */
export const RESPONSE_BUFFER_BYTES = 256 * 1024;

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Whether a request without Transfer-Encoding carries a body (RFC 9112 §6.3). */
function hasBody(ctx: RequestContext): boolean {
  const cl = ctx.req.headers['content-length'];
  return cl !== undefined && cl !== '0';
}

/**
 * A chunked upload as an async iterable for undici, capped at `max` bytes (a declared Content-Length was
 * already checked by parse). The first chunk has already been read by the caller: if the client's chunked
 * framing is broken from the start, the request is refused before anything is sent to the origin; a
 * framing error later aborts the origin request mid-body, so the origin never sees a complete request.
 */
async function* chunkedBody(first: Buffer | undefined, rest: AsyncIterator<Buffer>, max: number): AsyncGenerator<Buffer> {
  let seen = 0;
  if (first !== undefined) {
    seen = first.length;
    yield first;
  }
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    seen += next.value.length;
    if (seen > max) throw new BulwarkError('BULWARK_ERR_BODY_TOO_LARGE', 'request body over max_body_bytes', { source: 'client' });
    yield next.value;
  }
}

class ForwardHandler implements Dispatcher.DispatchHandler, ResponseHeadFacts {
  /** Filled in by clientResponseHeaders for the hooks (see ResponseHeadFacts). */
  explicitFreshness = false;
  plainHead = false;
  hasDate = false;
  checkedValues = 0;
  private resumeOrigin: (() => void) | null = null;
  private sendTimer: NodeJS.Timeout | null = null;
  private settled = false;
  private status = 0;
  private abort: ((err?: Error) => void) | null = null;

  constructor(
    private readonly ctx: RequestContext,
    private readonly sendTimeoutMs: number,
    private readonly hooks: ForwardHooks,
    private readonly slowRead: SlowReadWatch | null,
  ) {}

  onConnect(abort: (err?: Error) => void): void {
    this.abort = abort;
    this.ctx.abortOrigin = abort;
    if (this.ctx.res.destroyed) abort();
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx informational (103 Early Hints): not relayed
    const ctx = this.ctx;
    ctx.originLatencyMs = performance.now() - ctx.originSentMono;
    this.resumeOrigin = resume;
    this.status = statusCode;
    if (ctx.res.destroyed) return false;
    const headers = clientResponseHeaders(rawHeaders, ctx.id, this);
    if (this.hooks.onHead !== undefined && !this.hooks.onHead(ctx, statusCode, headers, this.explicitFreshness)) {
      this.settle({ kind: 'response', status: statusCode, complete: false });
      this.abort?.();
      return false;
    }
    if (ctx.cacheStatus !== null) headers.push(CACHE_STATUS_HEADER, ctx.cacheStatus);
    writeClientHead(ctx.res, statusCode, headers, this);
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return false;
    const res = this.ctx.res;
    if (res.destroyed) return false;
    this.hooks.onData?.(this.ctx, chunk);
    // Response buffering: the origin is read ahead of a slow client up to RESPONSE_BUFFER_BYTES per
    // response (Node queues the writes), so an ordinary page leaves the origin at the origin's speed,
    // not the reader's; beyond that the origin is paused until the client drains.
    if (res.write(chunk) || res.writableLength < RESPONSE_BUFFER_BYTES) return true;
    // The client is not reading fast enough: pause the origin until it drains, or give up on it
    // (send_timeout without any progress; the slow-read guard for a trickle below min_send_rate).
    this.slowRead?.watch(res, Date.now());
    // (The callbacks are made here, not per request: most responses never wait for the client.)
    res.once('drain', () => this.onDrain());
    this.sendTimer = setTimeout(() => this.onSendTimeout(), this.sendTimeoutMs);
    return false;
  }

  private onDrain(): void {
    if (this.sendTimer) clearTimeout(this.sendTimer);
    this.sendTimer = null;
    this.resumeOrigin?.();
  }

  private onSendTimeout(): void {
    this.sendTimer = null;
    this.ctx.errorCode = 'BULWARK_ERR_CLIENT_SEND_TIMEOUT';
    this.ctx.end('forwarded');
    this.ctx.res.destroy();
  }

  onComplete(): void {
    if (this.settled) return;
    this.ctx.end('forwarded');
    this.ctx.res.end();
    this.hooks.onEnd?.(this.ctx);
    this.settle({ kind: 'response', status: this.status, complete: true });
  }

  onError(err: Error): void {
    if (this.settled) return;
    const ctx = this.ctx;
    if (this.sendTimer) clearTimeout(this.sendTimer);
    if (ctx.res.destroyed || ctx.res.writableEnded) {
      // The client went away first; the abort we sent comes back here.
      ctx.end('forwarded');
      this.settle({ kind: 'client_gone' });
      return;
    }
    const failure = classifyOriginError(err);
    ctx.errorCode = failure.code;
    if (!ctx.res.headersSent) {
      if (failure.source === 'origin' && this.hooks.onFailure?.(ctx, failure) === true) {
        // answered by the hook (stale content)
      } else {
        ctx.end(failure.source === 'client' ? 'rejected' : 'failed');
        // An origin failure is worth another try in a few seconds: the page retries by itself.
        const retryAfterS = failure.page.status >= 500 ? ORIGIN_RETRY_AFTER_S : undefined;
        sendPage(ctx.res, failure.page, ctx.id, ctx.req.headers.accept, undefined, { close: failure.source === 'client', retryAfterS });
      }
    } else {
      ctx.end('failed');
      ctx.res.destroy();
    }
    this.settle({ kind: 'failed', code: failure.code, source: failure.source, timeout: TIMEOUTS.has(failure.code), connect: CONNECT_ERRORS.has(failure.code) && this.status === 0 });
  }

  private settle(result: ForwardResult): void {
    if (this.settled) return;
    this.settled = true;
    this.hooks.onSettled?.(this.ctx, result);
  }
}

/**
 * Sends the request to `upstream` and streams the answer to the client. Returns immediately; the
 * response is written as it arrives.
 */
export function forwardToOrigin(ctx: RequestContext, upstream: Upstream, sendTimeoutMs: number, maxBodyBytes: number, hooks: ForwardHooks = NO_HOOKS): void {
  const req = ctx.req;
  if (ctx.requestBody !== null) {
    dispatch(ctx, upstream, sendTimeoutMs, ctx.requestBody, hooks);
    return;
  }
  if (req.headers['transfer-encoding'] !== undefined) {
    // Read the first chunk before anything goes to the origin (see chunkedBody).
    const rest = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    rest.next().then(
      (first) => {
        if (ctx.outcome !== null || ctx.res.destroyed) {
          hooks.onSettled?.(ctx, { kind: 'client_gone' }); // refused meanwhile (parse error → 400)
          return;
        }
        if (!first.done && first.value.length > maxBodyBytes) {
          ctx.errorCode = 'BULWARK_ERR_BODY_TOO_LARGE';
          ctx.end('rejected');
          sendPage(ctx.res, PAGES.payloadTooLarge, ctx.id, req.headers.accept, undefined, { close: true });
          hooks.onSettled?.(ctx, { kind: 'failed', code: 'BULWARK_ERR_BODY_TOO_LARGE', source: 'client', timeout: false, connect: false });
          return;
        }
        dispatch(ctx, upstream, sendTimeoutMs, chunkedBody(first.done ? undefined : first.value, rest, maxBodyBytes), hooks);
      },
      () => {
        // The client's framing broke: the clientError handler answers 400.
        hooks.onSettled?.(ctx, { kind: 'client_gone' });
      },
    );
    return;
  }
  dispatch(ctx, upstream, sendTimeoutMs, hasBody(ctx) ? req : null, hooks);
}

/** undici accepts async iterables as bodies (documented), though its types only list streams and buffers. */
type RequestBody = Dispatcher.DispatchOptions['body'] | AsyncIterable<Buffer>;

/**
 * The header list sent to the origin for this request (plain forwarding and WebSocket upgrades alike).
 * `Host` is the request's normalised authority when the site preserves the Host (the value the cache
 * key holds), else the origin URL's host; a request that named no host gets the origin URL's host.
 */
export function originHeadersFor(ctx: RequestContext, upstream: Upstream): string[] {
  return originRequestHeaders(ctx.req.rawHeaders, {
    clientAddress: ctx.clientAddress,
    trustedForwardedFor: ctx.forwardedFor,
    proto: ctx.secure ? 'https' : 'http',
    authority: ctx.authority,
    requestId: ctx.id,
    originHost: upstream.options.preserve_host && ctx.authority !== '' ? ctx.authority : upstream.hostHeader,
  });
}

function dispatch(ctx: RequestContext, upstream: Upstream, sendTimeoutMs: number, body: RequestBody, hooks: ForwardHooks): void {
  const req = ctx.req;
  const headers = originHeadersFor(ctx, upstream);
  ctx.originSentMono = performance.now();
  upstream.pool.dispatch(
    { origin: upstream.origin, path: ctx.originPath, method: req.method ?? 'GET', headers, body: body as Dispatcher.DispatchOptions['body'] },
    new ForwardHandler(ctx, sendTimeoutMs, hooks, ctx.runtime.services.slowReads),
  );
}
