/**
 * An HTTP/2 stream's response, shaped like node:http's ServerResponse as far as the pipeline writes one
 * (pages, cache hits, challenge pages, responses streamed from the origin): `statusCode`, `setHeader`,
 * `writeHead` with a flat field list, `write` with backpressure (`drain`), `end`, `destroy`, and the
 * `close` event on which the request is recorded — exactly once, when the stream closes.
 *
 * Differences that are HTTP/2's (RFC 9113): connection-specific fields are dropped (§8.2.2); `end` with
 * a body and no Content-Length gets one (as node:http does) so the client knows the size up front;
 * `destroy` resets the stream (RST_STREAM INTERNAL_ERROR) instead of the connection, and tells the
 * connection's guard it was Bulwark's own reset, not one the client provoked.
 */
import { EventEmitter } from 'node:events';
import type { ServerHttp2Stream } from 'node:http2';
import { constants } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { H2Request, StreamCounts } from './h2-request.ts';
import { responseHead } from './h2-headers.ts';

type Chunk = string | Uint8Array;

function byteLength(chunk: Chunk): number {
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
}

export class H2Response extends EventEmitter {
  statusCode = 200;
  statusMessage = '';
  /** Read by the pipeline (keep-alive decisions); an HTTP/2 connection outlives its streams. */
  shouldKeepAlive = true;
  sendDate = true;
  readonly req: H2Request;
  readonly socket: TLSSocket;
  private readonly stream: ServerHttp2Stream;
  private readonly counts: StreamCounts;
  private readonly fields = new Map<string, string | string[]>();
  private ended = false;
  private reset = false;
  private readonly onOwnReset: (id: number) => void;

  constructor(stream: ServerHttp2Stream, req: H2Request, counts: StreamCounts, onOwnReset: (id: number) => void) {
    super();
    this.stream = stream;
    this.req = req;
    this.socket = req.socket;
    this.counts = counts;
    this.onOwnReset = onOwnReset;
    stream.once('close', () => this.emit('close'));
    stream.once('finish', () => this.emit('finish'));
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }
  /** The stream is gone: reset by either side, or closed with the connection (as a destroyed socket is for node:http). */
  get destroyed(): boolean {
    return this.reset || this.stream.destroyed || (this.stream.closed && !this.ended);
  }
  get writableEnded(): boolean {
    return this.ended;
  }
  /**
   * The whole response left Bulwark: the stream's writable side finished, or the stream closed without
   * an error after `end` (with a request body, node:http2 may close the stream before it reports its
   * own finish).
   */
  get writableFinished(): boolean {
    return this.stream.writableFinished || (this.ended && !this.reset && this.stream.closed && this.stream.rstCode === 0);
  }
  get writableLength(): number {
    return this.stream.writableLength;
  }
  get writableNeedDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.fields.set(name.toLowerCase(), Array.isArray(value) ? value.map(String) : String(value));
    return this;
  }
  getHeader(name: string): string | string[] | undefined {
    return this.fields.get(name.toLowerCase());
  }
  hasHeader(name: string): boolean {
    return this.fields.has(name.toLowerCase());
  }
  removeHeader(name: string): void {
    this.fields.delete(name.toLowerCase());
  }

  /** Sends the head: `fields` is a flat `[name, value, …]` list or an object, merged over setHeader's. */
  writeHead(status: number, reasonOrFields?: string | readonly string[] | Record<string, unknown>, maybeFields?: readonly string[] | Record<string, unknown>): this {
    const given = typeof reasonOrFields === 'string' ? maybeFields : reasonOrFields;
    this.statusCode = status;
    this.respond(given, false);
    return this;
  }

  private respond(given: readonly string[] | Record<string, unknown> | undefined, endStream: boolean): void {
    if (this.stream.headersSent || this.destroyed) return;
    const { head, size } = responseHead(this.statusCode, this.fields, given);
    this.counts.bytesOut += size;
    this.stream.respond(head, { endStream });
  }

  write(chunk: Chunk, encoding?: BufferEncoding | (() => void), cb?: () => void): boolean {
    if (this.destroyed) return false;
    if (!this.stream.headersSent) this.respond(undefined, false);
    this.counts.bytesOut += byteLength(chunk);
    const ok = typeof encoding === 'string' ? this.stream.write(chunk, encoding, cb) : this.stream.write(chunk, encoding);
    if (!ok) this.stream.once('drain', () => this.emit('drain'));
    return ok;
  }

  end(chunk?: Chunk | (() => void), encoding?: BufferEncoding | (() => void), cb?: () => void): this {
    if (this.ended || this.destroyed) return this;
    this.ended = true;
    const body = typeof chunk === 'function' ? undefined : chunk;
    const done = typeof chunk === 'function' ? chunk : typeof encoding === 'function' ? encoding : cb;
    const length = body === undefined ? 0 : byteLength(body);
    if (!this.stream.headersSent) {
      if (length > 0 && !this.fields.has('content-length')) this.fields.set('content-length', String(length));
      this.respond(undefined, length === 0);
    }
    this.counts.bytesOut += length;
    if (length > 0) this.stream.end(body, done);
    else if (!this.stream.writableEnded) this.stream.end(done);
    else done?.();
    return this;
  }

  /** Resets the stream (the HTTP/1.1 equivalent aborts the connection): RST_STREAM INTERNAL_ERROR. */
  destroy(_err?: Error): this {
    if (this.reset || this.stream.destroyed) return this;
    this.reset = true;
    this.onOwnReset(this.stream.id ?? 0);
    this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
    return this;
  }

  /** Resets the stream with CANCEL: the stream is no longer needed (a stalled upload). */
  cancel(): void {
    if (this.reset || this.stream.destroyed) return;
    this.reset = true;
    this.onOwnReset(this.stream.id ?? 0);
    this.stream.close(constants.NGHTTP2_CANCEL);
  }

  flushHeaders(): void {
    if (!this.stream.headersSent) this.respond(undefined, false);
  }
}
