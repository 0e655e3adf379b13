/**
 * Logging in and managing tokens over the admin API:
 * - `POST /login` `{"token": "bwk_..."}` (public): starts a browser session; answers the token's name,
 *   role and the session's CSRF token, and sets the session cookie. Failures count against the client
 *   (429 with Retry-After once over the limit) and are logged and audited. A `metrics` token cannot log
 *   in: it is a scraper's credential.
 * - `POST /logout` (any session or token): ends the session and clears the cookie.
 * - `GET /session` (viewer): who is logged in, the CSRF token (a reloaded dashboard needs it again) and
 *   when the session ends.
 * - `GET /tokens`, `POST /tokens` `{"name", "role", "expires"}`, `DELETE /tokens?name=` (admin): list,
 *   create (the secret is in this answer only), revoke (its sessions end at once).
 */
import { BulwarkError } from '../core/errors.ts';
import { parseDuration } from '../config/units.ts';
import type { AdminRole, TokenStore } from '../stores/index.ts';
import type { Auditor } from './audit.ts';
import type { LoginLimiter } from './auth/login-limiter.ts';
import type { SessionManager } from './auth/sessions.ts';
import { hashSecret, issueToken, looksLikeToken, tokenView } from './auth/tokens.ts';
import type { AdminLogger } from './admin-handler.ts';
import type { AdminAnswer, RouteTable } from './route-types.ts';

/** What the routes need. */
export interface AuthRouteDeps {
  readonly tokens: TokenStore;
  readonly sessions: SessionManager;
  readonly limiter: LoginLimiter;
  readonly auditor: Auditor;
  readonly logger: AdminLogger;
  readonly now: () => number;
}

function bad(message: string): never {
  throw new BulwarkError('BULWARK_ERR_ADMIN_INVALID', message, { source: 'operator', publicReason: message });
}

/** The routes (see the module comment). */
export function authRoutes(deps: AuthRouteDeps): RouteTable {
  const { tokens, sessions, limiter, auditor } = deps;
  return {
    'POST /login': {
      access: 'public',
      audit: 'self',
      handler: async ({ body, client = '' }): Promise<AdminAnswer> => {
        const nowMs = deps.now();
        const wait = limiter.retryAfterS(client, nowMs);
        if (wait > 0) return { status: 429, body: { error: 'BULWARK_ERR_ADMIN_LOGIN_LIMITED', message: 'too many failed logins from this address; try again later' }, headers: { 'retry-after': String(wait) } };
        const secret = (body as { token?: unknown } | undefined)?.token;
        const token = typeof secret === 'string' && looksLikeToken(secret) ? await tokens.findByHash(hashSecret(secret), nowMs) : undefined;
        if (token === undefined || token.role === 'metrics') {
          const limited = limiter.fail(client, nowMs);
          const why = token === undefined ? 'unknown, revoked or expired token' : 'metrics tokens cannot log in';
          deps.logger.warn({ code: 'BULWARK_ADMIN_LOGIN_FAILED', client, why, limited }, 'admin login failed');
          await auditor.record({ actor: token?.name ?? 'anonymous', role: token?.role ?? null, action: 'login', target: null, source: client, outcome: 'refused', detail: { why } });
          return { status: 401, body: { error: 'BULWARK_ERR_ADMIN_LOGIN_FAILED', message: 'that token does not log in here' } };
        }
        limiter.succeed(client);
        const { cookie, session } = await sessions.start(token, client, nowMs);
        await auditor.record({ actor: token.name, role: token.role, action: 'login', target: null, source: client, outcome: 'ok' });
        return {
          status: 200,
          body: { name: token.name, role: token.role, csrf: session.csrf, expires: new Date(session.expiresAtMs).toISOString() },
          headers: { 'set-cookie': sessions.setCookie(cookie, session, nowMs) },
        };
      },
    },
    'POST /logout': {
      access: 'metrics',
      action: 'logout',
      handler: async ({ principal }) => {
        if (principal?.session !== undefined) await sessions.endById(principal.session.idHash);
        return { status: 200, body: { logged_out: principal?.via === 'session' }, headers: { 'set-cookie': sessions.clearCookie() } };
      },
    },
    'GET /session': {
      access: 'viewer',
      handler: ({ principal }) => ({
        status: 200,
        body: {
          name: principal!.name, role: principal!.role, via: principal!.via, csrf: principal!.session?.csrf ?? null,
          expires: principal!.session ? new Date(principal!.session.expiresAtMs).toISOString() : null,
        },
      }),
    },
    'GET /tokens': { access: 'admin', handler: async ({ url }) => ({ status: 200, body: { tokens: (await tokens.list(deps.now(), { all: url.searchParams.get('all') === '1' })).map((t) => tokenView(t, deps.now())) } }) },
    'POST /tokens': {
      access: 'admin',
      action: 'token.create',
      handler: async ({ body, principal }) => {
        const b = (body ?? {}) as { name?: unknown; role?: unknown; expires?: unknown };
        if (typeof b.name !== 'string') bad('name is required');
        const expiresInMs = b.expires === undefined || b.expires === null || b.expires === 'never' ? null : parseDuration(b.expires);
        if (expiresInMs === null && b.expires !== undefined && b.expires !== null && b.expires !== 'never') bad('expires must be a duration such as 90d, or "never"');
        const nowMs = deps.now();
        const { secret, token } = await issueToken(tokens, { name: b.name, role: b.role as AdminRole, expiresInMs, by: `token:${principal!.name}` }, nowMs);
        return { status: 201, body: { token: tokenView(token, nowMs), secret, note: 'the secret is shown once; store it now' } };
      },
    },
    'DELETE /tokens': {
      access: 'admin',
      action: 'token.revoke',
      handler: async ({ url, principal }) => {
        const name = url.searchParams.get('name');
        if (name === null) bad('give the token to revoke as ?name=');
        const nowMs = deps.now();
        const revoked = await tokens.revoke(name, `token:${principal!.name}`, nowMs);
        return revoked ? { status: 200, body: { revoked: tokenView(revoked, nowMs) } } : { status: 404, body: { error: 'not_found', name } };
      },
    },
  };
}
