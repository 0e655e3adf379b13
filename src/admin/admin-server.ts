/**
 * The admin listener (issue #2, point 2): `GET /healthz` (the process is alive), `GET /readyz` (the
 * listeners are bound and Bulwark is not draining: 503 otherwise) and `GET /stats` (JSON of the per-site
 * aggregates). Loopback only until the admin plane has authentication — the schema refuses anything else.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BulwarkError } from '../errors.ts';
import { formatListenAddress, isLoopbackHost, parseListenAddress } from '../config/listen-address.ts';
import { checkAdminRequest, type ListenerIdentity } from './request-guard.ts';

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
  /** The client's address (IPv4-mapped addresses unmapped). */
  readonly client?: string;
}

export type AdminRoute = (req: AdminRequest) => Promise<{ status: number; body: unknown }> | { status: number; body: unknown };

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

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Options of the listener beyond its address. */
export interface AdminListenOptions {
  /** Extra host names the listener answers to (Host and Origin), besides its own address. */
  readonly hosts?: readonly string[];
}

function clientOf(req: IncomingMessage): string | undefined {
  const a = req.socket.remoteAddress;
  return a?.startsWith('::ffff:') ? a.slice(7) : a;
}

export function startAdminServer(listen: string, state: AdminState, options: AdminListenOptions = {}): Promise<AdminServer> {
  const parsed = parseListenAddress(listen);
  if (!parsed || !isLoopbackHost(parsed.host)) {
    return Promise.reject(new BulwarkError('BULWARK_ERR_ADMIN_NOT_LOOPBACK', `admin listener must be loopback, got ${listen}`, { source: 'config' }));
  }
  let identity: ListenerIdentity = { scheme: 'http', host: parsed.host, port: parsed.port, names: (options.hosts ?? []).map((h) => h.toLowerCase()) };
  const server = http.createServer({ headersTimeout: 5000, requestTimeout: 10_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const refused = checkAdminRequest({ method: req.method ?? 'GET', headers: req.headers, localAddress: req.socket.localAddress }, identity);
    if (refused !== null) {
      res.shouldKeepAlive = false;
      return json(res, refused.status, { error: refused.code, message: refused.message });
    }
    const url = new URL(req.url ?? '/', 'http://admin');
    const route = state.routes?.[`${req.method} ${url.pathname}`];
    if (route !== undefined) {
      const client = clientOf(req);
      readJson(req)
        .then((body) => route({ url, body, ...(client !== undefined ? { client } : {}) }))
        .then(
          (r) => json(res, r.status, r.body),
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
      identity = { ...identity, port };
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
