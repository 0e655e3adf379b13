/**
 * The origin fixture's routes: `/echo` (the request as JSON), `POST /upload` (a byte-counting sink),
 * `GET /download?bytes=N` (N bytes generated on the fly), and every other path (a page of the
 * configured size whose type follows the path). Bodies stream with backpressure and are never held whole.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { effectiveSource } from './origin-fixture-counters.ts';

/** Hooks a route uses to report body bytes. */
export interface RouteCounters {
  bodyIn(bytes: number): void;
  bodyOut(bytes: number): void;
}

/** Largest `/download` the fixture will generate: 64 GiB. */
export const MAX_DOWNLOAD_BYTES = 64 * 1024 ** 3;
/** Largest request body `/echo` copies into its answer (the rest is counted only). */
export const ECHO_BODY_LIMIT = 64 * 1024;

const PERIOD = 251; // prime, so pattern offsets do not line up with power-of-two chunk sizes
const PATTERN = Buffer.from(Array.from({ length: 65536 + PERIOD }, (_, i) => i % PERIOD));

/** Byte `i` of every generated body (download, large pages): `i % 251`, so clients can verify content. */
export function patternByte(i: number): number {
  return i % PERIOD;
}

/** The JSON `/echo` answers with. */
export interface EchoAnswer {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly httpVersion: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Header names and values in wire order, as received. */
  readonly rawHeaders: readonly string[];
  /** The socket peer as the fixture saw it (`::ffff:` removed). */
  readonly clientAddress: string;
  readonly clientPort: number;
  /** Rightmost X-Forwarded-For entry, else clientAddress. */
  readonly effectiveSource: string;
  readonly bodyBytes: number;
  /** The first {@link ECHO_BODY_LIMIT} bytes of the body, as UTF-8. */
  readonly body: string;
}

/** `/echo`: answers with the request's method, URL, headers and client address as JSON. */
export function serveEcho(req: IncomingMessage, res: ServerResponse, counters: RouteCounters): void {
  const kept: Buffer[] = [];
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    if (bytes < ECHO_BODY_LIMIT) kept.push(chunk.subarray(0, ECHO_BODY_LIMIT - bytes));
    bytes += chunk.length;
    counters.bodyIn(chunk.length);
  });
  req.on('end', () => {
    const peer = req.socket.remoteAddress ?? '';
    const answer: EchoAnswer = {
      method: req.method ?? '',
      url: req.url ?? '',
      path: (req.url ?? '').split('?')[0],
      httpVersion: req.httpVersion,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      clientAddress: peer.startsWith('::ffff:') ? peer.slice(7) : peer,
      clientPort: req.socket.remotePort ?? 0,
      effectiveSource: effectiveSource(req),
      bodyBytes: bytes,
      body: Buffer.concat(kept).toString('utf8'),
    };
    sendWhole(res, 200, 'application/json', Buffer.from(JSON.stringify(answer)), counters);
  });
}

/** `POST|PUT /upload`: counts and hashes the body as it streams, answers `{bytes, sha256}`. */
export function serveUpload(req: IncomingMessage, res: ServerResponse, counters: RouteCounters): void {
  const hash = createHash('sha256');
  let bytes = 0;
  req.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    hash.update(chunk);
    counters.bodyIn(chunk.length);
  });
  req.on('end', () => {
    const body = Buffer.from(JSON.stringify({ bytes, sha256: hash.digest('hex') }));
    sendWhole(res, 200, 'application/json', body, counters);
  });
}

/** `GET /download?bytes=N` (default 1 MiB, at most 64 GiB): N pattern bytes, streamed with backpressure. */
export function serveDownload(req: IncomingMessage, res: ServerResponse, counters: RouteCounters): void {
  const param = new URL(req.url ?? '/', 'http://fixture').searchParams.get('bytes');
  const bytes = param === null ? 1024 * 1024 : Number(param);
  if (!Number.isSafeInteger(bytes) || bytes < 0 || bytes > MAX_DOWNLOAD_BYTES) {
    sendWhole(res, 400, 'text/plain', Buffer.from('bytes must be an integer in [0, 64 GiB]\n'), counters);
    return;
  }
  req.resume();
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes });
  streamPattern(res, bytes, 65536, counters);
}

/** `n` (≤ 65536) pattern bytes starting at body offset `offset` — a view, not a copy. */
export function patternChunk(offset: number, n: number): Buffer {
  const start = offset % PERIOD;
  return PATTERN.subarray(start, start + Math.min(n, 65536));
}

/**
 * Writes `total` pattern bytes in chunks of at most `chunk`, waiting for `drain` whenever the socket
 * buffer is full; stops early if the response closes. Ends the response.
 */
export function streamPattern(res: ServerResponse, total: number, chunk: number, counters: RouteCounters): void {
  let sent = 0;
  const pump = (): void => {
    while (sent < total && !res.destroyed) {
      const n = Math.min(chunk, total - sent, 65536);
      const piece = patternChunk(sent, n);
      sent += n;
      counters.bodyOut(n);
      if (!res.write(piece)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

/** The default page: `bodyBytes` bytes whose type follows the path (HTML unless asset, API or feed). */
export function servePage(
  req: IncomingMessage,
  res: ServerResponse,
  page: { status: number; bodyBytes: number; headers: Readonly<Record<string, string | string[]>>; contentType?: string },
  counters: RouteCounters,
): void {
  const path = (req.url ?? '/').split('?')[0];
  const type = page.contentType ?? contentTypeFor(path);
  req.on('data', (chunk: Buffer) => counters.bodyIn(chunk.length));
  req.on('end', () => {
    res.writeHead(page.status, { ...page.headers, 'content-type': type, 'content-length': page.bodyBytes });
    if (req.method === 'HEAD') return void res.end();
    if (page.bodyBytes > 1024 * 1024) return streamPattern(res, page.bodyBytes, 65536, counters);
    counters.bodyOut(page.bodyBytes);
    res.end(pageBody(type, page.bodyBytes));
  });
}

/** Content type chosen from the path: /api/ and .json → JSON, .css, .js, feeds → RSS, else HTML. */
export function contentTypeFor(path: string): string {
  if (path.startsWith('/api/') || path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.css')) return 'text/css';
  if (path.endsWith('.js')) return 'text/javascript';
  if (path.endsWith('.rss') || path.endsWith('.xml') || path === '/feed') return 'application/rss+xml';
  return 'text/html; charset=utf-8';
}

const bodyCache = new Map<string, Buffer>(); // at most 32 entries: (type, size) pairs in use

/** A body of exactly `size` bytes for `type`; HTML pages link `/assets/site.css` for browser visitors. */
export function pageBody(type: string, size: number): Buffer {
  const key = `${type}|${size}`;
  const cached = bodyCache.get(key);
  if (cached) return cached;
  const template = TEMPLATES[type.split(';')[0]] ?? TEMPLATES['text/html'];
  const [head, tail] = template;
  const pad = Math.max(0, size - head.length - tail.length);
  const body = Buffer.from(head + ' '.repeat(pad) + tail).subarray(0, size);
  if (bodyCache.size >= 32) bodyCache.delete(bodyCache.keys().next().value as string);
  bodyCache.set(key, body);
  return body;
}

const TEMPLATES: Record<string, [string, string]> = {
  'text/html': [
    '<!doctype html><html><head><title>Origin fixture</title>' +
      '<link rel="stylesheet" href="/assets/site.css"></head><body><h1>Origin fixture</h1><!--',
    '--></body></html>\n',
  ],
  'text/css': ['body{margin:0}/*', '*/\n'],
  'text/javascript': ['/*', '*/\n'],
  'application/json': ['{"ok":true,"pad":"', '"}\n'],
  'application/rss+xml': ['<?xml version="1.0"?><rss version="2.0"><channel><title>fixture</title><!--', '--></channel></rss>\n'],
};

function sendWhole(res: ServerResponse, status: number, type: string, body: Buffer, counters: RouteCounters): void {
  counters.bodyOut(body.length);
  res.writeHead(status, { 'content-type': type, 'content-length': body.length });
  res.end(body);
}
