/**
 * The admin listener: the admin API, the dashboard, `/metrics`, health and readiness, on its own
 * address. Every route is authenticated (API tokens with roles, or a browser session) except those
 * marked public — `/healthz`, `/readyz`, the login and the dashboard's static shell, which hold no data.
 * The request path is admin-handler.ts; this file binds the socket and builds the parts.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { BulwarkError } from '../core/errors.ts';
import { formatListenAddress, parseListenAddress } from '../config/listen-address.ts';
import type { StateStores } from '../stores/index.ts';
import { createAuditor, type Auditor } from './audit.ts';
import { createLoginLimiter, type LoginLimiter, type LoginLimiterOptions } from './auth/login-limiter.ts';
import { createSessionManager } from './auth/sessions.ts';
import { authRoutes } from './auth-routes.ts';
import { createAdminHandler, type AdminLogger } from './admin-handler.ts';
import { createRecentClients, type RecentClients } from './recent-clients.ts';
import type { ListenerIdentity } from './request-guard.ts';
import { resolveRoutes, type ResolvedRoute, type RouteTable } from './route-types.ts';

export type { AdminAnswer, AdminRequest, AdminRoute, RouteSpec, RouteTable, Principal } from './route-types.ts';

/** Options of {@link startAdminServer}. */
export interface AdminServerOptions {
  /** `host:port` to bind. */
  readonly listen: string;
  /** Extra host names the listener answers to (Host and Origin), besides its own address. */
  readonly hosts?: readonly string[];
  /** PEM certificate and key: serve HTTPS (sessions get `Secure` cookies). Null: plain HTTP. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer } | null;
  /** The routes beside the built-in login and token routes. */
  readonly routes: RouteTable;
  readonly stores: Pick<StateStores, 'tokens' | 'sessions' | 'audit'>;
  /** Session lifetimes, ms. Defaults: 30 minutes idle, 12 hours in all. */
  readonly session?: { readonly idleMs: number; readonly maxMs: number };
  readonly login?: LoginLimiterOptions;
  readonly logger: AdminLogger;
  /** The audit writer (the composition root shares one with the CLI-facing parts). Default: one on `stores.audit`. */
  readonly auditor?: Auditor;
  readonly now?: () => number;
}

export interface AdminServer {
  /** `host:port` actually bound. */
  readonly address: string;
  readonly port: number;
  readonly secure: boolean;
  /** Every route with what it requires (the route-walk test reads it). */
  readonly routes: readonly ResolvedRoute[];
  readonly recentClients: RecentClients;
  readonly limiter: LoginLimiter;
  readonly auditor: Auditor;
  close(): Promise<void>;
}

/** The health routes every listener has: public, no data. */
export function statusRoutes(ready: () => boolean): RouteTable {
  return {
    'GET /healthz': { access: 'public', handler: () => ({ status: 200, body: { status: 'ok' } }) },
    'GET /readyz': { access: 'public', handler: () => (ready() ? { status: 200, body: { status: 'ready' } } : { status: 503, body: { status: 'not_ready' } }) },
  };
}

/** Binds the admin listener. Rejects with BULWARK_ERR_LISTEN_FAILED (source config) when it cannot. */
export function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const parsed = parseListenAddress(options.listen);
  if (!parsed) return Promise.reject(new BulwarkError('BULWARK_ERR_ADMIN_LISTEN', `invalid admin listen address ${options.listen}`, { source: 'config' }));
  const now = options.now ?? Date.now;
  const secure = options.tls != null;
  let identity: ListenerIdentity = { scheme: secure ? 'https' : 'http', host: parsed.host, port: parsed.port, names: (options.hosts ?? []).map((h) => h.toLowerCase()) };
  const auditor = options.auditor ?? createAuditor(options.stores.audit, options.logger, now);
  const limiter = createLoginLimiter(options.login);
  const recentClients = createRecentClients();
  const serverOptions = { headersTimeout: 5000, requestTimeout: 10_000 };
  // The session cookie's name carries the port, known once bound: the handler is built then (no request comes earlier).
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  let routes: ResolvedRoute[] = [];
  const listener = (req: IncomingMessage, res: ServerResponse) => handler!(req, res);
  const server = secure ? https.createServer({ ...serverOptions, cert: options.tls!.cert, key: options.tls!.key }, listener) : http.createServer(serverOptions, listener);
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new BulwarkError('BULWARK_ERR_LISTEN_FAILED', `cannot listen on ${options.listen} (admin): ${err.message}`, { source: 'config', cause: err })));
    server.listen(parsed.port, parsed.host, () => {
      const port = (server.address() as AddressInfo).port;
      identity = { ...identity, port };
      const sessions = createSessionManager({
        tokens: options.stores.tokens, sessions: options.stores.sessions, idleMs: options.session?.idleMs ?? 30 * 60_000, maxMs: options.session?.maxMs ?? 12 * 3_600_000, secure, port,
      });
      routes = resolveRoutes({ ...authRoutes({ tokens: options.stores.tokens, sessions, limiter, auditor, logger: options.logger, now }), ...options.routes });
      handler = createAdminHandler({ identity: () => identity, routes, tokens: options.stores.tokens, sessions, limiter, auditor, recentClients, logger: options.logger, now });
      resolve({
        address: formatListenAddress({ host: parsed.host, port }),
        port,
        secure,
        routes,
        recentClients,
        limiter,
        auditor,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
