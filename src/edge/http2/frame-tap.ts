/**
 * The frame tap: the duplex stream an HTTP/2 session reads from and writes to, in place of the TLS
 * socket, so Bulwark sees every frame of both directions before node:http2 (nghttp2) acts on it.
 *
 * node:http2 parses frames in C++ and tells JavaScript about streams, not about RST_STREAM, SETTINGS,
 * PING, PRIORITY, WINDOW_UPDATE or CONTINUATION frames; those are what the HTTP/2 floods are made of.
 * Between the TLS socket and the session, the tap reads the frame headers of each chunk
 * (core/http2/frame-scanner.ts) and asks the connection's guard (core/http2/connection-guard.ts) about
 * each one. A chunk whose frames are all within the limits goes to the session as it is. At the first
 * frame over a limit, only the bytes before it go on; the tap stops reading from the client for good
 * and reports the violation, and the connection is ended with GOAWAY (h2-connection.ts): the library
 * never processes the frame that broke the limit, nor anything after it.
 *
 * Outbound, the tap reads the frames the session writes, for the streams they close and the resets the
 * server had to send (provoked resets); a violation found there is reported on the next tick, outside
 * the session's write.
 *
 * Passing a plain duplex makes node:http2 wrap it in its JavaScript stream adapter instead of reading
 * the socket natively: a few microseconds a request (measured in bench/https.bench.ts).
 *
 * Errors: the TLS socket gets an 'error' listener here, before anything else can fail on it (a TLS
 * socket without one crashes Node: CVE-2025-59465); a socket error ends the tap, which ends the session.
 */
import { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { ConnectionGuard, Violation } from '../../core/http2/connection-guard.ts';
import { FRAME, FrameScanner, type FrameVisitor } from '../../core/http2/frame-scanner.ts';

/** What the tap tells its connection. */
export interface TapEvents {
  /** A frame broke a limit; the tap has stopped reading. Called at most once. */
  violation(v: Violation): void;
  /** The TLS socket failed (reset, bad record): the tap is being destroyed. */
  socketError(err: Error): void;
  /** The session sent GOAWAY with `code` (Bulwark's own, or the library's for a protocol error). */
  goawaySent(code: number): void;
}

export class FrameTap extends Duplex {
  readonly socket: TLSSocket;
  /** Wall-clock ms of the client's last bytes (idle sweep). */
  lastReadMs: number;
  /** Bytes the client sent and Bulwark sent through this tap. */
  bytesIn = 0;
  bytesOut = 0;
  private readonly guard: ConnectionGuard;
  private readonly events: TapEvents;
  private readonly inScanner = new FrameScanner(true);
  private readonly outScanner = new FrameScanner(false);
  private stopped = false;
  private now = 0;
  private found: Violation | null = null;
  private readonly inVisitor: FrameVisitor;
  private readonly outVisitor: FrameVisitor;

  constructor(socket: TLSSocket, guard: ConnectionGuard, events: TapEvents) {
    super({ allowHalfOpen: false });
    this.socket = socket;
    this.guard = guard;
    this.events = events;
    this.lastReadMs = Date.now();
    this.inVisitor = {
      frame: (type, flags, id, length, _code, padding) => {
        const v = this.guard.inbound(type, flags, id, length, padding, this.now);
        if (v === null) return true;
        this.found = v;
        return false;
      },
    };
    this.outVisitor = {
      frame: (type, flags, id, length, code) => {
        if (type === FRAME.GOAWAY) this.events.goawaySent(code);
        const v = this.guard.outbound(type, flags, id, length, code, this.now);
        if (v !== null && this.found === null) {
          this.found = v;
          process.nextTick(() => this.stop());
        }
        return true;
      },
    };
    socket.on('error', (err: Error) => {
      this.events.socketError(err);
      this.destroy();
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.push(null));
    socket.on('close', () => this.destroy());
    socket.on('drain', () => this.emit('tap-drain'));
  }

  private onData(chunk: Buffer): void {
    if (this.stopped) return;
    this.now = this.lastReadMs = Date.now();
    this.bytesIn += chunk.length;
    const upTo = this.inScanner.feed(chunk, this.inVisitor);
    if (upTo === chunk.length) {
      if (!this.push(chunk)) this.socket.pause();
      return;
    }
    if (upTo > 0) this.push(chunk.subarray(0, upTo));
    this.stop();
  }

  /** Stops reading from the client for good (the connection is ending). */
  halt(): void {
    this.stop();
  }

  /** Stops reading from the client for good and reports the violation found (once). */
  private stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.socket.pause();
    if (this.found !== null) this.events.violation(this.found);
  }

  /** Whether the client's bytes are no longer read (a limit was broken). */
  get condemned(): boolean {
    return this.stopped;
  }

  override _read(): void {
    if (!this.stopped) this.socket.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.now = Date.now();
    this.scanOut(chunk);
    if (this.socket.write(chunk)) done();
    else this.once('tap-drain', () => done());
  }

  override _writev(chunks: { chunk: Buffer }[], done: (err?: Error | null) => void): void {
    // One TLS write for the session's batch (its frames of one turn), not a record and a system call each.
    let bytes = 0;
    this.now = Date.now();
    for (const c of chunks) {
      this.scanOut(c.chunk);
      bytes += c.chunk.length;
    }
    const ok = this.socket.write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk), bytes));
    if (ok) done();
    else this.once('tap-drain', () => done());
  }

  private scanOut(chunk: Buffer): void {
    this.bytesOut += chunk.length;
    this.outScanner.feed(chunk, this.outVisitor);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.socket.end();
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}
