/**
 * One HTTP/2 connection: its TLS socket, the frame tap and guard in front of its node:http2 session,
 * and its streams handed to the proxy's request handler as HTTP/1.1-shaped requests (h2-request.ts,
 * h2-response.ts) — the same pipeline, records and stats as HTTP/1.1.
 *
 * How a connection ends:
 * - over a flood limit (the guard, through the tap): GOAWAY with the limit's code and its name as
 *   debug data (RFC 9113 §6.8), the client's bytes no longer read, the connection closed after a short
 *   grace; one record `h2/<reason>` for the client and one refusal toward its escalation;
 * - a protocol error the HTTP/2 library found itself (its own GOAWAY, or a session error): the same
 *   record and escalation, named after the library's error code;
 * - `max_requests_per_connection` streams opened, idle for `idle_timeout`, or Bulwark stopping: a
 *   graceful GOAWAY (NO_ERROR); open streams finish, nothing is held against the client.
 */
import type { Http2Server, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { ConnectionGuard, type ConnectionLimits, type Violation } from '../../core/http2/connection-guard.ts';
import { FLAG, H2_ERROR, h2ErrorName } from '../../core/http2/frame-scanner.ts';
import { FrameTap } from './frame-tap.ts';
import { H2Request, StreamCounts } from './h2-request.ts';
import { H2Response } from './h2-response.ts';

/** How long a connection ended for a limit keeps its socket, so the GOAWAY reaches the client. */
export const GOAWAY_GRACE_MS = 1000;

/** What a connection needs from the edge around it. */
export interface H2ConnectionHost {
  /** The session factory: node:http2's server, fed the tap as its 'connection'. */
  readonly server: Http2Server;
  limits(): ConnectionLimits;
  maxRequests(): number;
  /** Streams of one connection in the pipeline at once (`http2.max_streams_in_progress`). */
  maxInProgress(): number;
  /** Runs the pipeline for one stream (the proxy server's request handler). */
  handleRequest(req: H2Request, res: H2Response): void;
  /** A connection ended for a limit or a protocol error: record it and count it toward escalation. */
  refused(conn: H2Connection, reason: string, code: number, detail: string): void;
  /** A graceful GOAWAY is being sent (`max_requests`, `idle`, `stopping`). */
  closing(why: string): void;
  /** The connection closed. */
  closed(conn: H2Connection): void;
}

/** A stream whose request body is still arriving (for the stream guard). */
export interface OpenUpload {
  readonly req: H2Request;
  readonly res: H2Response;
  readonly counts: StreamCounts;
  /** When it entered the pipeline (ms). */
  readonly startMs: number;
}

let pending: ServerHttp2Session | null = null;

/** Remembers the session node:http2 creates synchronously inside `emit('connection')`. */
export function captureSessions(server: Http2Server): void {
  server.on('session', (session: ServerHttp2Session) => {
    pending = session;
  });
}

export class H2Connection {
  readonly socket: TLSSocket;
  readonly guard: ConnectionGuard;
  readonly tap: FrameTap;
  readonly session: ServerHttp2Session;
  readonly uploads = new Set<OpenUpload>();
  /** Streams opened and not closed yet (in the pipeline or waiting for their turn). */
  active = 0;
  /** Streams in the pipeline now; at most `maxInProgress`, the others wait in `waiting`. */
  inProgress = 0;
  /** Streams waiting for their turn, in arrival order (bounded by max_concurrent_streams). */
  private readonly waiting: (() => boolean)[] = [];
  /** When the last stream closed (ms), for the idle check. */
  lastStreamEndMs: number;
  requests = 0;
  /** The name the client asked for (SNI), '' without. */
  readonly servername: string;
  /** When the connection was taken (wall-clock ms). */
  readonly startMs: number;
  /** The `:authority` of its first stream (for the record of a connection that never routed by SNI). */
  firstAuthority = '';
  /** Why the connection is ending: null while it is not. */
  ending: string | null = null;
  private ownGoaway = false;
  private readonly host: H2ConnectionHost;

  constructor(socket: TLSSocket, host: H2ConnectionHost) {
    this.socket = socket;
    this.host = host;
    this.servername = typeof socket.servername === 'string' ? socket.servername : '';
    this.startMs = this.lastStreamEndMs = Date.now();
    this.guard = new ConnectionGuard(host.limits());
    this.tap = new FrameTap(socket, this.guard, {
      violation: (v) => this.condemn(v),
      socketError: () => {},
      goawaySent: (code) => this.onGoawaySent(code),
    });
    pending = null;
    host.server.emit('connection', this.tap);
    const session = pending as ServerHttp2Session | null;
    pending = null;
    if (session === null) throw new Error('node:http2 did not create a session for the connection');
    this.session = session;
    session.on('stream', (stream: ServerHttp2Stream, _h: unknown, flags: number, raw: string[]) => this.onStream(stream, flags, raw));
    session.on('error', (err: Error & { code?: string }) => this.onSessionError(err));
    session.once('close', () => host.closed(this));
  }

  private onStream(stream: ServerHttp2Stream, flags: number, raw: string[]): void {
    stream.on('error', () => {}); // resets and aborts end up in 'close'; the record says what happened
    if (this.ending !== null) {
      stream.close(H2_ERROR.REFUSED_STREAM);
      return;
    }
    this.requests++;
    this.active++;
    const counts = new StreamCounts();
    const req = new H2Request(stream, raw, (flags & FLAG.END_STREAM) !== 0, this.socket, counts, Date.now());
    const res = new H2Response(stream, req, counts, (id) => this.guard.markOwnReset(id));
    if (this.firstAuthority === '') this.firstAuthority = typeof req.headers.host === 'string' ? req.headers.host : '';
    let started = false;
    let upload: OpenUpload | null = null;
    const start = () => {
      if (stream.destroyed || stream.closed) return false;
      started = true;
      this.inProgress++;
      if (req.hasBody) this.uploads.add((upload = { req, res, counts, startMs: Date.now() }));
      this.host.handleRequest(req, res);
      return true;
    };
    stream.once('close', () => {
      this.active--;
      this.lastStreamEndMs = Date.now();
      if (upload !== null) this.uploads.delete(upload);
      if (started) {
        this.inProgress--;
        this.next();
      }
    });
    if (this.requests >= this.host.maxRequests()) this.close('max_requests');
    if (this.inProgress < this.host.maxInProgress()) start();
    else this.waiting.push(start);
  }

  /** Starts the next waiting stream that is still open. */
  private next(): void {
    while (this.inProgress < this.host.maxInProgress() && this.waiting.length > 0) {
      if (this.waiting.shift()!()) return;
    }
  }

  /** Ends the connection for a broken limit: GOAWAY with its code and name, record, close after a grace. */
  condemn(v: Violation): void {
    if (this.ending !== null && this.ending !== 'graceful') return;
    this.ending = v.reason;
    this.ownGoaway = true;
    try {
      this.session.goaway(v.code, this.session.state.lastProcStreamID ?? 0, Buffer.from(v.reason, 'latin1'));
    } catch {
      /* the session is already gone */
    }
    this.host.refused(this, v.reason, v.code, v.detail);
    setTimeout(() => this.destroy(), GOAWAY_GRACE_MS).unref();
  }

  /** A graceful end (NO_ERROR): open streams finish, new ones are refused. */
  close(why: string): void {
    if (this.ending !== null) return;
    this.ending = 'graceful';
    this.ownGoaway = true;
    this.host.closing(why);
    try {
      this.session.close();
    } catch {
      this.destroy();
    }
  }

  destroy(): void {
    if (!this.session.destroyed) this.session.destroy();
    this.socket.destroy();
  }

  private onGoawaySent(code: number): void {
    if (this.ownGoaway || code === H2_ERROR.NO_ERROR) return;
    this.libraryEnded(code, `the HTTP/2 library sent GOAWAY ${h2ErrorName(code)} for a frame the client sent`);
  }

  private onSessionError(err: Error & { code?: string }): void {
    // ERR_HTTP2_ERROR: the library refused what the client sent. Socket errors (resets) are the
    // network's, and a session the client itself ended with an error code is not held against it.
    if (this.ownGoaway || err.code !== 'ERR_HTTP2_ERROR') return;
    this.libraryEnded(H2_ERROR.PROTOCOL_ERROR, `the HTTP/2 session failed: ${err.code}`);
  }

  /**
   * The library ended the connection for a protocol error the client made (record `h2/protocol_error`):
   * nothing more is read from the client, and the socket is closed after the grace (node:http2 does not
   * always close a session it sent GOAWAY on).
   */
  private libraryEnded(code: number, detail: string): void {
    if (this.ending !== null && this.ending !== 'graceful') return;
    this.ending = 'protocol_error';
    this.ownGoaway = true;
    this.tap.halt();
    this.host.refused(this, this.ending, code, detail);
    setTimeout(() => this.destroy(), GOAWAY_GRACE_MS).unref();
  }
}
