/**
 * A tiny WebSocket client over a raw socket (loopback only), for tests of the fixture's echo endpoint and
 * of WebSocket pass-through in the proxy. It sends a version-13 handshake, checks the 101 answer and
 * `Sec-WebSocket-Accept`, then sends masked frames and queues received frames.
 */
import net from 'node:net';
import tls from 'node:tls';
import { acceptKey, createFrameParser, encodeFrame, newWebSocketKey, OPCODE, type WebSocketFrame } from './websocket-codec.ts';
import { assertLoopbackTarget, resolveLoopbackTarget } from './loopback-guard.ts';
import { DrillError } from './errors.ts';

/** Options of {@link connectWebSocket}. */
export interface WebSocketClientOptions {
  /** Source address to bind (127.x.y.z). */
  readonly localAddress?: string;
  /** Extra request headers, in order (e.g. `Host`, `Cookie`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Handshake deadline. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** For `wss:` targets: TLS options (e.g. `servername`, `ca`, `rejectUnauthorized`). */
  readonly tls?: tls.ConnectionOptions;
}

/** An open WebSocket connection. */
export interface WebSocketClient {
  /** The status line and headers of the handshake answer. */
  readonly handshake: { readonly status: number; readonly headers: Readonly<Record<string, string>> };
  send(data: string | Buffer, options?: { fin?: boolean; opcode?: number }): void;
  /** Resolves with the next received frame; rejects after `timeoutMs` (default 5000) or when the socket closes. */
  nextFrame(timeoutMs?: number): Promise<WebSocketFrame>;
  /** Sends a close frame with `code` (default 1000) and waits for the socket to close (≤ 2 s). */
  close(code?: number): Promise<void>;
  readonly socket: net.Socket;
}

/** Opens a WebSocket to a loopback `ws:`/`wss:` (or `http:`/`https:`) URL and completes the handshake. */
export async function connectWebSocket(target: string, options: WebSocketClientOptions = {}): Promise<WebSocketClient> {
  const written = assertLoopbackTarget(target);
  const url = await resolveLoopbackTarget(written);
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const raw = net.connect({ host, port, localAddress: options.localAddress });
  const socket = secure ? tls.connect({ ...options.tls, socket: raw }) : raw;
  const key = newWebSocketKey();
  const headers = { Host: written.host, ...options.headers };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  socket.write(
    `GET ${url.pathname}${url.search} HTTP/1.1\r\n${lines}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const { status, headers: answer, rest } = await readHandshake(socket, options.timeoutMs ?? 5000);
  if (status !== 101 || answer['sec-websocket-accept'] !== acceptKey(key)) {
    socket.destroy();
    throw new DrillError('BULWARK_ERR_DRILL_WEBSOCKET', `handshake refused: status ${status}`);
  }
  return createClient(socket as net.Socket, { status, headers: answer }, rest);
}

function createClient(socket: net.Socket, handshake: WebSocketClient['handshake'], rest: Buffer): WebSocketClient {
  const parser = createFrameParser();
  const frames: WebSocketFrame[] = [];
  const waiters: Array<{ resolve: (f: WebSocketFrame) => void; reject: (e: Error) => void }> = [];
  const deliver = (chunk: Buffer): void => {
    for (const frame of parser.push(chunk)) {
      const waiter = waiters.shift();
      if (waiter) waiter.resolve(frame);
      else if (frames.length < 10_000) frames.push(frame);
    }
  };
  socket.on('data', deliver);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    for (const w of waiters.splice(0)) w.reject(new DrillError('BULWARK_ERR_DRILL_WEBSOCKET', 'socket closed'));
  });
  if (rest.length > 0) deliver(rest);
  return {
    handshake,
    socket,
    send(data, opts = {}) {
      const payload = typeof data === 'string' ? Buffer.from(data) : data;
      const opcode = opts.opcode ?? (typeof data === 'string' ? OPCODE.text : OPCODE.binary);
      socket.write(encodeFrame({ fin: opts.fin ?? true, opcode, payload, mask: true }));
    },
    nextFrame(timeoutMs = 5000) {
      const queued = frames.shift();
      if (queued) return Promise.resolve(queued);
      if (socket.destroyed) return Promise.reject(new DrillError('BULWARK_ERR_DRILL_WEBSOCKET', 'socket closed'));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(entry), 1);
          reject(new DrillError('BULWARK_ERR_DRILL_WEBSOCKET', `no frame within ${timeoutMs} ms`));
        }, timeoutMs);
        const entry = {
          resolve: (f: WebSocketFrame) => (clearTimeout(timer), resolve(f)),
          reject: (e: Error) => (clearTimeout(timer), reject(e)),
        };
        waiters.push(entry);
      });
    },
    close(code = 1000) {
      const payload = Buffer.alloc(2);
      payload.writeUInt16BE(code);
      if (!socket.destroyed) socket.write(encodeFrame({ opcode: OPCODE.close, payload, mask: true }));
      return new Promise((resolve) => {
        if (socket.destroyed) return resolve();
        const timer = setTimeout(() => socket.destroy(), 2000);
        socket.once('close', () => (clearTimeout(timer), resolve()));
      });
    },
  };
}

async function readHandshake(socket: net.Socket, timeoutMs: number): Promise<{ status: number; headers: Record<string, string>; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => fail(new Error(`no handshake answer within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error): void => {
      cleanup();
      socket.destroy();
      reject(new DrillError('BULWARK_ERR_DRILL_WEBSOCKET', err.message, { cause: err }));
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return buf.length > 65536 ? fail(new Error('handshake answer too large')) : undefined;
      cleanup();
      const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, rest: buf.subarray(end + 4) });
    };
    const onClose = (): void => fail(new Error('connection closed during the handshake'));
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      socket.removeListener('error', fail);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', fail);
  });
}
