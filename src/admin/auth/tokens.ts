/**
 * API tokens: what they look like, how they are checked, and what each role may do.
 *
 * A token is `bwk_` followed by 43 base64url characters: 256 random bits, so guessing one is hopeless
 * and a fast hash is enough to store it (only its SHA-256 is kept; the secret is shown once). The
 * prefix lets secret scanners and log redaction recognise a leaked token.
 *
 * Roles, from least to most: `metrics` (reads `/metrics` only: a Prometheus scraper), `viewer` (reads
 * everything: dashboard, API), `operator` (also bans and unbans, sets levels, accepts or rejects
 * signature rules), `admin` (also manages tokens).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BulwarkError } from '../../core/errors.ts';
import { TOKEN_NAME, type AdminRole, type TokenRecord, type TokenStore } from '../../stores/index.ts';

/** The prefix of every token's secret. */
export const TOKEN_PREFIX = 'bwk_';

const TOKEN_SHAPE = /^bwk_[A-Za-z0-9_-]{43}$/;

/** What a route requires: nothing (`public`), or a role at least as strong as the one named. */
export type Access = 'public' | 'metrics' | 'viewer' | 'operator' | 'admin';

/** Which roles satisfy each access level (metrics is a side role: it satisfies `metrics` only). */
const SATISFIES: Record<AdminRole, ReadonlySet<Access>> = {
  metrics: new Set(['public', 'metrics']),
  viewer: new Set(['public', 'metrics', 'viewer']),
  operator: new Set(['public', 'metrics', 'viewer', 'operator']),
  admin: new Set(['public', 'metrics', 'viewer', 'operator', 'admin']),
};

/** True when a token of `role` may use a route requiring `access`. */
export function roleAllows(role: AdminRole, access: Access): boolean {
  return SATISFIES[role].has(access);
}

/** A fresh secret: `bwk_` + 256 random bits in base64url. `random` is injectable for tests. */
export function newTokenSecret(random: (n: number) => Buffer = randomBytes): string {
  return TOKEN_PREFIX + random(32).toString('base64url');
}

/** True when the text has a token's shape (cheap check before hashing and a database lookup). */
export function looksLikeToken(text: string): boolean {
  return TOKEN_SHAPE.test(text);
}

/** SHA-256 of a secret, hex: what the stores keep and look up. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** What `tokens create` asks for. */
export interface TokenRequest {
  readonly name: string;
  readonly role: AdminRole;
  /** Lifetime in ms, or null for a token that lasts until revoked. */
  readonly expiresInMs: number | null;
  /** Who creates it (`cli:<user>`, `token:<name>`). */
  readonly by: string;
}

/** The longest token lifetime: two years (rotate tokens; a forgotten one should die on its own). */
export const MAX_TOKEN_LIFETIME_MS = 2 * 365 * 86_400_000;

function invalid(message: string): never {
  throw new BulwarkError('BULWARK_ERR_ADMIN_TOKEN_INVALID', message, { source: 'operator', publicReason: message });
}

/**
 * Creates and stores a token (the CLI and the API share this). Returns the secret — shown once, never
 * stored — and the stored record. Throws BULWARK_ERR_ADMIN_TOKEN_INVALID (bad name, role, lifetime) or
 * the store's BULWARK_ERR_STATE_CONFLICT (the name is taken).
 */
export async function issueToken(store: TokenStore, request: TokenRequest, nowMs: number, random?: (n: number) => Buffer): Promise<{ secret: string; token: TokenRecord }> {
  if (typeof request.name !== 'string' || !TOKEN_NAME.test(request.name)) invalid('name must be 1-64 letters, digits, . _ - (starting with a letter or digit)');
  if (!(['viewer', 'operator', 'admin', 'metrics'] as const).includes(request.role)) invalid('role must be viewer, operator, admin or metrics');
  if (request.expiresInMs !== null && !(request.expiresInMs > 0 && request.expiresInMs <= MAX_TOKEN_LIFETIME_MS)) invalid('a token expires after more than 0 and at most 730 days (or never)');
  const secret = newTokenSecret(random);
  const token = await store.create(
    { id: randomUUID(), name: request.name, role: request.role, hash: hashSecret(secret), createdBy: request.by, expiresAtMs: request.expiresInMs === null ? null : nowMs + request.expiresInMs },
    nowMs,
  );
  return { secret, token };
}

/** A token as the API and `tokens list` show it (never the hash). */
export function tokenView(t: TokenRecord, nowMs: number) {
  const state = t.revokedAtMs !== null ? 'revoked' : t.expiresAtMs !== null && t.expiresAtMs <= nowMs ? 'expired' : 'live';
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    name: t.name, role: t.role, state, created: iso(t.createdAtMs), created_by: t.createdBy, expires: iso(t.expiresAtMs), revoked: iso(t.revokedAtMs),
    revoked_by: t.revokedBy, last_used: iso(t.lastUsedAtMs),
  };
}
