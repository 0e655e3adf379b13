/**
 * A raw HTTP/2 client over TLS (ALPN `h2`): it writes the frames it is given, byte for byte, and reads
 * the server's frames whole — for the attacks node:http2's client refuses to make (a stream reset the
 * instant it opens, CONTINUATION floods, streams beyond the server's limit, control-frame floods) and
 * for tests that need to see the server's GOAWAY code and debug data. Loopback only: the host goes
 * through the drill's loopback guard before any byte is sent.
 */
import net from 'node:net';
import tls from 'node:tls';
import { encodeFrame, PREFACE_BYTES, u32 } from '../../core/http2/frame-encode.ts';
import { FLAG, FRAME } from '../../core/http2/frame-scanner.ts';
import { assertLoopbackHost } from '../loopback-guard.ts';

/** One frame the server sent. */
export interface ServerFrame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** The server's GOAWAY: its error code, last stream ID and debug data (latin1). */
export interface Goaway {
  readonly code: number;
  readonly lastStreamId: number;
  readonly debug: string;
}

export interface RawH2Options {
  readonly host: string;
  readonly port: number;
  readonly servername?: string;
  readonly localAddress?: string;
  /** Acknowledge the server's SETTINGS, as a conforming client does. Default true. */
  readonly ackSettings?: boolean;
  /** A TLS session to resume (from an earlier connection's `session`). */
  readonly session?: Buffer;
}

/** Frames a client keeps (a flood's connection must not grow without bound); later ones are counted only. */
export const MAX_KEPT_FRAMES = 20_000;

/** A connected raw HTTP/2 client. */
export interface RawH2 {
  readonly socket: tls.TLSSocket;
  /** Frames received so far, in order (the first {@link MAX_KEPT_FRAMES}). */
  readonly frames: ServerFrame[];
  /** Frames received beyond {@link MAX_KEPT_FRAMES}, not kept. */
  readonly framesDropped: number;
  /** Writes bytes (frames) as they are; false when the socket is gone. */
  send(bytes: Buffer): boolean;
  /** Resolves with the first frame matching `pick`, or null after `timeoutMs` or when the connection closes first. */
  next(pick: (f: ServerFrame) => boolean, timeoutMs?: number): Promise<ServerFrame | null>;
  /** The server's GOAWAY, if one arrived. */
  goaway(): Goaway | null;
  /** Resolves when the connection closed (or after `timeoutMs`: false). */
  closed(timeoutMs?: number): Promise<boolean>;
  /** Whether the server has closed the connection. */
  readonly isClosed: boolean;
  /** Whether the server sent GOAWAY (it will not take new streams). */
  readonly goneAway: boolean;
  close(): void;
}

/** Parses a GOAWAY frame's payload. */
export function parseGoaway(f: ServerFrame): Goaway {
  return { lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4), debug: f.payload.subarray(8).toString('latin1') };
}

/** Connects, sends the preface and an empty SETTINGS frame, and starts reading frames. */
export function connectRawH2(o: RawH2Options): Promise<RawH2> {
  assertLoopbackHost(o.host);
  return new Promise((resolve, reject) => {
    const tcp = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress });
    tcp.on('error', () => {});
    const socket = tls.connect({
      socket: tcp,
      servername: o.servername,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
      session: o.session,
    });
    const frames: ServerFrame[] = [];
    const waiters = new Set<() => void>();
    let buffer: Buffer = Buffer.alloc(0);
    let closed = false;
    let framesDropped = 0;
    let goneAway = false;
    const wake = () => {
      for (const w of [...waiters]) w();
    };
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (buffer.length >= 9) {
        const length = buffer.readUIntBE(0, 3);
        if (buffer.length < 9 + length) break;
        const f = { type: buffer[3]!, flags: buffer[4]!, streamId: buffer.readUInt32BE(5) & 0x7fffffff, payload: Buffer.from(buffer.subarray(9, 9 + length)) };
        buffer = buffer.subarray(9 + length);
        if (f.type === FRAME.GOAWAY) goneAway = true;
        if (frames.length < MAX_KEPT_FRAMES) frames.push(f);
        else framesDropped++;
        if (o.ackSettings !== false && f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0) socket.write(encodeFrame(FRAME.SETTINGS, FLAG.ACK, 0));
      }
      wake();
    });
    socket.on('close', () => {
      closed = true;
      wake();
    });
    socket.on('error', () => {});
    socket.once('secureConnect', () => {
      if (socket.alpnProtocol !== 'h2') {
        socket.destroy();
        reject(new Error(`server chose ${String(socket.alpnProtocol)}, not h2`));
        return;
      }
      socket.write(Buffer.concat([PREFACE_BYTES, encodeFrame(FRAME.SETTINGS, 0, 0)]));
      resolve({
        socket,
        frames,
        get framesDropped() {
          return framesDropped;
        },
        send: (bytes) => !closed && socket.write(bytes),
        next(pick, timeoutMs = 5000) {
          return new Promise((done) => {
            let seen = 0;
            const check = () => {
              for (; seen < frames.length; seen++) {
                if (pick(frames[seen]!)) return finish(frames[seen]!);
              }
              if (closed) finish(null);
            };
            const timer = setTimeout(() => finish(null), timeoutMs);
            const finish = (f: ServerFrame | null) => {
              clearTimeout(timer);
              waiters.delete(check);
              done(f);
            };
            waiters.add(check);
            check();
          });
        },
        goaway() {
          const f = frames.find((x) => x.type === FRAME.GOAWAY);
          return f === undefined ? null : parseGoaway(f);
        },
        closed(timeoutMs = 5000) {
          return new Promise((done) => {
            if (closed) return done(true);
            const timer = setTimeout(() => {
              waiters.delete(check);
              done(false);
            }, timeoutMs);
            const check = () => {
              if (!closed) return;
              clearTimeout(timer);
              waiters.delete(check);
              done(true);
            };
            waiters.add(check);
          });
        },
        get isClosed() {
          return closed;
        },
        get goneAway() {
          return goneAway;
        },
        close: () => socket.destroy(),
      });
    });
    let connected = false;
    socket.once('secureConnect', () => {
      connected = true;
    });
    socket.once('error', (err) => {
      if (!connected) reject(err);
    });
    socket.once('close', () => {
      if (!connected) reject(new Error('connection closed before the TLS handshake finished'));
    });
  });
}

/** RST_STREAM with `code` (default CANCEL, what a browser sends when it gives up a request). */
export function rstStream(streamId: number, code = 0x8): Buffer {
  return encodeFrame(FRAME.RST_STREAM, 0, streamId, u32(code));
}
