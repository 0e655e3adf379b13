/**
 * Who is asking: `Authorization: Bearer <token>` (API clients, scrapers), else the session cookie
 * (browsers). A request with neither is anonymous; one with a bad token or a dead session is a failure
 * the caller answers 401 (and counts against the client's login failures when a token was wrong).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { TokenStore } from '../../stores/index.ts';
import type { Principal } from '../route-types.ts';
import { readCookie, type SessionManager, type SessionProblem } from './sessions.ts';
import { hashSecret, looksLikeToken } from './tokens.ts';

/** The outcome of authenticating a request. */
export type AuthResult =
  | { readonly kind: 'ok'; readonly principal: Principal }
  | { readonly kind: 'anonymous' }
  /** `bad_token`: a Bearer token that is no live token (counted as a failed login); `session`: a cookie that names no usable session. */
  | { readonly kind: 'failed'; readonly why: 'bad_token' | 'bad_scheme' | SessionProblem };

/** What authentication needs. */
export interface AuthDeps {
  readonly tokens: TokenStore;
  readonly sessions: SessionManager;
}

/** Authenticates a request (see the module comment). */
export async function authenticate(deps: AuthDeps, headers: IncomingHttpHeaders, client: string, nowMs: number): Promise<AuthResult> {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m === null) return { kind: 'failed', why: 'bad_scheme' };
    const secret = m[1]!;
    const token = looksLikeToken(secret) ? await deps.tokens.findByHash(hashSecret(secret), nowMs) : undefined;
    if (token === undefined) return { kind: 'failed', why: 'bad_token' };
    return { kind: 'ok', principal: { name: token.name, role: token.role, tokenId: token.id, via: 'bearer' } };
  }
  const cookie = readCookie(headers.cookie, deps.sessions.cookieName);
  if (cookie === undefined) return { kind: 'anonymous' };
  const s = await deps.sessions.resolve(cookie, client, nowMs);
  if (typeof s === 'string') return { kind: 'failed', why: s };
  return { kind: 'ok', principal: { name: s.token.name, role: s.token.role, tokenId: s.token.id, via: 'session', session: s.session } };
}
