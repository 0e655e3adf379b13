/**
 * The one normalised authority of a request: what routing, the cache key and the origin all see.
 *
 * A cached page is built by the origin from the Host it received; if the cache key were anything else
 * (the site, say) while the origin saw the client's own Host text, a client could choose a Host — any
 * port on an exact host, any name under `*.suffix` or `*` — make the origin build a page for it, and
 * have the cache hand that page to every later visitor. So Bulwark computes one value from the Host
 * (or an absolute-form target's authority) and uses it everywhere: the origin gets exactly this value
 * as `Host` (with `preserve_host`) and as `X-Forwarded-Host`, and the cache key contains it with the
 * scheme (the origin also sees `X-Forwarded-Proto`).
 *
 * Normalised as RFC 3986 §6.2.2.1 and §6.2.3 allow: host lower-cased, one trailing dot dropped, the
 * port without leading zeros and left out when it is empty or the scheme's default (80 for http, 443
 * for https). A port above 65535 is not an authority at all. Pure.
 */

/** A request's host for routing and its authority for the origin and the cache key. */
export interface NormalizedAuthority {
  /** Lower-case host without port or trailing dot (`[::1]` keeps its brackets): what routing matches. */
  readonly host: string;
  /** `host` plus `:port` when the port is not the scheme's default: what the origin and the cache key see. */
  readonly authority: string;
}

const EMPTY: NormalizedAuthority = Object.freeze({ host: '', authority: '' });

/**
 * Normalises a Host value that the request-head check already found syntactically valid
 * (core/http/request-head.ts). `secure` says which default port to drop. Returns null when the port is
 * out of range (the request is then refused as having an invalid Host); an absent or empty Host gives
 * empty strings.
 */
export function normalizeAuthority(raw: string | undefined, secure: boolean): NormalizedAuthority | null {
  if (raw === undefined || raw === '') return EMPTY;
  let host: string;
  let port = '';
  if (raw.charCodeAt(0) === 91 /* [ */) {
    const end = raw.indexOf(']');
    if (end === -1) return null;
    host = raw.slice(0, end + 1);
    if (end + 1 < raw.length) {
      if (raw.charCodeAt(end + 1) !== 58 /* : */) return null;
      port = raw.slice(end + 2);
    }
  } else {
    const colon = raw.indexOf(':');
    host = colon === -1 ? raw : raw.slice(0, colon);
    if (colon !== -1) port = raw.slice(colon + 1);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  host = host.toLowerCase();
  if (port === '') return { host, authority: host };
  const n = Number(port);
  if (!/^\d{1,5}$/.test(port) || n > 65535) return null;
  if (n === (secure ? 443 : 80)) return { host, authority: host };
  return { host, authority: `${host}:${n}` };
}

/**
 * The scheme and normalised authority a cache key holds (`https://example.org:8443`): what the origin
 * is told about the host (`Host` with preserve_host, `X-Forwarded-Host`) and the scheme
 * (`X-Forwarded-Proto`), so a page built for one is never filed under another.
 */
export function keyAuthority(secure: boolean, authority: string): string {
  return (secure ? 'https://' : 'http://') + authority;
}
