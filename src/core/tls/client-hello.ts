/**
 * Reading a TLS ClientHello (RFC 8446 §4.1.2; TLS 1.2 per RFC 5246 §7.4.1.2) before the handshake: the
 * server name the client asks for (SNI, RFC 6066 §3) and the signature algorithms it accepts (RFC 8446
 * §4.2.3). The https listeners read it at accept to choose the site's certificate — ECDSA when the
 * client accepts it, RSA otherwise — before TLS starts, because node:tls's SNI callback can swap only
 * one certificate of a context, not pick between a site's ECDSA and RSA pairs.
 *
 * Only what is needed is read; anything malformed is reported as such, and the caller lets TLS refuse
 * it. Pure.
 */

/** What a ClientHello says, as far as certificate choice goes. */
export interface ClientHelloInfo {
  /** The host_name of the server_name extension, lower case; null when absent. */
  readonly serverName: string | null;
  /** The signature_algorithms code points, in the client's order; empty when the extension is absent. */
  readonly signatureAlgorithms: readonly number[];
}

/** `incomplete`: more bytes are needed; `invalid`: not a ClientHello this reader understands. */
export type ClientHelloRead = { readonly kind: 'hello'; readonly info: ClientHelloInfo } | { readonly kind: 'incomplete' } | { readonly kind: 'invalid' };

const INCOMPLETE: ClientHelloRead = { kind: 'incomplete' };
const INVALID: ClientHelloRead = { kind: 'invalid' };

/** The largest ClientHello read (a handshake message may span records; real ones are under 2 KiB, post-quantum ones under 4 KiB). */
export const MAX_CLIENT_HELLO_BYTES = 16 * 1024;

/**
 * Reads the ClientHello at the start of `bytes` (the first bytes a client sent). The message may span
 * several handshake records; `incomplete` until all of it is there.
 */
export function readClientHello(bytes: Uint8Array): ClientHelloRead {
  // Reassemble the handshake layer from the records (RFC 8446 §5.1).
  const body: number[] = [];
  let at = 0;
  let need = -1;
  while (need < 0 || body.length < need) {
    if (bytes.length < at + 5) return INCOMPLETE;
    if (bytes[at] !== 0x16 || bytes[at + 1] !== 0x03) return INVALID;
    const length = (bytes[at + 3]! << 8) | bytes[at + 4]!;
    if (length === 0 || length > 16_384 + 256) return INVALID;
    if (bytes.length < at + 5 + length) return INCOMPLETE;
    for (let i = at + 5; i < at + 5 + length; i++) body.push(bytes[i]!);
    at += 5 + length;
    if (need < 0 && body.length >= 4) {
      if (body[0] !== 0x01) return INVALID;
      need = 4 + ((body[1]! << 16) | (body[2]! << 8) | body[3]!);
      if (need > MAX_CLIENT_HELLO_BYTES) return INVALID;
    }
  }
  return parseHello(Uint8Array.from(body.slice(4, need)));
}

function parseHello(m: Uint8Array): ClientHelloRead {
  let p = 2 + 32; // legacy_version, random
  const u8 = () => (p < m.length ? m[p++]! : -1);
  const u16 = () => (p + 1 < m.length ? (m[p++]! << 8) | m[p++]! : -1);
  const skip8 = () => {
    const n = u8();
    if (n < 0) return false;
    p += n;
    return p <= m.length;
  };
  const skip16 = () => {
    const n = u16();
    if (n < 0) return false;
    p += n;
    return p <= m.length;
  };
  if (!skip8() || !skip16() || !skip8()) return INVALID; // session_id, cipher_suites, compression_methods
  if (p === m.length) return { kind: 'hello', info: { serverName: null, signatureAlgorithms: [] } };
  const total = u16();
  if (total < 0 || p + total > m.length) return INVALID;
  const end = p + total;
  let serverName: string | null = null;
  let signatureAlgorithms: number[] = [];
  while (p + 4 <= end) {
    const type = u16();
    const length = u16();
    const next = p + length;
    if (next > end) return INVALID;
    if (type === 0x0000) serverName = readServerName(m, p, next);
    else if (type === 0x000d) signatureAlgorithms = readList16(m, p, next);
    p = next;
  }
  return { kind: 'hello', info: { serverName, signatureAlgorithms } };
}

function readServerName(m: Uint8Array, from: number, to: number): string | null {
  let p = from + 2; // server_name_list length
  while (p + 3 <= to) {
    const type = m[p]!;
    const length = (m[p + 1]! << 8) | m[p + 2]!;
    p += 3;
    if (p + length > to) return null;
    if (type === 0) {
      let name = '';
      for (let i = p; i < p + length; i++) name += String.fromCharCode(m[i]!);
      return name.toLowerCase();
    }
    p += length;
  }
  return null;
}

function readList16(m: Uint8Array, from: number, to: number): number[] {
  const length = (m[from]! << 8) | m[from + 1]!;
  const out: number[] = [];
  for (let p = from + 2; p + 1 < Math.min(to, from + 2 + length); p += 2) out.push((m[p]! << 8) | m[p + 1]!);
  return out;
}

/**
 * The TLS 1.3 signature scheme (RFC 8446 §4.2.3) an ECDSA certificate on `curve` signs with
 * (`prime256v1` → ecdsa_secp256r1_sha256…), or null for another key type.
 */
export function ecdsaScheme(curve: string | undefined): number | null {
  switch (curve) {
    case 'prime256v1':
      return 0x0403;
    case 'secp384r1':
      return 0x0503;
    case 'secp521r1':
      return 0x0603;
    default:
      return null;
  }
}
