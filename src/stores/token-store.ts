/**
 * API tokens in SQLite (table `admin_tokens`). Only the SHA-256 of a token's secret is stored, so a
 * copy of the database does not hand out access; the secret is shown once, when it is created. Live
 * means not revoked and not expired. A revoked token stays in the table (the audit trail names it) and
 * its sessions are deleted in the same transaction, so a revocation takes effect at once.
 *
 * Cap: `maxTokens` rows in all (default 1,000): creating one beyond it first drops the oldest revoked
 * or expired tokens, and fails with BULWARK_ERR_STATE_FULL when every stored token is live.
 */
import type { StateDatabase } from './database.ts';
import { checkMs, invalidState, StateError } from './state-error.ts';
import { ADMIN_ROLES, type AdminRole, type NewToken, type TokenRecord, type TokenStore } from './admin-types.ts';

/** Options of {@link createSqliteTokenStore}. */
export interface SqliteTokenStoreOptions {
  readonly maxTokens?: number;
}

interface Row {
  id: string;
  name: string;
  role: AdminRole;
  hash: string;
  created_at_ms: number;
  created_by: string;
  expires_at_ms: number | null;
  revoked_at_ms: number | null;
  revoked_by: string | null;
  last_used_at_ms: number | null;
}

function toRecord(r: Row): TokenRecord {
  return {
    id: r.id, name: r.name, role: r.role, createdAtMs: r.created_at_ms, createdBy: r.created_by, expiresAtMs: r.expires_at_ms,
    revokedAtMs: r.revoked_at_ms, revokedBy: r.revoked_by, lastUsedAtMs: r.last_used_at_ms,
  };
}

/** Token names: 1-64 letters, digits, `.`, `_`, `-` (they appear in logs and the audit trail). */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Creates the SQLite token store on an open state database. */
export function createSqliteTokenStore(state: StateDatabase, options: SqliteTokenStoreOptions = {}): TokenStore {
  const maxTokens = options.maxTokens ?? 1000;
  const db = state.db;
  const LIVE = '(revoked_at_ms IS NULL AND (expires_at_ms IS NULL OR expires_at_ms > @now))';
  const s = {
    insert: db.prepare<Row>(
      `INSERT INTO admin_tokens (id, name, role, hash, created_at_ms, created_by, expires_at_ms, revoked_at_ms, revoked_by, last_used_at_ms)
       VALUES (@id, @name, @role, @hash, @created_at_ms, @created_by, @expires_at_ms, NULL, NULL, NULL)`,
    ),
    byHash: db.prepare<{ hash: string; now: number }, Row>(`SELECT * FROM admin_tokens WHERE hash = @hash AND ${LIVE}`),
    byId: db.prepare<[string], Row>('SELECT * FROM admin_tokens WHERE id = ?'),
    liveByName: db.prepare<[string], Row>('SELECT * FROM admin_tokens WHERE name = ? AND revoked_at_ms IS NULL'),
    listLive: db.prepare<{ now: number }, Row>(`SELECT * FROM admin_tokens WHERE ${LIVE} ORDER BY created_at_ms DESC, id`),
    listAll: db.prepare<[], Row>('SELECT * FROM admin_tokens ORDER BY created_at_ms DESC, id'),
    countLive: db.prepare<{ now: number }, { n: number }>(`SELECT count(*) AS n FROM admin_tokens WHERE ${LIVE}`),
    countAll: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM admin_tokens'),
    revoke: db.prepare<[number, string, string]>('UPDATE admin_tokens SET revoked_at_ms = ?, revoked_by = ? WHERE id = ?'),
    dropSessions: db.prepare<[string]>('DELETE FROM admin_sessions WHERE token_id = ?'),
    dropDead: db.prepare<{ now: number; n: number }>(
      `DELETE FROM admin_tokens WHERE id IN (SELECT id FROM admin_tokens WHERE NOT ${LIVE} ORDER BY coalesce(revoked_at_ms, expires_at_ms) LIMIT @n)`,
    ),
    touch: db.prepare<[number, string]>('UPDATE admin_tokens SET last_used_at_ms = ? WHERE id = ?'),
  };

  const create = db.transaction((t: NewToken, nowMs: number): TokenRecord => {
    const existing = s.liveByName.get(t.name);
    if (existing !== undefined) {
      // An expired token keeps its name until revoked: retire it, so the name can be reused.
      if (existing.expires_at_ms !== null && existing.expires_at_ms <= nowMs) s.revoke.run(nowMs, 'expired', existing.id);
      else throw new StateError('BULWARK_ERR_STATE_CONFLICT', `a live token is already named ${t.name}; revoke it first`, { source: 'operator' });
    }
    const total = s.countAll.get()!.n;
    if (total >= maxTokens) s.dropDead.run({ now: nowMs, n: total - maxTokens + 1 });
    if (s.countAll.get()!.n >= maxTokens) throw new StateError('BULWARK_ERR_STATE_FULL', `${maxTokens} live tokens exist already; revoke some first`, { source: 'operator' });
    const row: Row = {
      id: t.id, name: t.name, role: t.role, hash: t.hash, created_at_ms: nowMs, created_by: t.createdBy, expires_at_ms: t.expiresAtMs,
      revoked_at_ms: null, revoked_by: null, last_used_at_ms: null,
    };
    s.insert.run(row);
    return toRecord(row);
  });

  const revoke = db.transaction((name: string, by: string, nowMs: number): TokenRecord | undefined => {
    const row = s.liveByName.get(name);
    if (row === undefined) return undefined;
    s.revoke.run(nowMs, by, row.id);
    s.dropSessions.run(row.id);
    return toRecord({ ...row, revoked_at_ms: nowMs, revoked_by: by });
  });

  return {
    async create(t, nowMs) {
      if (!TOKEN_NAME.test(t.name)) invalidState(`token name must be 1-64 letters, digits, . _ - (got ${JSON.stringify(t.name)})`);
      if (!ADMIN_ROLES.includes(t.role)) invalidState(`unknown role ${JSON.stringify(t.role)}`);
      if (!/^[0-9a-f]{64}$/.test(t.hash)) invalidState('token hash must be 64 hex digits (SHA-256)');
      if (t.expiresAtMs !== null) checkMs(t.expiresAtMs, 'expiresAtMs');
      return create(t, checkMs(nowMs, 'nowMs'));
    },
    async findByHash(hash, nowMs) {
      const r = s.byHash.get({ hash, now: nowMs });
      return r === undefined ? undefined : toRecord(r);
    },
    async get(id) {
      const r = s.byId.get(id);
      return r === undefined ? undefined : toRecord(r);
    },
    async list(nowMs, o = {}) {
      return (o.all === true ? s.listAll.all() : s.listLive.all({ now: nowMs })).map(toRecord);
    },
    async revoke(name, by, nowMs) {
      return revoke(name, by, checkMs(nowMs, 'nowMs'));
    },
    async countLive(nowMs) {
      return s.countLive.get({ now: nowMs })!.n;
    },
    async touch(id, nowMs) {
      s.touch.run(nowMs, id);
    },
  };
}
