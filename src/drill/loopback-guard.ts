/**
 * The drill attacks only loopback. Every target (URL or raw host) goes through this guard before a
 * single byte is sent, so a typo or a malicious config cannot turn `bulwark drill` into a real attack tool.
 *
 * Accepted: literal loopback IPs — IPv4 in 127.0.0.0/8 written as a canonical dotted quad, `::1`, and the
 * IPv4-mapped form `::ffff:127.x.y.z` — and the name `localhost` (whose resolution is checked too, see
 * {@link resolveLoopbackTarget}). Refused: every other name (`127.0.0.1.nip.io`, `foo.localhost`,
 * `localhost.`), every non-loopback IP, and non-canonical IPv4 spellings (`2130706433`, `0x7f.0.0.1`,
 * `0177.0.0.1`, `127.1`, `127.0.0.%31`) that the WHATWG URL parser would quietly turn into 127.0.0.1 but
 * other parsers (inet_aton, resolvers, proxies) read differently — a guard must not depend on which parser
 * runs next.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { DrillError } from './errors.ts';

const SCHEMES = new Set(['http:', 'https:', 'ws:', 'wss:']);
const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const AUTHORITY = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#\\]*)/;

/**
 * Whether `ip` is a literal loopback address: IPv4 in 127.0.0.0/8 (canonical dotted quad only), `::1`, or
 * `::ffff:127.x.y.z`. Brackets around IPv6 are accepted. Names (even `localhost`) return false.
 */
export function isLoopbackAddress(ip: string): boolean {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const family = isIP(bare);
  if (family === 4) return DOTTED_QUAD.test(bare) && bare.startsWith('127.');
  if (family !== 6) return false;
  const parsed = ipaddr.IPv6.parse(bare);
  if (parsed.isIPv4MappedAddress()) return parsed.toIPv4Address().range() === 'loopback';
  return parsed.range() === 'loopback';
}

/** Whether `host` is acceptable as a drill target host: a literal loopback IP or exactly `localhost`. */
export function isLoopbackHost(host: string): boolean {
  return host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
}

/**
 * Checks a raw-socket target host. Returns it unchanged when it is a literal loopback IP or `localhost`;
 * throws `BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK` otherwise.
 */
export function assertLoopbackHost(host: string): string {
  if (!isLoopbackHost(host)) throw notLoopback(host, 'not a literal loopback IP nor "localhost"');
  return host;
}

/**
 * Checks a target URL (http, https, ws, wss). Returns the parsed URL when its host is a literal
 * loopback IP or `localhost` as written; throws `BULWARK_ERR_DRILL_TARGET_INVALID` for an unparsable URL
 * or another scheme, `BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK` for any other host. A `URL` object has
 * already been normalised, so only its resulting host can be checked; pass the string when you have it.
 */
export function assertLoopbackTarget(target: string | URL): URL {
  const text = typeof target === 'string' ? target.trim() : target.href;
  if (/[\t\n\r]/.test(text)) throw invalid(text, 'control characters in the URL');
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw invalid(text, 'not a URL', cause);
  }
  if (!SCHEMES.has(url.protocol)) throw invalid(text, `scheme ${url.protocol} is not http(s) or ws(s)`);
  const written = writtenHost(text);
  if (written === undefined) throw invalid(text, 'no authority');
  if (!isLoopbackHost(url.hostname)) throw notLoopback(text, `host "${url.hostname}" is not loopback`);
  if (isIP(url.hostname) === 4 && written !== url.hostname) {
    throw notLoopback(text, `host written "${written}" is not a canonical dotted-quad IPv4 address`);
  }
  return url;
}

/**
 * Like {@link assertLoopbackTarget}, then resolves `localhost` and checks that EVERY address it resolves
 * to is loopback (an edited /etc/hosts could point it elsewhere). Returns a URL whose host is the literal
 * address to connect to (IPv4 preferred), so the checked address is the one used.
 */
export async function resolveLoopbackTarget(target: string | URL): Promise<URL> {
  const url = assertLoopbackTarget(target);
  if (url.hostname !== 'localhost') return url;
  const found = await lookup('localhost', { all: true });
  const bad = found.find((a) => !isLoopbackAddress(a.address));
  if (found.length === 0 || bad) {
    throw notLoopback(url.href, `localhost resolves to ${bad?.address ?? 'nothing'}`);
  }
  const chosen = found.find((a) => a.family === 4) ?? found[0];
  const resolved = new URL(url.href);
  resolved.hostname = chosen.family === 6 ? `[${chosen.address}]` : chosen.address;
  return resolved;
}

/** The host part of the URL as the caller wrote it (lowercased, userinfo and port removed). */
function writtenHost(text: string): string | undefined {
  const m = AUTHORITY.exec(text);
  if (!m) return undefined;
  let host = m[1].slice(m[1].lastIndexOf('@') + 1).toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  if (colon >= 0) host = host.slice(0, colon);
  return host;
}

function notLoopback(target: string, why: string): DrillError {
  return new DrillError(
    'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK',
    `the drill only attacks loopback (127.0.0.0/8, ::1, localhost); refused ${JSON.stringify(target)}: ${why}`,
  );
}

function invalid(target: string, why: string, cause?: unknown): DrillError {
  return new DrillError('BULWARK_ERR_DRILL_TARGET_INVALID', `invalid drill target ${JSON.stringify(target)}: ${why}`, { cause });
}
