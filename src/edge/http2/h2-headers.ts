/**
 * Header fields between HTTP/2 and the HTTP/1.1 shapes the pipeline reads (RFC 9113 §8.3, and Node's
 * `IncomingMessage.headers` rules), so a request reaches every phase looking the way an HTTP/1.1
 * request with the same meaning does:
 * - `:authority` becomes a `Host` field, first (as HTTP/1.1 clients send it); a `host` field that
 *   disagrees with it is kept as a second Host, which parse refuses (RFC 9113 §8.3.1: such a request
 *   is malformed);
 * - cookie crumbs (RFC 9113 §8.2.3 lets clients split `cookie` into several fields) are joined into one
 *   field with `; `, at the first crumb's place;
 * - other pseudo-header fields are left out; names are already lower case in HTTP/2.
 * Responses go the other way: HTTP/1.1's connection-specific fields, which HTTP/2 forbids (§8.2.2),
 * are dropped, and repeated names become one field with several values.
 */
import type { OutgoingHttpHeaders } from 'node:http';

/** Request header fields of an HTTP/2 request as HTTP/1.1 would carry them: `rawHeaders` and the host. */
export interface H1View {
  readonly rawHeaders: string[];
  /** `:authority`, else the `host` field, else ''. */
  readonly host: string;
}

/** Builds the HTTP/1.1 view of an HTTP/2 request's raw header list (node:http2's flat `rawHeaders`). */
export function h1ViewOf(raw: readonly string[]): H1View {
  let authority: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i] === ':authority') {
      authority = raw[i + 1]!;
      break;
    }
  }
  const out: string[] = authority === undefined ? [] : ['host', authority];
  let cookieAt = -1;
  let host = authority ?? '';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.charCodeAt(0) === 58 /* : */) continue;
    const value = raw[i + 1]!;
    if (name === 'cookie') {
      if (cookieAt === -1) {
        cookieAt = out.length + 1;
        out.push('cookie', value);
      } else out[cookieAt] = `${out[cookieAt]!}; ${value}`;
      continue;
    }
    if (name === 'host') {
      if (authority !== undefined && value === authority) continue;
      if (host === '') host = value;
    }
    out.push(name, value);
  }
  return { rawHeaders: out, host };
}

/** Fields whose repeats node:http discards (first wins), as documented for `message.headers`. */
const SINGLE = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
]);

/**
 * The `headers` object node:http would build from `rawHeaders` (names lower case): repeats of the
 * fields in {@link SINGLE} discarded, `set-cookie` an array, `cookie` joined with `; `, others with `, `.
 */
export function headersObjectOf(rawHeaders: readonly string[]): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    const had = h[name];
    if (had === undefined) h[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (had as string[]).push(value);
    else if (SINGLE.has(name)) continue;
    else h[name] = `${had as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return h;
}

/** HTTP/1.1 connection-specific fields, forbidden in HTTP/2 (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings']);

/**
 * An HTTP/2 response head from a status and fields set with setHeader (`set`, lower-case keys) and a
 * flat `[name, value, …]` list or object given to writeHead. Returns the head and its size as RFC 9113
 * §6.5.2 counts it (name + value + 32 a field), for the record's bytes.
 */
export function responseHead(status: number, set: ReadonlyMap<string, string | string[]>, given: readonly string[] | Readonly<Record<string, unknown>> | undefined): { head: OutgoingHttpHeaders; size: number } {
  const head: OutgoingHttpHeaders = { ':status': status };
  let size = 32 + 7 + 3;
  const add = (rawName: string, value: unknown) => {
    const name = rawName.toLowerCase();
    if (CONNECTION_SPECIFIC.has(name) || value === undefined) return;
    const values = Array.isArray(value) ? value.map(String) : [String(value)];
    for (const v of values) size += name.length + v.length + 32;
    const had = head[name];
    if (had === undefined) head[name] = values.length === 1 ? values[0]! : values;
    else head[name] = [...(Array.isArray(had) ? had.map(String) : [String(had)]), ...values];
  };
  if (Array.isArray(given)) {
    // writeHead's fields replace setHeader's of the same name (node:http's rule).
    const named = new Set<string>();
    for (let i = 0; i < given.length; i += 2) named.add(given[i]!.toLowerCase());
    for (const [name, value] of set) if (!named.has(name)) add(name, value);
    for (let i = 0; i < given.length; i += 2) add(given[i]!, given[i + 1]);
  } else {
    const obj = (given ?? {}) as Readonly<Record<string, unknown>>;
    const named = new Set(Object.keys(obj).map((k) => k.toLowerCase()));
    for (const [name, value] of set) if (!named.has(name)) add(name, value);
    for (const name of Object.keys(obj)) add(name, obj[name]);
  }
  return { head, size };
}

/** Bytes of a request head as RFC 9113 §6.5.2 counts them (name + value + 32 a field), pseudo-fields included. */
export function headListSize(raw: readonly string[]): number {
  let size = 0;
  for (let i = 0; i < raw.length; i += 2) size += raw[i]!.length + raw[i + 1]!.length + 32;
  return size;
}
