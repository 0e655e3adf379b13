/**
 * Stand-ins for node:http's IncomingMessage and ServerResponse, for a request the pipeline runs as
 * soon as node's parser has read its head (head-hook.ts): they carry what the phases read of a request
 * and what an answer written at once needs of a response, at a fraction of the cost of node:http's
 * stream objects.
 *
 * The request: method, target, version, the raw fields (the parser's own array, which node:http would
 * have kept as `rawHeaders`), the header object node:http would build from them (built when first read,
 * edge/request-headers.ts) and the socket. Requests with a body never come here.
 *
 * The response writes HTTP/1.1 itself, byte for byte what node:http writes for the same calls: the status
 * line, the fields (validated as node:http validates them, or a prepared block), node:http's Date and
 * keep-alive lines, then the body — for the shapes the pipeline's immediate answers take: `writeHead`
 * with a field list carrying Content-Length and none of the fields node:http manages, or a prepared head
 * (pipeline/pages/prepared-head.ts), then `end` with the whole body (a string in latin1 or UTF-8, or
 * bytes; none for HEAD). Anything else — fields set with setHeader, a closing answer, an implicit head,
 * a callback, a 1xx, 204 or 304, a field node:http manages or no Content-Length — is recorded instead and
 * replayed on node:http's own response once the request has one (`replayOnto`): node:http then writes
 * it as it always does.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { fieldLines, kTakesPreparedHeads, preparedHeadParts } from '../../pipeline/pages/prepared-head.ts';
import { headersOfRaw } from '../request-headers.ts';

type Chunk = string | Uint8Array;

/** A request read up to its head, shaped like node:http's IncomingMessage as far as the phases read one. */
export class HeadRequest {
  readonly httpVersion = '1.1';
  readonly httpVersionMajor = 1;
  readonly httpVersionMinor = 1;
  /** No body: the whole request has arrived (node:http's name). */
  readonly complete = true;
  readonly upgrade = false;
  private built: IncomingHttpHeaders | null = null;

  constructor(
    readonly socket: Socket,
    readonly method: string,
    readonly url: string,
    readonly rawHeaders: string[],
  ) {}

  get headers(): IncomingHttpHeaders {
    return (this.built ??= headersOfRaw(this.rawHeaders) ?? {});
  }
  set headers(value: IncomingHttpHeaders) {
    this.built = value;
  }
}

/** How an answer ends the head node:http writes: its Date (unless the fields have one) and keep-alive lines. */
export type HeadTail = (hasDate: boolean) => string;

/** A call the response could not write itself, kept for node:http's response. */
type Replayed = readonly [string, readonly unknown[]];

/** The response of a HeadRequest (see the module comment). */
export class HeadResponse {
  readonly [kTakesPreparedHeads] = true;
  statusCode = 200;
  statusMessage = '';
  sendDate = true;
  headersSent = false;
  writableEnded = false;
  /** node:http reports this once the answer left for the kernel; the edge records an immediate answer without it. */
  readonly writableFinished = false;
  private keepAlive = true;
  private head = '';
  private ownDestroyed = false;
  private replayed: Replayed[] | null = null;
  /** What writeHead was given (kept should a later call have to be node:http's after all). */
  private headArgs: readonly unknown[] | null = null;

  constructor(
    readonly req: HeadRequest,
    readonly socket: Socket,
    private readonly tail: HeadTail,
  ) {}

  /** Whether what the phases did must be replayed on node:http's response (see the module comment). */
  get replaying(): boolean {
    return this.replayed !== null;
  }

  get destroyed(): boolean {
    return this.ownDestroyed || this.socket.destroyed;
  }

  get shouldKeepAlive(): boolean {
    return this.keepAlive;
  }
  /** A closing answer is node:http's to write (its Connection line, and the connection's end after it). */
  set shouldKeepAlive(value: boolean) {
    this.keepAlive = value;
    if (!value) this.record('shouldKeepAlive', [value]);
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.record('setHeader', [name, value]);
    return this;
  }

  writeHead(status: number, reasonOrFields?: unknown, maybeFields?: unknown): this {
    if (this.headersSent) throw Object.assign(new Error('Cannot write headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' });
    // Computed before anything changes: an invalid field throws as node:http's writeHead does, leaving
    // the head unsent (the failure handler's 500 page can still go out).
    let head: string | null = null;
    if (this.replayed === null && maybeFields === undefined && status >= 200 && status <= 999 && status !== 204 && status !== 304) {
      const reason = this.statusMessage || (http.STATUS_CODES[status] ?? 'unknown');
      const prepared = preparedHeadParts(reasonOrFields);
      // A field list node:http would frame itself (no Content-Length) is node:http's to write.
      const lines = prepared === null && Array.isArray(reasonOrFields) ? fieldLines(reasonOrFields) : null;
      const fields = prepared ?? (lines !== null && lines.hasLength ? lines : null);
      if (fields !== null) head = `HTTP/1.1 ${status} ${reason}\r\n${fields.block}${this.tail(fields.hasDate)}`;
    }
    this.statusCode = status;
    this.headersSent = true;
    this.headArgs = [status, reasonOrFields, maybeFields];
    if (head !== null) this.head = head;
    else this.record('writeHead', this.headArgs);
    return this;
  }

  end(chunk?: Chunk | (() => void), encoding?: BufferEncoding | (() => void), cb?: () => void): this {
    if (this.writableEnded) return this;
    this.writableEnded = true;
    // A connection already gone takes nothing more (node:http's writes to it go nowhere either).
    if (this.replayed === null && this.destroyed) return this;
    if (this.replayed === null && this.headersSent && typeof chunk !== 'function' && typeof encoding !== 'function' && cb === undefined) {
      const socket = this.socket;
      if (chunk === undefined || this.req.method === 'HEAD') {
        socket.write(this.head, 'latin1');
        return this;
      }
      if (typeof chunk === 'string' && (encoding === undefined || encoding === 'utf8' || encoding === 'latin1')) {
        // node:http sends the head and a string body as one string in the body's encoding.
        socket.write(this.head + chunk, encoding ?? 'utf8');
        return this;
      }
      if (typeof chunk !== 'string') {
        // Two writes, one system call: corked, they leave as one writev.
        socket.cork();
        socket.write(this.head, 'latin1');
        socket.write(chunk);
        socket.uncork();
        return this;
      }
    }
    this.record('end', [chunk, encoding, cb]);
    return this;
  }

  destroy(err?: Error): this {
    if (this.replayed !== null) {
      this.record('destroy', [err]);
      return this;
    }
    this.ownDestroyed = true;
    this.socket.destroy(err);
    return this;
  }

  /** Does on node:http's response what this one recorded instead of writing (see the module comment). */
  replayOnto(res: http.ServerResponse): void {
    res.statusCode = this.statusCode;
    const target = res as unknown as Record<string, unknown>;
    for (const [name, args] of this.replayed ?? []) {
      if (name === 'shouldKeepAlive') res.shouldKeepAlive = args[0] as boolean;
      else (target[name] as (...a: unknown[]) => unknown).apply(res, args as unknown[]);
    }
  }

  /**
   * Keeps a call for node:http's response. The first one kept also keeps what came before it that
   * node:http must repeat — a closing answer, a head this response would have written — and from then
   * on every call is node:http's.
   */
  private record(name: string, args: readonly unknown[]): void {
    let list = this.replayed;
    if (list === null) {
      list = this.replayed = [];
      if (!this.keepAlive && name !== 'shouldKeepAlive') list.push(['shouldKeepAlive', [false]]);
      if (this.headersSent && name !== 'writeHead' && this.headArgs !== null) list.push(['writeHead', this.headArgs]);
    }
    list.push([name, args]);
  }
}
