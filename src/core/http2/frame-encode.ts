/**
 * Building raw HTTP/2 frames (RFC 9113 §4.1) and simple header blocks (RFC 7541 literal fields, no
 * Huffman, no indexing): what the drill's HTTP/2 attacker and the tests send where node:http2's client
 * refuses to misbehave (resetting a stream at once, CONTINUATION floods, streams beyond the limit).
 *
 * Pure.
 */
import { CLIENT_PREFACE } from './frame-scanner.ts';

/** The client connection preface (RFC 9113 §3.4) as bytes. */
export const PREFACE_BYTES: Buffer = Buffer.from(CLIENT_PREFACE, 'latin1');

/** One frame: 9-byte header (length, type, flags, stream ID) and its payload. */
export function encodeFrame(type: number, flags: number, streamId: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, 5);
  out.set(payload, 9);
  return out;
}

/** A 32-bit big-endian value (RST_STREAM and GOAWAY error codes, WINDOW_UPDATE increments). */
export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

/** An HPACK integer with an `prefixBits`-bit prefix whose high bits are `first` (RFC 7541 §5.1). */
function hpackInt(n: number, prefixBits: number, first: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (n < max) return [first | n];
  const out = [first | max];
  let rest = n - max;
  while (rest >= 128) {
    out.push((rest & 127) | 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

/** One "literal header field without indexing — new name" (RFC 7541 §6.2.2), no Huffman coding. */
export function literalField(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from(hpackInt(0, 4, 0)), Buffer.from(hpackInt(n.length, 7, 0)), n, Buffer.from(hpackInt(v.length, 7, 0)), v]);
}

/** A header block of literal fields, in order (pseudo-header fields first, as RFC 9113 §8.3 requires). */
export function headerBlock(fields: readonly (readonly [string, string])[]): Buffer {
  return Buffer.concat(fields.map(([n, v]) => literalField(n, v)));
}

/** The header block of a GET request for `path` on `authority` over https. */
export function requestBlock(authority: string, path: string, extra: readonly (readonly [string, string])[] = []): Buffer {
  return headerBlock([[':method', 'GET'], [':scheme', 'https'], [':authority', authority], [':path', path], ...extra]);
}
