/**
 * Small durable settings in SQLite, with an optional expiry: e.g. the threat-level override of
 * `bulwark mode SITE under_attack --for 30m`, stored as key `mode/<site>`, value `{ level, untilMs }`,
 * `expiresAtMs: untilMs`. An expired entry reads as missing and is deleted by `purgeExpired`.
 *
 * Caps: `maxKeys` (default 10,000; a new key beyond it is BULWARK_ERR_STATE_FULL, after purging expired
 * entries) and `maxValueChars` per JSON value (default 64 KiB). Keys: 1 to 200 characters.
 */
import type { StateDatabase } from './database.ts';
import { checkMs, invalidState, StateError } from './state-error.ts';
import type { KvEntry, KvStore } from './types.ts';

/** Options of {@link createSqliteKvStore}. */
export interface SqliteKvStoreOptions {
  readonly maxKeys?: number;
  readonly maxValueChars?: number;
}

interface Row {
  key: string;
  value: string;
  updated_at_ms: number;
  expires_at_ms: number | null;
}

function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) invalidState(`setting key must be 1..200 characters, got ${JSON.stringify(key)}`);
  return key;
}

function toEntry(r: Row): KvEntry {
  return { key: r.key, value: JSON.parse(r.value) as unknown, updatedAtMs: r.updated_at_ms, expiresAtMs: r.expires_at_ms };
}

/** Creates the SQLite settings store on an open state database. */
export function createSqliteKvStore(state: StateDatabase, options: SqliteKvStoreOptions = {}): KvStore {
  const maxKeys = options.maxKeys ?? 10_000;
  const maxChars = options.maxValueChars ?? 64 * 1024;
  const db = state.db;
  const get = db.prepare<[string, number], Row>('SELECT * FROM kv WHERE key = ? AND (expires_at_ms IS NULL OR expires_at_ms > ?)');
  const exists = db.prepare<[string], { key: string }>('SELECT key FROM kv WHERE key = ?');
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM kv');
  const upsert = db.prepare<[string, string, number, number | null]>(
    `INSERT INTO kv (key, value, updated_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms, expires_at_ms = excluded.expires_at_ms`,
  );
  const remove = db.prepare<[string]>('DELETE FROM kv WHERE key = ?');
  // substr, not LIKE: LIKE ignores ASCII case
  const list = db.prepare<{ prefix: string; now: number }, Row>(
    'SELECT * FROM kv WHERE substr(key, 1, length(@prefix)) = @prefix AND (expires_at_ms IS NULL OR expires_at_ms > @now) ORDER BY key',
  );
  const purge = db.prepare<[number]>('DELETE FROM kv WHERE expires_at_ms IS NOT NULL AND expires_at_ms <= ?');

  const set = db.transaction((key: string, value: string, nowMs: number, expiresAtMs: number | null) => {
    if (exists.get(key) === undefined && count.get()!.n >= maxKeys) {
      purge.run(nowMs);
      if (count.get()!.n >= maxKeys) throw new StateError('BULWARK_ERR_STATE_FULL', `settings store holds ${maxKeys} keys already; not setting ${key}`);
    }
    upsert.run(key, value, nowMs, expiresAtMs);
  });

  return {
    async get<T = unknown>(key: string, nowMs: number) {
      const r = get.get(key, nowMs);
      return r === undefined ? undefined : (JSON.parse(r.value) as T);
    },
    async set(key, value, opts) {
      const text = JSON.stringify(value);
      if (text === undefined) invalidState(`setting ${key} is not a JSON value`);
      if (text.length > maxChars) throw new StateError('BULWARK_ERR_STATE_TOO_LARGE', `setting ${key} is ${text.length} characters, above ${maxChars}`);
      const expires = opts.expiresAtMs === undefined || opts.expiresAtMs === null ? null : checkMs(opts.expiresAtMs, 'expiresAtMs');
      set(checkKey(key), text, checkMs(opts.nowMs, 'nowMs'), expires);
    },
    async delete(key) {
      return remove.run(key).changes > 0;
    },
    async list(prefix, nowMs) {
      return list.all({ prefix, now: nowMs }).map(toEntry);
    },
    async purgeExpired(nowMs) {
      return purge.run(checkMs(nowMs, 'nowMs')).changes;
    },
  };
}
