/**
 * The admin listener (issue #2, point 2): `GET /healthz` (the process is alive), `GET /readyz` (the
 * listeners are bound and Bulwark is not draining: 503 otherwise) and `GET /stats` (JSON of the per-site
 * aggregates). Loopback only until the admin plane has authentication — the schema refuses anything else.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BulwarkError } from '../errors.ts';
import { formatListenAddress, isLoopbackHost, parseListenAddress } from '../config/listen-address.ts';

export interface AdminState {
  ready(): boolean;
  stats(url: URL): unknown;
  /** Extra routes by `METHOD /path` (e.g. `GET /bans`), answering JSON; a thrown BulwarkError with source 'operator' is a 400. */
  routes?: Record<string, AdminRoute>;
}

export interface AdminRequest {
  readonly url: URL;
  /** Parsed JSON body (POST/PUT), or undefined. */
  readonly body: unknown;
}

/**
 * A route's answer: `body` as JSON, or — with `raw` — a document of another type (an HTML report, a STIX
 * bundle) sent as is, as a download named `fileName` when given.
 */
export interface AdminAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly raw?: { readonly text: string; readonly contentType: string; readonly fileName?: string };
}

export type AdminRoute = (req: AdminRequest) => Promise<AdminAnswer> | AdminAnswer;

const MAX_ADMIN_BODY = 64 * 1024;

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_ADMIN_BODY) {
        reject(new BulwarkError('BULWARK_ERR_ADMIN_BODY', 'request body too large', { source: 'operator' }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (size === 0) return resolve(undefined);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new BulwarkError('BULWARK_ERR_ADMIN_BODY', 'body is not valid JSON', { source: 'operator' }));
      }
    });
    req.on('error', reject);
  });
}

export interface AdminServer {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A non-JSON document: no caching, no sniffing, nothing loaded by an HTML document, a download when named. */
function raw(res: ServerResponse, status: number, doc: NonNullable<AdminAnswer['raw']>): void {
  const headers: Record<string, string | number> = {
    'content-type': doc.contentType, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-length': Buffer.byteLength(doc.text),
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
  };
  if (doc.fileName !== undefined) headers['content-disposition'] = `attachment; filename="${doc.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`;
  res.writeHead(status, headers);
  res.end(doc.text);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function startAdminServer(listen: string, state: AdminState): Promise<AdminServer> {
  const parsed = parseListenAddress(listen);
  if (!parsed || !isLoopbackHost(parsed.host)) {
    return Promise.reject(new BulwarkError('BULWARK_ERR_ADMIN_NOT_LOOPBACK', `admin listener must be loopback, got ${listen}`, { source: 'config' }));
  }
  const server = http.createServer({ headersTimeout: 5000, requestTimeout: 10_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const route = state.routes?.[`${req.method} ${url.pathname}`];
    if (route !== undefined) {
      readJson(req)
        .then((body) => route({ url, body }))
        .then(
          (r) => (r.raw !== undefined ? raw(res, r.status, r.raw) : json(res, r.status, r.body)),
          (err: unknown) => {
            const operator = err instanceof BulwarkError && err.source === 'operator';
            json(res, operator ? 400 : 500, { error: operator ? (err as BulwarkError).code : 'internal_error', message: (err as Error).message });
          },
        );
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method_not_allowed' });
    try {
      switch (url.pathname) {
        case '/healthz':
          return json(res, 200, { status: 'ok' });
        case '/readyz':
          return state.ready() ? json(res, 200, { status: 'ready' }) : json(res, 503, { status: 'not_ready' });
        case '/stats':
          return json(res, 200, state.stats(url));
        default:
          return json(res, 404, { error: 'not_found', endpoints: ['/healthz', '/readyz', '/stats', ...Object.keys(state.routes ?? {})] });
      }
    } catch (err) {
      return json(res, 500, { error: 'internal_error', message: (err as Error).message });
    }
  });
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new BulwarkError('BULWARK_ERR_LISTEN_FAILED', `cannot listen on ${listen} (admin): ${err.message}`, { source: 'config', cause: err })));
    server.listen(parsed.port, parsed.host, () => {
      const port = (server.address() as AddressInfo).port;
      resolve({
        address: formatListenAddress({ host: parsed.host, port }),
        port,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
