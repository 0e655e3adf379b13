/**
 * A tiny WebSocket (RFC 6455) frame codec and handshake helpers, enough for the origin fixture's echo
 * endpoint and a test client. No extensions, no compression. Frames are not reassembled: a fragmented
 * message is handed over (and echoed) frame by frame, which is legal (RFC 6455 §5.4).
 */
import { createHash, randomBytes } from 'node:crypto';
import { DrillError } from './errors.ts';

/** The GUID appended to the key to compute `Sec-WebSocket-Accept` (RFC 6455 §1.3). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Frame opcodes (RFC 6455 §5.2). */
export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** One decoded frame; `payload` is already unmasked. */
export interface WebSocketFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/** The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/** A fresh random `Sec-WebSocket-Key` (16 random bytes, base64). */
export function newWebSocketKey(): string {
  return randomBytes(16).toString('base64');
}

/**
 * Encodes one frame. Clients must mask (pass `mask: true` for a random key, RFC 6455 §5.3); servers must
 * not. The payload buffer is not modified.
 */
export function encodeFrame(frame: { fin?: boolean; opcode: number; payload: Buffer; mask?: boolean }): Buffer {
  const len = frame.payload.length;
  const extra = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const maskBytes = frame.mask ? 4 : 0;
  const head = Buffer.alloc(2 + extra + maskBytes);
  head[0] = ((frame.fin ?? true) ? 0x80 : 0) | (frame.opcode & 0x0f);
  head[1] = (frame.mask ? 0x80 : 0) | (extra === 0 ? len : extra === 2 ? 126 : 127);
  if (extra === 2) head.writeUInt16BE(len, 2);
  if (extra === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!frame.mask) return Buffer.concat([head, frame.payload]);
  const key = randomBytes(4);
  key.copy(head, 2 + extra);
  return Buffer.concat([head, xorMask(frame.payload, key)]);
}

/** Options of {@link createFrameParser}. */
export interface FrameParserOptions {
  /** Largest payload accepted; a bigger frame is a protocol error. Default 16 MiB. */
  readonly maxPayloadBytes?: number;
  /** Whether frames must be masked (true on the server side). Default false (not checked). */
  readonly requireMask?: boolean;
}

/** Incremental frame parser: `push` bytes as they arrive, get the complete frames back. */
export interface FrameParser {
  /** Returns the frames completed by this chunk; throws `BULWARK_ERR_DRILL_WEBSOCKET` on a protocol error. */
  push(chunk: Buffer): WebSocketFrame[];
  /** Bytes held while waiting for the rest of a frame (bounded by maxPayloadBytes + 14). */
  buffered(): number;
}

/** Creates an incremental frame parser whose buffer never exceeds one maximal frame. */
export function createFrameParser(options: FrameParserOptions = {}): FrameParser {
  const maxPayload = options.maxPayloadBytes ?? 16 * 1024 * 1024;
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const frames: WebSocketFrame[] = [];
      for (;;) {
        const parsed = parseOne(pending, maxPayload, options.requireMask ?? false);
        if (!parsed) break;
        frames.push(parsed.frame);
        pending = pending.subarray(parsed.used);
      }
      return frames;
    },
    buffered: () => pending.length,
  };
}

function parseOne(buf: Buffer, maxPayload: number, requireMask: boolean): { frame: WebSocketFrame; used: number } | undefined {
  if (buf.length < 2) return undefined;
  const masked = (buf[1] & 0x80) !== 0;
  if (requireMask && !masked) throw protocolError('unmasked client frame');
  if ((buf[0] & 0x70) !== 0) throw protocolError('reserved bits set without an extension');
  let len = buf[1] & 0x7f;
  let offset = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    offset = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    const big = buf.readBigUInt64BE(2);
    if (big > BigInt(maxPayload)) throw protocolError(`frame of ${big} bytes over the ${maxPayload} cap`);
    len = Number(big);
    offset = 10;
  }
  if (len > maxPayload) throw protocolError(`frame of ${len} bytes over the ${maxPayload} cap`);
  const keyAt = offset;
  if (masked) offset += 4;
  if (buf.length < offset + len) return undefined;
  const body = buf.subarray(offset, offset + len);
  const payload = masked ? xorMask(body, buf.subarray(keyAt, keyAt + 4)) : Buffer.from(body);
  return { frame: { fin: (buf[0] & 0x80) !== 0, opcode: buf[0] & 0x0f, payload }, used: offset + len };
}

function xorMask(data: Buffer, key: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] ^ key[i & 3];
  return out;
}

function protocolError(why: string): DrillError {
  return new DrillError('BULWARK_ERR_DRILL_WEBSOCKET', `WebSocket protocol error: ${why}`);
}
