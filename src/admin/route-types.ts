/**
 * The shape of the admin listener's routes. Every route names what it requires (`access`); the
 * listener's dispatcher (admin-handler.ts) enforces it before the handler runs, so a handler never
 * checks roles itself and a route cannot be added without a role check: a plain handler function gets
 * `viewer` for GET and `operator` for anything else.
 */
import type { ServerResponse } from 'node:http';
import type { AdminRole, SessionRecord } from '../stores/index.ts';
import type { Access } from './auth/tokens.ts';

/** Who is asking: a token, presented as a Bearer token or through a browser session. */
export interface Principal {
  /** The token's name (what the audit log records). */
  readonly name: string;
  readonly role: AdminRole;
  readonly tokenId: string;
  readonly via: 'bearer' | 'session';
  /** The browser session, when `via` is `session`. */
  readonly session?: SessionRecord;
}

export interface AdminRequest {
  readonly url: URL;
  /** Parsed JSON body (POST/PUT/DELETE), or undefined. */
  readonly body: unknown;
  /** The client's address (IPv4-mapped addresses unmapped). */
  readonly client?: string;
  /** Who is asking (absent on public routes when nobody authenticated). */
  readonly principal?: Principal;
  /**
   * Whether the principal may still act now (token not revoked or expired, session not ended): for
   * long-lived answers such as event streams, which ask again every second.
   */
  readonly stillAllowed?: () => Promise<boolean>;
}

/** A route's answer: JSON `body`, or `text` with its content type. Extra headers (Set-Cookie...) allowed. */
export interface AdminAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly text?: string | Buffer;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

/** A route handler. A thrown BulwarkError with source `operator` is answered 400 with its code. */
export type AdminRoute = (req: AdminRequest) => Promise<AdminAnswer> | AdminAnswer;

/** A route that writes its own response (server-sent events). It must end `res` when it is done. */
export type StreamRoute = (req: AdminRequest, res: ServerResponse) => void;

/** A route with its requirements. */
export interface RouteSpec {
  /** The least a caller must be (see auth/tokens.ts). */
  readonly access: Access;
  readonly handler?: AdminRoute;
  readonly stream?: StreamRoute;
  /** Audit action name of a state change (default: derived from the route, e.g. `POST /bans` → `bans.post`). */
  readonly action?: string;
  /** What the audit row names as acted on (default: the body's or query's key, site, name, rule or id). */
  readonly target?: (req: AdminRequest) => string | null;
  /** `auto` (default for state changes) records every call; `self` means the handler records it; `none` for reads. */
  readonly audit?: 'auto' | 'self' | 'none';
}

/** Routes keyed `METHOD /path` (`GET /assets/*` matches every path under `/assets/`). */
export type RouteTable = Readonly<Record<string, RouteSpec | AdminRoute>>;

/** A route entry normalised: what the dispatcher and the route-walk test read. */
export interface ResolvedRoute extends RouteSpec {
  readonly method: string;
  readonly path: string;
}

const READS = new Set(['GET', 'HEAD']);

/** True for methods that change state (everything but GET and HEAD). */
export function changesState(method: string): boolean {
  return !READS.has(method);
}

/** Normalises a table: plain handlers get `viewer` (reads) or `operator` (state changes). */
export function resolveRoutes(table: RouteTable): ResolvedRoute[] {
  return Object.entries(table).map(([key, r]) => {
    const [method, path] = key.split(' ') as [string, string];
    const spec: RouteSpec = typeof r === 'function' ? { access: changesState(method) ? 'operator' : 'viewer', handler: r } : r;
    return { ...spec, method, path, audit: spec.audit ?? (changesState(method) ? 'auto' : 'none') };
  });
}

/** The handler of a table entry (a plain function, or a spec's `handler`); throws for stream routes. */
export function routeHandler(r: RouteSpec | AdminRoute): AdminRoute {
  if (typeof r === 'function') return r;
  if (r.handler === undefined) throw new Error('a stream route has no plain handler');
  return r.handler;
}
