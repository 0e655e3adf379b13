/**
 * Browser sessions of the admin plane in SQLite (table `admin_sessions`). The cookie's secret is never
 * stored, only its SHA-256 (`idHash`). A session belongs to a token (deleted with it, and ended when it
 * is revoked: token-store.ts). Stored durably so a restart does not log every operator out in the
 * middle of an incident.
 *
 * Cap: `maxSessions` (default 10,000). A new session beyond it ends the least recently used one: an
 * attacker with a valid token could otherwise fill the table, and old idle sessions are the cheapest
 * to lose.
 */
import type { StateDatabase } from './database.ts';
import { checkMs } from './state-error.ts';
import type { SessionRecord, SessionStore } from './admin-types.ts';

/** Options of {@link createSqliteSessionStore}. */
export interface SqliteSessionStoreOptions {
  readonly maxSessions?: number;
}

interface Row {
  id_hash: string;
  token_id: string;
  csrf: string;
  client: string;
  created_at_ms: number;
  last_seen_at_ms: number;
  expires_at_ms: number;
}

function toRecord(r: Row): SessionRecord {
  return { idHash: r.id_hash, tokenId: r.token_id, csrf: r.csrf, client: r.client, createdAtMs: r.created_at_ms, lastSeenAtMs: r.last_seen_at_ms, expiresAtMs: r.expires_at_ms };
}

/** Creates the SQLite session store on an open state database. */
export function createSqliteSessionStore(state: StateDatabase, options: SqliteSessionStoreOptions = {}): SessionStore {
  const cap = options.maxSessions ?? 10_000;
  const db = state.db;
  const s = {
    insert: db.prepare<Row>(
      `INSERT INTO admin_sessions (id_hash, token_id, csrf, client, created_at_ms, last_seen_at_ms, expires_at_ms)
       VALUES (@id_hash, @token_id, @csrf, @client, @created_at_ms, @last_seen_at_ms, @expires_at_ms)`,
    ),
    get: db.prepare<[string], Row>('SELECT * FROM admin_sessions WHERE id_hash = ?'),
    touch: db.prepare<[number, string]>('UPDATE admin_sessions SET last_seen_at_ms = ? WHERE id_hash = ?'),
    delete: db.prepare<[string]>('DELETE FROM admin_sessions WHERE id_hash = ?'),
    purge: db.prepare<[number, number]>('DELETE FROM admin_sessions WHERE expires_at_ms <= ? OR last_seen_at_ms <= ?'),
    count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM admin_sessions'),
    evict: db.prepare<[number]>('DELETE FROM admin_sessions WHERE id_hash IN (SELECT id_hash FROM admin_sessions ORDER BY last_seen_at_ms LIMIT ?)'),
  };
  const create = db.transaction((row: Row) => {
    const n = s.count.get()!.n;
    if (n >= cap) s.evict.run(n - cap + 1);
    s.insert.run(row);
  });
  return {
    cap,
    async create(r) {
      create({
        id_hash: r.idHash, token_id: r.tokenId, csrf: r.csrf, client: r.client, created_at_ms: checkMs(r.createdAtMs, 'createdAtMs'),
        last_seen_at_ms: checkMs(r.lastSeenAtMs, 'lastSeenAtMs'), expires_at_ms: checkMs(r.expiresAtMs, 'expiresAtMs'),
      });
    },
    async get(idHash) {
      const r = s.get.get(idHash);
      return r === undefined ? undefined : toRecord(r);
    },
    async touch(idHash, nowMs) {
      s.touch.run(nowMs, idHash);
    },
    async delete(idHash) {
      return s.delete.run(idHash).changes > 0;
    },
    async purge(nowMs, idleMs) {
      return s.purge.run(nowMs, nowMs - idleMs).changes;
    },
    async count() {
      return s.count.get()!.n;
    },
  };
}
