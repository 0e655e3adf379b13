/**
 * Bans in SQLite: table `bans` (one row per canonical key), audit log `ban_audit`,
 * and the in-memory mirror (ban-mirror.ts) the accept phase reads. The mirror is loaded from the table at
 * creation, so bans survive a restart, and is updated by every add / remove / purge of this process;
 * changes written by another process (the CLI against the same file) are picked up by `sync()`, which
 * reads the audit rows written since the last call.
 *
 * Upsert rule: a longer ban wins. An active ban is never shortened by `add` unless `replace: true`
 * (an operator replacing it); `remove` is the manual unban. Every change writes one audit row in the same
 * transaction. The audit log is capped (`maxAuditRows`, oldest rows trimmed by `purgeExpired`) and can be
 * cut by age (`purgeAudit`) for privacy retention.
 */
import type { StateDatabase } from './database.ts';
import { parseBanKey, requireBanKey } from './ban-key.ts';
import { createBanMirror, DEFAULT_MAX_BANS } from './ban-mirror.ts';
import { banParams, normalizeBan, rowToBan, type BanRow } from './ban-record.ts';
import { checkMs } from './state-error.ts';
import type { AddBanResult, AuditActor, BanAuditEntry, BanStore, StoredBan } from './types.ts';

/** Options of {@link createSqliteBanStore}. */
export interface SqliteBanStoreOptions {
  /** Mirror cap (automatic bans beyond it are refused). Default 1,000,000. */
  readonly maxBans?: number;
  /** Audit rows kept at most (oldest trimmed by `purgeExpired`). Default 1,000,000. */
  readonly maxAuditRows?: number;
  /** Clock for loading active bans and for audit times when none is given. Default `Date.now`. */
  readonly clock?: () => number;
}

interface AuditRow {
  id: number;
  at_ms: number;
  action: BanAuditEntry['action'];
  key: string;
  actor: AuditActor;
  ban: string | null;
}

const DEFAULT_LIST_LIMIT = 10_000;

function statements(state: StateDatabase) {
  const db = state.db;
  return {
    get: db.prepare<[string], BanRow>('SELECT * FROM bans WHERE key = ?'),
    upsert: db.prepare<BanRow>(
      `INSERT INTO bans (key, scope, reason, banned_by, level, created_at_ms, until_ms, source)
       VALUES (@key, @scope, @reason, @banned_by, @level, @created_at_ms, @until_ms, @source)
       ON CONFLICT (key) DO UPDATE SET scope = excluded.scope, reason = excluded.reason, banned_by = excluded.banned_by,
         level = excluded.level, created_at_ms = excluded.created_at_ms, until_ms = excluded.until_ms, source = excluded.source`,
    ),
    remove: db.prepare<[string]>('DELETE FROM bans WHERE key = ?'),
    audit: db.prepare<[number, string, string, string, string | null]>('INSERT INTO ban_audit (at_ms, action, key, actor, ban) VALUES (?, ?, ?, ?, ?)'),
    active: db.prepare<[number, number], BanRow>('SELECT * FROM bans WHERE until_ms > ? ORDER BY until_ms DESC LIMIT ?'),
    all: db.prepare<[number], BanRow>('SELECT * FROM bans ORDER BY until_ms DESC LIMIT ?'),
    loadActive: db.prepare<[number], BanRow>("SELECT * FROM bans WHERE until_ms > ? ORDER BY source = 'manual' DESC, until_ms DESC"),
    expiredKeys: db.prepare<[number], { key: string }>('SELECT key FROM bans WHERE until_ms <= ?'),
    deleteExpired: db.prepare<[number]>('DELETE FROM bans WHERE until_ms <= ?'),
    trimAudit: db.prepare<[number]>('DELETE FROM ban_audit WHERE id <= (SELECT max(id) FROM ban_audit) - ?'),
    purgeAudit: db.prepare<[number]>('DELETE FROM ban_audit WHERE at_ms < ?'),
    maxAuditId: db.prepare<[], { id: number | null }>("SELECT seq AS id FROM sqlite_sequence WHERE name = 'ban_audit'"),
    auditAfter: db.prepare<[number, number], { id: number; key: string }>('SELECT id, key FROM ban_audit WHERE id > ? ORDER BY id LIMIT ?'),
    auditList: db.prepare<[string | null, string | null, number, number], AuditRow>(
      'SELECT * FROM ban_audit WHERE (? IS NULL OR key = ?) AND id > ? ORDER BY id DESC LIMIT ?',
    ),
  };
}

function auditEntry(r: AuditRow): BanAuditEntry {
  return { id: r.id, atMs: r.at_ms, action: r.action, key: r.key, actor: r.actor, ban: r.ban === null ? null : (JSON.parse(r.ban) as StoredBan) };
}

function limitOf(limit: number | undefined, fallback: number): number {
  return limit === undefined ? fallback : Math.max(0, Math.floor(limit));
}

/**
 * Creates the SQLite ban store on an open state database and loads the active bans into the mirror
 * (manual bans first, then the longest automatic ones, up to the cap; the rest are counted in `notLoaded`).
 */
export function createSqliteBanStore(state: StateDatabase, options: SqliteBanStoreOptions = {}): BanStore {
  const clock = options.clock ?? Date.now;
  const maxAuditRows = options.maxAuditRows ?? 1_000_000;
  const mirror = createBanMirror(options.maxBans ?? DEFAULT_MAX_BANS);
  const st = statements(state);
  let refusedFull = 0;
  let notLoaded = 0;
  let lastPurgeMs = -Infinity;
  let lastAuditId = st.maxAuditId.get()?.id ?? 0;

  for (const r of st.loadActive.iterate(clock())) {
    if (mirror.isFull() && r.source === 'auto') notLoaded++;
    else mirror.set(r.key, r.until_ms);
  }

  const write = state.db.transaction((ban: StoredBan, action: BanAuditEntry['action'], actor: AuditActor, atMs: number) => {
    st.upsert.run(banParams(ban));
    st.audit.run(atMs, action, ban.key, actor, JSON.stringify(ban));
  });
  const erase = state.db.transaction((key: string, actor: AuditActor, atMs: number): StoredBan | undefined => {
    const row = st.get.get(key);
    if (row === undefined) return undefined;
    st.remove.run(key);
    const ban = rowToBan(row);
    st.audit.run(atMs, 'remove', key, actor, JSON.stringify(ban));
    return ban;
  });
  const purge = state.db.transaction((nowMs: number): string[] => {
    const keys = st.expiredKeys.all(nowMs).map((r) => r.key);
    st.deleteExpired.run(nowMs);
    st.trimAudit.run(maxAuditRows);
    return keys;
  });

  /** True when there is room for a new key (purging expired mirror entries at most once a second). */
  function hasRoom(key: string, nowMs: number): boolean {
    if (mirror.has(key) || !mirror.isFull()) return true;
    if (nowMs - lastPurgeMs >= 1000) {
      lastPurgeMs = nowMs;
      mirror.purgeExpired(nowMs);
    }
    return !mirror.isFull();
  }

  function add(input: StoredBan, opts: { actor?: AuditActor; replace?: boolean; nowMs?: number } = {}): AddBanResult {
    const nowMs = opts.nowMs ?? input.createdAtMs;
    const ban = normalizeBan(input, nowMs);
    const row = st.get.get(ban.key);
    const existing = row === undefined ? undefined : rowToBan(row);
    const active = existing !== undefined && existing.untilMs > nowMs;
    let change: AddBanResult['change'] = 'added';
    if (active && ban.untilMs > existing.untilMs) change = 'extended';
    else if (active && opts.replace === true) change = 'replaced';
    else if (active) return { change: 'unchanged', ban: existing };
    if (!hasRoom(ban.key, nowMs) && ban.source === 'auto') {
      refusedFull++;
      return { change: 'refused_full', ban: undefined };
    }
    const stored = change === 'extended' ? { ...ban, level: Math.max(ban.level, existing!.level) } : ban;
    const action = change === 'added' ? 'add' : change === 'extended' ? 'extend' : 'replace';
    write(stored, action, opts.actor ?? (ban.source === 'auto' ? 'auto' : 'manual'), nowMs);
    mirror.set(stored.key, stored.untilMs);
    return { change, ban: stored };
  }

  /** Re-reads the given keys from the table into the mirror. */
  function refresh(keys: Iterable<string>, nowMs: number): number {
    let n = 0;
    for (const key of keys) {
      const row = st.get.get(key);
      if (row !== undefined && row.until_ms > nowMs && (mirror.has(key) || !mirror.isFull() || row.source === 'manual')) mirror.set(key, row.until_ms);
      else mirror.delete(key);
      n++;
    }
    return n;
  }

  return {
    add: async (ban, opts) => add(ban, opts),
    async remove(key, opts = {}) {
      const k = requireBanKey(key).key;
      const removed = erase(k, opts.actor ?? 'manual', opts.nowMs ?? clock());
      mirror.delete(k);
      return removed;
    },
    async get(key) {
      const k = parseBanKey(key);
      const row = k === null ? undefined : st.get.get(k.key);
      return row === undefined ? undefined : rowToBan(row);
    },
    async active(nowMs, opts = {}) {
      return st.active.all(checkMs(nowMs, 'nowMs'), limitOf(opts.limit, DEFAULT_LIST_LIMIT)).map(rowToBan);
    },
    async list(opts) {
      const limit = limitOf(opts.limit, DEFAULT_LIST_LIMIT);
      const rows = opts.includeExpired === true ? st.all.all(limit) : st.active.all(checkMs(opts.nowMs, 'nowMs'), limit);
      return rows.map(rowToBan);
    },
    async purgeExpired(nowMs) {
      const keys = purge(checkMs(nowMs, 'nowMs'));
      for (const key of keys) {
        const end = mirror.untilOf(key);
        if (end !== undefined && end <= nowMs) mirror.delete(key);
      }
      mirror.purgeExpired(nowMs);
      return keys.length;
    },
    async audit(opts = {}) {
      const key = opts.key === undefined ? null : (parseBanKey(opts.key)?.key ?? opts.key);
      return st.auditList.all(key, key, opts.afterId ?? 0, limitOf(opts.limit, 100)).map(auditEntry);
    },
    async purgeAudit(olderThanMs) {
      return st.purgeAudit.run(checkMs(olderThanMs, 'olderThanMs')).changes;
    },
    async sync() {
      let total = 0;
      for (;;) {
        const rows = st.auditAfter.all(lastAuditId, 10_000);
        if (rows.length === 0) return total;
        lastAuditId = rows[rows.length - 1].id;
        total += refresh(new Set(rows.map((r) => r.key)), clock());
      }
    },
    isBanned: (address, prefixKeys, nowMs) => mirror.bannedKey(address, prefixKeys, nowMs) !== undefined,
    bannedKey: (address, prefixKeys, nowMs) => mirror.bannedKey(address, prefixKeys, nowMs),
    matchAddress: (address, nowMs) => mirror.matchAddress(address, nowMs),
    stats: () => ({ mirrored: mirror.size(), cap: mirror.cap, refusedFull, notLoaded, prefixLengths: mirror.prefixLengths() }),
    watch: (watcher) => mirror.watch(watcher),
  };
}
