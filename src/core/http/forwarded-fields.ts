/**
 * Which request fields cross from client to origin (RFC 9110 §7.6.1 hop-by-hop fields), which the
 * origin never gets from a client, and which a client's `Connection` header may remove. Pure; used by
 * parse (what Bulwark itself reads) and by pipeline/forward/proxy-headers.ts (what the origin gets), so both always
 * see the same fields.
 */

/** Hop-by-hop fields that never cross a proxy, plus `proxy-connection` (obsolete, still sent by some). */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/**
 * Request fields the origin never gets from the client:
 * - those Bulwark sets itself (`Host`, `X-Forwarded-For/-Proto/-Host`, `X-Request-Id`), and the other
 *   spellings of the same facts (`Forwarded`, `X-Real-IP`);
 * - fields some origin frameworks read *instead of* Host, scheme, port, path or method — a client
 *   could otherwise make the origin build a page for another host, scheme or path than the one Bulwark
 *   routed, decided on and keyed in the cache (web cache poisoning; rule evasion through
 *   `X-Original-URL` / `X-Rewrite-URL`; CPDoS through method override, https://cpdos.org/);
 * - `Expect`, which Node answers itself (100-continue) and undici refuses to send.
 */
export const NEVER_FROM_CLIENT = new Set([
  'host', 'expect', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id', 'forwarded', 'x-real-ip',
  'x-forwarded-port', 'x-forwarded-server', 'x-forwarded-scheme', 'x-forwarded-ssl', 'x-forwarded-protocol', 'x-forwarded-prefix',
  'front-end-https', 'x-url-scheme', 'x-host', 'x-original-host', 'x-http-host-override',
  'x-original-url', 'x-rewrite-url', 'x-http-method-override', 'x-http-method', 'x-method-override',
]);

/** Names listed in a `Connection` header (lower-case), which are hop-by-hop too. Null when none. */
export function connectionTokens(raw: readonly string[]): Set<string> | null {
  let tokens: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      for (const t of raw[i + 1]!.split(',')) {
        const name = t.trim().toLowerCase();
        if (name !== '' && name !== 'close' && name !== 'keep-alive') (tokens ??= new Set()).add(name);
      }
    }
  }
  return tokens;
}


/**
 * The fields a client's `Connection` header names that are removed, both from what Bulwark reads and
 * from what the origin gets (RFC 9110 §7.6.1): every named field except Host, `Content-Length`, the
 * standard hop-by-hop fields (removed anyway, and read by Bulwark for framing and upgrades) and
 * {@link NEVER_FROM_CLIENT} (Bulwark sets those itself). Null when there are none (nearly always:
 * browsers send `keep-alive` or `close` only).
 */
export function clientConnectionFields(raw: readonly string[]): Set<string> | null {
  const tokens = connectionTokens(raw);
  if (tokens === null) return null;
  let named: Set<string> | null = null;
  for (const name of tokens) {
    if (name === 'host' || name === 'content-length' || name === 'via' || HOP_BY_HOP.has(name) || NEVER_FROM_CLIENT.has(name)) continue;
    (named ??= new Set()).add(name);
  }
  return named;
}

/**
 * Removes the fields a client's `Connection` names ({@link clientConnectionFields}) from node:http's
 * parsed header object, so rules, the cache key's `Vary` variant and every other reader in Bulwark see
 * the request the origin will get. A no-op without such a `Connection` header (one property read).
 */
export function dropConnectionFields(headers: Record<string, unknown>, raw: readonly string[]): void {
  const c = headers.connection;
  if (c === undefined || c === 'keep-alive' || c === 'close') return;
  const named = clientConnectionFields(raw);
  if (named !== null) for (const name of named) delete headers[name];
}
