/**
 * The admin plane's durable state, behind one interface each (SQLite today): API tokens, browser
 * sessions and the audit log. Promise-returning like the other stores, so a shared implementation
 * (Redis/Valkey) can stand in for SQLite without changing callers.
 */

/** What a token may do. `metrics` reads `/metrics` only (a Prometheus scraper's token). */
export type AdminRole = 'viewer' | 'operator' | 'admin' | 'metrics';
export const ADMIN_ROLES: readonly AdminRole[] = ['viewer', 'operator', 'admin', 'metrics'];

/** A stored token (never its secret: only `hash`, the SHA-256 of the secret, is kept). */
export interface TokenRecord {
  readonly id: string;
  readonly name: string;
  readonly role: AdminRole;
  readonly createdAtMs: number;
  readonly createdBy: string;
  readonly expiresAtMs: number | null;
  readonly revokedAtMs: number | null;
  readonly revokedBy: string | null;
  readonly lastUsedAtMs: number | null;
}

/** A new token to store. */
export interface NewToken {
  readonly id: string;
  readonly name: string;
  readonly role: AdminRole;
  readonly hash: string;
  readonly createdBy: string;
  readonly expiresAtMs: number | null;
}

/** API tokens. */
export interface TokenStore {
  /** Stores a token. Throws BULWARK_ERR_STATE_CONFLICT when a live token has the name, BULWARK_ERR_STATE_FULL beyond the cap. */
  create(token: NewToken, nowMs: number): Promise<TokenRecord>;
  /** The live token (not revoked, not expired at nowMs) with this hash, or undefined. */
  findByHash(hash: string, nowMs: number): Promise<TokenRecord | undefined>;
  /** The token with this id whatever its state, or undefined. */
  get(id: string): Promise<TokenRecord | undefined>;
  /** Tokens, newest first; revoked and expired ones only with `all`. */
  list(nowMs: number, options?: { all?: boolean }): Promise<TokenRecord[]>;
  /** Revokes the live token of this name (its sessions end too); undefined when there is none. */
  revoke(name: string, by: string, nowMs: number): Promise<TokenRecord | undefined>;
  /** Live tokens at nowMs. */
  countLive(nowMs: number): Promise<number>;
  /** Notes a use (callers throttle it: it is a write). */
  touch(id: string, nowMs: number): Promise<void>;
}

/** A browser session: a login with a token, kept by an HttpOnly cookie whose SHA-256 is `idHash`. */
export interface SessionRecord {
  readonly idHash: string;
  readonly tokenId: string;
  /** The anti-CSRF token every state change from this session must echo. */
  readonly csrf: string;
  /** The address that logged in: the session is refused from any other. */
  readonly client: string;
  readonly createdAtMs: number;
  readonly lastSeenAtMs: number;
  /** Absolute end of the session (whatever the activity). */
  readonly expiresAtMs: number;
}

/** Browser sessions. Capped: a new session beyond the cap ends the least recently used one. */
export interface SessionStore {
  create(session: SessionRecord): Promise<void>;
  get(idHash: string): Promise<SessionRecord | undefined>;
  touch(idHash: string, nowMs: number): Promise<void>;
  delete(idHash: string): Promise<boolean>;
  /** Ends sessions past their absolute end or idle longer than idleMs; returns how many. */
  purge(nowMs: number, idleMs: number): Promise<number>;
  count(): Promise<number>;
  readonly cap: number;
}

/** How a recorded action ended. */
export type AuditOutcome = 'ok' | 'refused' | 'failed';

/** One state change (or attempt): who, what, when, from where. */
export interface AuditInput {
  readonly atMs: number;
  /** Token name (`token:ops-alice`), `cli:<user>`, `signal:SIGHUP`, or `anonymous` for failed logins. */
  readonly actor: string;
  readonly role: string | null;
  /** e.g. `ban.add`, `ban.remove`, `level.override`, `rule.accept`, `token.create`, `config.reload`, `login`. */
  readonly action: string;
  /** What was acted on: a ban key, a site, a token name... */
  readonly target: string | null;
  /** The client address, or `cli`, `signal`. */
  readonly source: string;
  readonly outcome: AuditOutcome;
  /** Details (JSON-serialisable, secrets removed by the caller); at most 4 KiB once serialised. */
  readonly detail?: unknown;
}

export interface AuditEntry extends AuditInput {
  readonly id: number;
}

/** The audit log: append-only, bounded by row count and by age. */
export interface AuditStore {
  append(entry: AuditInput): Promise<AuditEntry>;
  /** Newest first. `beforeId` pages backwards; `action` filters by prefix (`ban.` matches `ban.add`). */
  list(options?: { limit?: number; beforeId?: number; sinceMs?: number; action?: string }): Promise<AuditEntry[]>;
  /** Removes entries older than `olderThanMs` and trims to the row cap; returns rows removed. */
  purge(olderThanMs: number): Promise<number>;
  count(): Promise<number>;
  readonly cap: number;
}
