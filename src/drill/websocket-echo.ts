/**
 * The origin fixture's WebSocket echo endpoint: a by-hand RFC 6455 handshake on an upgraded node:http
 * socket, then every data frame is sent back as it came (same FIN bit and opcode, unmasked), pings get
 * pongs, and a close frame is answered with a close frame before the socket ends.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { acceptKey, createFrameParser, encodeFrame, OPCODE, type WebSocketFrame } from './websocket-codec.ts';
import { DrillError } from './errors.ts';

/** Options of {@link acceptWebSocketEcho}. */
export interface WebSocketEchoOptions {
  /** Largest frame accepted; a bigger one closes the connection with 1009. Default 1 MiB. */
  readonly maxPayloadBytes?: number;
  /** Called for each data frame received (for counting). */
  readonly onFrame?: (frame: WebSocketFrame) => void;
}

/**
 * Completes the handshake for an `upgrade` event and starts echoing. Returns false (after answering 400
 * and closing) when the request is not a valid version-13 WebSocket handshake.
 */
export function acceptWebSocketEcho(req: IncomingMessage, socket: Duplex, head: Buffer, options: WebSocketEchoOptions = {}): boolean {
  const key = req.headers['sec-websocket-key'];
  const valid =
    req.method === 'GET' &&
    String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
    typeof key === 'string' &&
    Buffer.from(key, 'base64').length === 16 &&
    req.headers['sec-websocket-version'] === '13';
  if (!valid) {
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return false;
  }
  socket.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
  );
  const parser = createFrameParser({ maxPayloadBytes: options.maxPayloadBytes ?? 1024 * 1024, requireMask: true });
  const onData = (chunk: Buffer): void => {
    try {
      for (const frame of parser.push(chunk)) echo(socket, frame, options);
    } catch (err) {
      const tooBig = err instanceof DrillError && err.message.includes('cap');
      socket.end(closeFrame(tooBig ? 1009 : 1002));
      socket.removeListener('data', onData);
    }
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
  if (head.length > 0) onData(head);
  return true;
}

function echo(socket: Duplex, frame: WebSocketFrame, options: WebSocketEchoOptions): void {
  if (socket.destroyed || !socket.writable) return;
  switch (frame.opcode) {
    case OPCODE.text:
    case OPCODE.binary:
    case OPCODE.continuation:
      options.onFrame?.(frame);
      socket.write(encodeFrame({ fin: frame.fin, opcode: frame.opcode, payload: frame.payload }));
      return;
    case OPCODE.ping:
      socket.write(encodeFrame({ opcode: OPCODE.pong, payload: frame.payload }));
      return;
    case OPCODE.close:
      socket.end(encodeFrame({ opcode: OPCODE.close, payload: frame.payload.subarray(0, 2) }));
      return;
    default:
      return; // pong or unknown: ignored
  }
}

function closeFrame(code: number): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(code);
  return encodeFrame({ opcode: OPCODE.close, payload });
}
