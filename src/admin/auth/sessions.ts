/**
 * Browser sessions: a login with a token (the token is typed once; the browser then holds only an
 * HttpOnly session cookie), ended by logout, by `idleMs` without activity, at `maxMs` after login
 * whatever the activity, when its token expires, and at once when its token is revoked (the session
 * row goes with it, and every request checks that the token is still live).
 *
 * The cookie (RFC 6265bis): `HttpOnly` (scripts cannot read it), `SameSite=Strict` (not sent with
 * requests started by other sites), `Path=/`, `Secure` and the `__Host-` name prefix over TLS. Its name
 * carries the listener's port, because browsers share cookies between the ports of one host.
 * A session is bound to the address that logged in: a cookie copied elsewhere (for instance sent by
 * the browser to a site on the same host name, which then sees it) is useless from another address.
 *
 * Every state change from a session must also echo the session's CSRF token in `X-CSRF-Token` and come
 * with this listener's own `Origin` (admin-server.ts checks both).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { SessionRecord, SessionStore, TokenRecord, TokenStore } from '../../stores/index.ts';
import { hashSecret } from './tokens.ts';

/** Options of {@link createSessionManager}. */
export interface SessionOptions {
  readonly tokens: TokenStore;
  readonly sessions: SessionStore;
  /** Idle expiry, ms. */
  readonly idleMs: number;
  /** Absolute expiry after login, ms. */
  readonly maxMs: number;
  /** Over TLS: `Secure` and the `__Host-` prefix. */
  readonly secure: boolean;
  /** The listener's port (part of the cookie's name). */
  readonly port: number;
  readonly random?: (n: number) => Buffer;
}

/** A resolved session and its live token. */
export interface ActiveSession {
  readonly session: SessionRecord;
  readonly token: TokenRecord;
}

/** Why a cookie did not resolve to a session. */
export type SessionProblem = 'unknown' | 'expired' | 'idle' | 'token' | 'client';

/** The session manager. */
export interface SessionManager {
  /** The cookie's name on this listener. */
  readonly cookieName: string;
  /** Starts a session for a live token; returns the cookie value (shown to the browser only) and the record. */
  start(token: TokenRecord, client: string, nowMs: number): Promise<{ cookie: string; session: SessionRecord }>;
  /** The session a cookie value names, if it is still good for `client` at nowMs. */
  resolve(cookie: string, client: string, nowMs: number): Promise<ActiveSession | SessionProblem>;
  /**
   * Whether a session resolved earlier is still good now (a long-lived request such as the dashboard's
   * event stream asks every second): not ended, expired or idle, and its token still live. An open
   * stream counts as activity (the last-seen time is moved, at most every 30 s).
   */
  stillValid(session: SessionRecord, nowMs: number): Promise<boolean>;
  /** Ends the session a cookie names. */
  end(cookie: string): Promise<void>;
  /** Ends a session by its stored id (the cookie's hash). */
  endById(idHash: string): Promise<void>;
  /** `Set-Cookie` value that stores `cookie` until the session's absolute end. */
  setCookie(cookie: string, session: SessionRecord, nowMs: number): string;
  /** `Set-Cookie` value that removes the cookie. */
  clearCookie(): string;
  /** Constant-time comparison of a presented CSRF token with the session's. */
  csrfMatches(session: SessionRecord, presented: string | undefined): boolean;
}

/** How often a session's last-seen time is written (a write per request would be wasteful). */
const TOUCH_EVERY_MS = 30_000;

/** Creates the manager (see the module comment). */
export function createSessionManager(o: SessionOptions): SessionManager {
  const random = o.random ?? randomBytes;
  const cookieName = `${o.secure ? '__Host-' : ''}bulwark_admin_${o.port}`;
  return {
    cookieName,
    async start(token, client, nowMs) {
      const cookie = random(32).toString('base64url');
      const expiresAtMs = Math.min(nowMs + o.maxMs, token.expiresAtMs ?? Number.MAX_SAFE_INTEGER);
      const session: SessionRecord = { idHash: hashSecret(cookie), tokenId: token.id, csrf: random(24).toString('base64url'), client, createdAtMs: nowMs, lastSeenAtMs: nowMs, expiresAtMs };
      await o.sessions.create(session);
      return { cookie, session };
    },
    async resolve(cookie, client, nowMs) {
      if (!/^[A-Za-z0-9_-]{43}$/.test(cookie)) return 'unknown';
      const idHash = hashSecret(cookie);
      const session = await o.sessions.get(idHash);
      if (session === undefined) return 'unknown';
      const end = async (why: SessionProblem) => {
        await o.sessions.delete(idHash);
        return why;
      };
      if (session.expiresAtMs <= nowMs) return end('expired');
      if (session.lastSeenAtMs + o.idleMs <= nowMs) return end('idle');
      const token = await o.tokens.get(session.tokenId);
      if (token === undefined || token.revokedAtMs !== null || (token.expiresAtMs !== null && token.expiresAtMs <= nowMs)) return end('token');
      if (session.client !== client) return 'client';
      if (nowMs - session.lastSeenAtMs >= TOUCH_EVERY_MS) await o.sessions.touch(idHash, nowMs);
      return { session, token };
    },
    async stillValid(session, nowMs) {
      const now = await o.sessions.get(session.idHash);
      if (now === undefined || now.expiresAtMs <= nowMs || now.lastSeenAtMs + o.idleMs <= nowMs) return false;
      const token = await o.tokens.get(now.tokenId);
      if (token === undefined || token.revokedAtMs !== null || (token.expiresAtMs !== null && token.expiresAtMs <= nowMs)) return false;
      if (nowMs - now.lastSeenAtMs >= TOUCH_EVERY_MS) await o.sessions.touch(now.idHash, nowMs);
      return true;
    },
    async end(cookie) {
      await o.sessions.delete(hashSecret(cookie));
    },
    async endById(idHash) {
      await o.sessions.delete(idHash);
    },
    setCookie(cookie, session, nowMs) {
      const maxAge = Math.max(0, Math.floor((session.expiresAtMs - nowMs) / 1000));
      return `${cookieName}=${cookie}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${o.secure ? '; Secure' : ''}`;
    },
    clearCookie() {
      return `${cookieName}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict${o.secure ? '; Secure' : ''}`;
    },
    csrfMatches(session, presented) {
      if (presented === undefined) return false;
      const a = Buffer.from(session.csrf);
      const b = Buffer.from(presented);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
