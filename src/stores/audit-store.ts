/**
 * The admin plane's audit log in SQLite (table `admin_audit`): one row per state change or attempt —
 * who, what, when, from where, and how it ended. Append-only for callers; bounded two ways: by age
 * (`purge(olderThanMs)`, run daily with the configured retention) and by row count (`maxRows`, default
 * 1,000,000, oldest rows trimmed by `purge` and whenever an append finds the log 1% over the cap).
 * A detail longer than 4 KiB once serialised is replaced by a note saying so: an attacker cannot grow a
 * row by sending a huge reason.
 */
import type { StateDatabase } from './database.ts';
import { checkMs } from './state-error.ts';
import type { AuditEntry, AuditInput, AuditOutcome, AuditStore } from './admin-types.ts';

/** Options of {@link createSqliteAuditStore}. */
export interface SqliteAuditStoreOptions {
  readonly maxRows?: number;
}

interface Row {
  id: number;
  at_ms: number;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  source: string;
  outcome: AuditOutcome;
  detail: string | null;
}

const MAX_DETAIL_CHARS = 4096;

function clip(text: string | null, max: number): string | null {
  return text === null ? null : text.length > max ? text.slice(0, max) : text;
}

function toEntry(r: Row): AuditEntry {
  return {
    id: r.id, atMs: r.at_ms, actor: r.actor, role: r.role, action: r.action, target: r.target, source: r.source, outcome: r.outcome,
    ...(r.detail !== null ? { detail: JSON.parse(r.detail) as unknown } : {}),
  };
}

/** Creates the SQLite audit store on an open state database. */
export function createSqliteAuditStore(state: StateDatabase, options: SqliteAuditStoreOptions = {}): AuditStore {
  const cap = options.maxRows ?? 1_000_000;
  const slack = Math.max(1, Math.floor(cap / 100));
  const db = state.db;
  const s = {
    insert: db.prepare<Omit<Row, 'id'>>(
      'INSERT INTO admin_audit (at_ms, actor, role, action, target, source, outcome, detail) VALUES (@at_ms, @actor, @role, @action, @target, @source, @outcome, @detail)',
    ),
    list: db.prepare<{ before: number; since: number; action: string | null; limit: number }, Row>(
      `SELECT * FROM admin_audit WHERE id < @before AND at_ms >= @since AND (@action IS NULL OR substr(action, 1, length(@action)) = @action)
       ORDER BY id DESC LIMIT @limit`,
    ),
    purgeAge: db.prepare<[number]>('DELETE FROM admin_audit WHERE at_ms < ?'),
    trim: db.prepare<[number]>('DELETE FROM admin_audit WHERE id <= (SELECT max(id) FROM admin_audit) - ?'),
    count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM admin_audit'),
  };
  let appended = 0;
  return {
    cap,
    async append(e) {
      let detail = e.detail === undefined ? null : JSON.stringify(e.detail);
      if (detail !== null && detail.length > MAX_DETAIL_CHARS) detail = JSON.stringify({ truncated: true, chars: detail.length });
      const row = {
        at_ms: checkMs(e.atMs, 'atMs'), actor: clip(e.actor, 200)!, role: clip(e.role, 20), action: clip(e.action, 64)!, target: clip(e.target, 256),
        source: clip(e.source, 64)!, outcome: e.outcome, detail,
      };
      const id = Number(s.insert.run(row).lastInsertRowid);
      // Count rarely: every `slack` appends is enough to keep the log within 1% of its cap.
      if (++appended % slack === 0 && s.count.get()!.n > cap) s.trim.run(cap);
      return toEntry({ id, ...row });
    },
    async list(o = {}) {
      const limit = Math.max(1, Math.min(10_000, Math.floor(o.limit ?? 100)));
      return s.list.all({ before: o.beforeId ?? Number.MAX_SAFE_INTEGER, since: o.sinceMs ?? 0, action: o.action ?? null, limit }).map(toEntry);
    },
    async purge(olderThanMs) {
      const n = s.purgeAge.run(olderThanMs).changes;
      return n + s.trim.run(cap).changes;
    },
    async count() {
      return s.count.get()!.n;
    },
  };
}
