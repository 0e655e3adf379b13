/**
 * The checks every admin request passes before its route runs, so that a web page cannot use the
 * operator's browser against the admin listener:
 *
 * - **Host** must name this listener: its bound address (or, bound to a wildcard, the address the
 *   connection arrived on), `localhost` when it is bound to loopback, or a name listed in
 *   `admin.hosts` — and the listener's port. A DNS-rebinding attack points a name the attacker controls
 *   at 127.0.0.1; the browser then sends that name as Host, and it is refused (421, RFC 9110 §15.5.20).
 * - **Origin**, when sent, must be this listener itself (same scheme, an allowed host, same port);
 *   `Origin: null` and any other origin are refused (403). A state change from a browser session must
 *   carry it (auth checks that). `Sec-Fetch-Site: cross-site` is refused too, except for a plain
 *   top-level navigation (a link to the dashboard).
 * - **Content-Type**: a request with a body must send `application/json` (charset utf-8 at most).
 *   HTML forms can only send urlencoded, multipart or text/plain bodies without a CORS preflight, and
 *   this listener answers no preflight, so a cross-site form post is refused (415) before its body is
 *   read.
 *
 * See https://fetch.spec.whatwg.org/#http-origin and https://www.w3.org/TR/fetch-metadata/.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isLoopbackHost } from '../config/listen-address.ts';
import { normalizeAddress } from '../core/net/ip.ts';

/** Who this listener is: what Host and Origin may name. */
export interface ListenerIdentity {
  readonly scheme: 'http' | 'https';
  /** The bound address (an IP literal, IPv6 without brackets). */
  readonly host: string;
  /** The bound port (the real one when the config said 0). */
  readonly port: number;
  /** Extra host names the listener answers to (`admin.hosts`), lower case. */
  readonly names: readonly string[];
}

/** Why a request was refused before its route ran. */
export interface GuardRefusal {
  readonly status: 403 | 415 | 421;
  readonly code: 'BULWARK_ERR_ADMIN_HOST' | 'BULWARK_ERR_ADMIN_ORIGIN' | 'BULWARK_ERR_ADMIN_CONTENT_TYPE';
  readonly message: string;
}

/** What the guard reads of a request. */
export interface GuardedRequest {
  readonly method: string;
  readonly headers: IncomingHttpHeaders;
  /** The address the connection arrived on (the socket's local address). */
  readonly localAddress: string | undefined;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Splits an authority (`host[:port]`, `[v6]:port`) into a lower-case host and a port (null when absent); null when malformed. */
export function parseAuthority(text: string): { host: string; port: number | null } | null {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/@]+))(?::(\d{1,5}))?$/.exec(text);
  if (m === null) return null;
  const port = m[3] === undefined ? null : Number(m[3]);
  if (port !== null && port > 65535) return null;
  let host = (m[1] ?? m[2]!).toLowerCase();
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (m[1] !== undefined) {
    const a = normalizeAddress(host);
    if (a === null) return null;
    host = a;
  }
  return { host, port };
}

function unmapped(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return normalizeAddress(address.startsWith('::ffff:') ? address.slice(7) : address) ?? address;
}

/** True when `authority` (a Host header or an Origin's host) names this listener. */
export function isOwnAuthority(authority: string, id: ListenerIdentity, localAddress: string | undefined): boolean {
  const a = parseAuthority(authority);
  if (a === null) return false;
  const defaultPort = id.scheme === 'https' ? 443 : 80;
  if ((a.port ?? defaultPort) !== id.port) return false;
  const bound = normalizeAddress(id.host) ?? id.host;
  if (a.host === bound) return true;
  if (WILDCARDS.has(bound) && a.host === unmapped(localAddress)) return true;
  if (a.host === 'localhost' && (isLoopbackHost(bound) || (WILDCARDS.has(bound) && localAddress !== undefined && isLoopbackHost(unmapped(localAddress)!)))) return true;
  return id.names.includes(a.host);
}

/** True when the Origin header value is this listener (same scheme, own host and port). */
export function isOwnOrigin(origin: string, id: ListenerIdentity, localAddress: string | undefined): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== `${id.scheme}:` || url.origin === 'null' || url.username !== '' || url.pathname !== '/') return false;
  // URL drops the scheme's default port from `host`; isOwnAuthority puts it back.
  return isOwnAuthority(url.host, id, localAddress);
}

const JSON_TYPE = /^application\/json\s*(?:;\s*charset\s*=\s*"?utf-8"?\s*)?$/i;

function hasBody(headers: IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/**
 * Checks Host, Origin, fetch metadata and Content-Type (see the module comment). Returns null when the
 * request may go on to authentication, or the refusal to answer.
 */
export function checkAdminRequest(req: GuardedRequest, id: ListenerIdentity): GuardRefusal | null {
  const host = header(req.headers, 'host');
  if (host === undefined || !isOwnAuthority(host, id, req.localAddress)) {
    return { status: 421, code: 'BULWARK_ERR_ADMIN_HOST', message: 'the Host header does not name this admin listener' };
  }
  const origin = header(req.headers, 'origin');
  if (origin !== undefined && !isOwnOrigin(origin, id, req.localAddress)) {
    return { status: 403, code: 'BULWARK_ERR_ADMIN_ORIGIN', message: 'requests from other origins are refused' };
  }
  const site = header(req.headers, 'sec-fetch-site');
  const navigation = req.method === 'GET' && header(req.headers, 'sec-fetch-mode') === 'navigate';
  if (site !== undefined && site !== 'same-origin' && site !== 'none' && !navigation) {
    return { status: 403, code: 'BULWARK_ERR_ADMIN_ORIGIN', message: `requests from other sites are refused (Sec-Fetch-Site: ${site})` };
  }
  if (hasBody(req.headers)) {
    const type = header(req.headers, 'content-type');
    if (type === undefined || !JSON_TYPE.test(type.trim())) {
      return { status: 415, code: 'BULWARK_ERR_ADMIN_CONTENT_TYPE', message: 'request bodies must be application/json' };
    }
  }
  return null;
}
