/**
 * The admin listener's request handler, one step after another (each can end the request):
 *
 *   guard (Host, Origin, Content-Type) → route → authenticate → role → CSRF → body → handler → audit
 *
 * - guard: request-guard.ts (421 / 403 / 415).
 * - route: exact `METHOD /path`, or a `METHOD /prefix/*` entry; 404, or 405 when the path exists for
 *   other methods.
 * - authenticate: auth/authenticate.ts. Public routes skip it. No credentials → 401; a wrong Bearer
 *   token counts as a failed login of the client (auth/login-limiter.ts: 429 once over the limit).
 * - role: the route's `access` (route-types.ts) against the token's role → 403.
 * - CSRF: a state change through a browser session needs this listener's `Origin` and the session's
 *   `X-CSRF-Token` → 403. Bearer clients need neither (browsers cannot send Authorization cross-site
 *   without a preflight this listener never grants).
 * - audit: every state change is recorded with its outcome, refused ones included (audit.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BulwarkError } from '../core/errors.ts';
import type { TokenStore } from '../stores/index.ts';
import { redactBody, type Auditor } from './audit.ts';
import { authenticate } from './auth/authenticate.ts';
import type { LoginLimiter } from './auth/login-limiter.ts';
import type { SessionManager } from './auth/sessions.ts';
import { roleAllows } from './auth/tokens.ts';
import { checkAdminRequest, type ListenerIdentity } from './request-guard.ts';
import { changesState, type AdminAnswer, type AdminRequest, type Principal, type ResolvedRoute } from './route-types.ts';
import type { RecentClients } from './recent-clients.ts';

/** Where the handler logs (pino's Logger fits). */
export interface AdminLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the handler needs. */
export interface AdminHandlerDeps {
  readonly identity: () => ListenerIdentity;
  readonly routes: readonly ResolvedRoute[];
  readonly tokens: TokenStore;
  readonly sessions: SessionManager;
  readonly limiter: LoginLimiter;
  readonly auditor: Auditor;
  readonly recentClients: RecentClients;
  readonly logger: AdminLogger;
  readonly now: () => number;
}

const MAX_BODY = 64 * 1024;

/** Headers on every answer: never cached, never framed, never sniffed. */
const BASE_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
};

/** Writes an answer (JSON unless it carries text). */
export function send(res: ServerResponse, a: AdminAnswer): void {
  const payload = a.text ?? JSON.stringify(a.body ?? null, null, 2) + '\n';
  res.writeHead(a.status, {
    ...BASE_HEADERS,
    'content-type': a.text !== undefined ? (a.contentType ?? 'text/plain; charset=utf-8') : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...a.headers,
  });
  res.end(payload);
}

function fail(status: number, code: string, message: string, headers?: Record<string, string>): AdminAnswer {
  return { status, body: { error: code, message }, ...(headers ? { headers } : {}) };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
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

/** The client's address, IPv4-mapped addresses unmapped. */
export function clientOf(req: IncomingMessage): string {
  const a = req.socket.remoteAddress ?? '';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/** What an audit row names as the target of a request: a ban key, site, token name, rule or incident. */
function targetOf(url: URL, body: unknown): string | null {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  for (const k of ['key', 'site', 'name', 'rule', 'id']) {
    const v = b[k] ?? url.searchParams.get(k);
    if (typeof v === 'string' && v.length > 0) return v;
  }
  return null;
}

function actionOf(route: ResolvedRoute): string {
  return route.action ?? `${route.path.slice(1).replace(/\//g, '.') || 'root'}.${route.method.toLowerCase()}`;
}

function findRoute(routes: readonly ResolvedRoute[], method: string, path: string): ResolvedRoute | 'method' | undefined {
  let other = false;
  for (const r of routes) {
    const hit = r.path.endsWith('/*') ? path.startsWith(r.path.slice(0, -1)) : r.path === path;
    if (!hit) continue;
    if (r.method === method || (method === 'HEAD' && r.method === 'GET')) return r;
    other = true;
  }
  return other ? 'method' : undefined;
}

/** Creates the request handler (see the module comment). */
export function createAdminHandler(deps: AdminHandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const lastTouch = new Map<string, number>();

  async function noteUse(p: Principal, nowMs: number): Promise<void> {
    if (nowMs - (lastTouch.get(p.tokenId) ?? 0) < 60_000) return;
    if (lastTouch.size >= 10_000) lastTouch.clear();
    lastTouch.set(p.tokenId, nowMs);
    await deps.tokens.touch(p.tokenId, nowMs);
  }

  async function authorize(req: IncomingMessage, route: ResolvedRoute, client: string, nowMs: number): Promise<Principal | AdminAnswer> {
    const bearer = req.headers.authorization !== undefined;
    if (bearer) {
      const wait = deps.limiter.retryAfterS(client, nowMs);
      if (wait > 0) return fail(429, 'BULWARK_ERR_ADMIN_LOGIN_LIMITED', 'too many failed logins from this address; try again later', { 'retry-after': String(wait) });
    }
    const auth = await authenticate({ tokens: deps.tokens, sessions: deps.sessions }, req.headers, client, nowMs);
    if (auth.kind === 'failed' && (auth.why === 'bad_token' || auth.why === 'bad_scheme')) {
      const starts = deps.limiter.fail(client, nowMs);
      deps.logger.warn({ code: 'BULWARK_ADMIN_AUTH_FAILED', client, why: auth.why, limited: starts }, 'admin request with an invalid token');
      await deps.auditor.record({ actor: 'anonymous', role: null, action: 'auth.bearer', target: null, source: client, outcome: 'refused', detail: { why: auth.why, path: route.path } });
    }
    if (auth.kind !== 'ok') {
      const headers: Record<string, string> = { 'www-authenticate': 'Bearer realm="bulwark-admin"' };
      if (auth.kind === 'failed' && auth.why !== 'bad_token' && auth.why !== 'bad_scheme') headers['set-cookie'] = deps.sessions.clearCookie();
      return fail(401, 'BULWARK_ERR_ADMIN_UNAUTHENTICATED', auth.kind === 'anonymous' ? 'log in, or send Authorization: Bearer <token>' : `not authenticated (${auth.why})`, headers);
    }
    const p = auth.principal;
    if (!roleAllows(p.role, route.access)) return fail(403, 'BULWARK_ERR_ADMIN_ROLE', `this needs the ${route.access} role; token ${p.name} is ${p.role}`);
    if (p.via === 'session' && changesState(route.method)) {
      const token = req.headers['x-csrf-token'];
      if (req.headers.origin === undefined || !deps.sessions.csrfMatches(p.session!, typeof token === 'string' ? token : undefined)) {
        return fail(403, 'BULWARK_ERR_ADMIN_CSRF', 'a change from a browser session needs this page\'s Origin and its X-CSRF-Token');
      }
    }
    deps.recentClients.add(client, nowMs);
    await noteUse(p, nowMs);
    return p;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const refused = checkAdminRequest({ method, headers: req.headers, localAddress: req.socket.localAddress }, deps.identity());
    if (refused !== null) {
      res.shouldKeepAlive = false;
      return send(res, fail(refused.status, refused.code, refused.message));
    }
    const url = new URL(req.url ?? '/', 'http://admin');
    const route = findRoute(deps.routes, method, url.pathname);
    if (route === undefined) return send(res, fail(404, 'not_found', `no route ${url.pathname}`));
    if (route === 'method') return send(res, fail(405, 'method_not_allowed', `${method} is not allowed on ${url.pathname}`));
    const client = clientOf(req);
    const nowMs = deps.now();
    let principal: Principal | undefined;
    const audited = route.audit === 'auto';
    const audit = (answer: AdminAnswer, body: unknown) =>
      audited
        ? deps.auditor.record({
            actor: principal?.name ?? 'anonymous', role: principal?.role ?? null, action: actionOf(route), target: route.target ? route.target({ url, body, client }) : targetOf(url, body), source: client,
            outcome: answer.status < 400 ? 'ok' : answer.status >= 500 ? 'failed' : 'refused',
            detail: { status: answer.status, ...(principal ? { via: principal.via } : {}), ...(body !== undefined ? { request: redactBody(body) } : {}), ...(answer.status >= 400 ? { error: (answer.body as { error?: unknown })?.error } : {}) },
          })
        : Promise.resolve();
    if (route.access !== 'public') {
      const r = await authorize(req, route, client, nowMs);
      if (!('tokenId' in r)) {
        if (r.status === 403) await audit(r, undefined);
        return send(res, r);
      }
      principal = r;
    }
    const body = changesState(method) ? await readJson(req) : undefined;
    const p = principal;
    const stillAllowed = async (): Promise<boolean> => {
      if (p === undefined) return true;
      const nowMs = deps.now();
      if (p.via === 'session') return deps.sessions.stillValid(p.session!, nowMs);
      const t = await deps.tokens.get(p.tokenId);
      return t !== undefined && t.revokedAtMs === null && (t.expiresAtMs === null || t.expiresAtMs > nowMs);
    };
    const request: AdminRequest = { url, body, client, stillAllowed, ...(principal ? { principal } : {}) };
    if (route.stream !== undefined) return route.stream(request, res);
    let answer: AdminAnswer;
    try {
      answer = await route.handler!(request);
    } catch (err) {
      const operator = err instanceof BulwarkError && err.source === 'operator';
      if (!operator) deps.logger.error({ err, code: 'BULWARK_ERR_ADMIN_ROUTE', route: `${route.method} ${route.path}` }, 'admin route failed');
      answer = fail(operator ? 400 : 500, operator ? (err as BulwarkError).code : 'internal_error', (err as Error).message);
    }
    await audit(answer, body);
    send(res, answer);
  }

  return (req, res) => {
    handle(req, res).catch((err: unknown) => {
      const operator = err instanceof BulwarkError && err.source === 'operator';
      if (!operator) deps.logger.error({ err, code: 'BULWARK_ERR_ADMIN_ROUTE' }, 'admin request failed');
      if (!res.headersSent) send(res, fail(operator ? 400 : 500, operator ? (err as BulwarkError).code : 'internal_error', (err as Error).message));
      else res.destroy();
    });
  };
}
