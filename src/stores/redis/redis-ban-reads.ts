/**
 * Reading bans and the ban audit log back from Redis/Valkey, for the Redis ban store (redis-ban-store.ts):
 * a ban's hash into a {@link StoredBan}, many bans in one pipeline, the audit log paged by id.
 */
import { parseBanKey } from '../ban-key.ts';
import { checkMs } from '../state-error.ts';
import type { AuditActor, BanAuditEntry, BanStore, StoredBan } from '../types.ts';
import type { RedisClient } from './redis-connection.ts';

/** Keys of the ban store under a namespace. */
export interface BanKeys {
  ban(key: string): string;
  readonly banPrefix: string;
  readonly index: string;
  readonly audit: string;
  readonly seq: string;
  readonly epoch: string;
  readonly channel: string;
}

/** The key names of a namespace's ban store. */
export function banKeys(ks: string): BanKeys {
  return {
    ban: (key) => `${ks}:ban:${key}`,
    banPrefix: `${ks}:ban:`,
    index: `${ks}:bans`,
    audit: `${ks}:bans:audit`,
    seq: `${ks}:bans:audit:seq`,
    epoch: `${ks}:epoch`,
    channel: `${ks}:bans`,
  };
}

const PAGE = 1000;

/** A ban from the fields the scripts return (BAN_FIELDS order). */
export function toBan(key: string, f: readonly (string | null)[]): StoredBan {
  return {
    key,
    scope: f[0] as StoredBan['scope'],
    reason: f[1] ?? '',
    by: f[2] ?? '',
    level: Number(f[3]),
    createdAtMs: Number(f[4]),
    untilMs: Number(f[5]),
    source: f[6] as StoredBan['source'],
  };
}

export function hashToBan(key: string, h: Record<string, string>): StoredBan | undefined {
  if (h.until === undefined) return undefined;
  return toBan(key, [h.scope ?? 'address', h.reason ?? '', h.by ?? '', h.level ?? '0', h.created ?? '0', h.until, h.source ?? 'auto']);
}

export function parseAudit(member: string): BanAuditEntry | null {
  try {
    const r = JSON.parse(member) as { id: number; atMs: number; action: BanAuditEntry['action']; key: string; actor: AuditActor; ban: StoredBan | null };
    return { id: Number(r.id), atMs: Number(r.atMs), action: r.action, key: r.key, actor: r.actor, ban: r.ban ?? null };
  } catch {
    return null;
  }
}


/** The bans stored under `keys` (missing ones left out), in one pipeline per thousand. */
export async function readBans(cmd: RedisClient, k: BanKeys, keys: readonly string[]): Promise<Array<StoredBan | undefined>> {
  const out: Array<StoredBan | undefined> = [];
  for (let i = 0; i < keys.length; i += PAGE) {
    const p = cmd.pipeline();
    for (const key of keys.slice(i, i + PAGE)) p.hgetall(k.ban(key));
    const res = (await p.exec()) ?? [];
    res.forEach(([, h], j) => out.push(hashToBan(keys[i + j]!, (h ?? {}) as Record<string, string>)));
  }
  return out;
}

/** Audit rows with ids in (from, to], newest first when `reverse`, that pass `filter`, at most `limit`. */
export async function scanAudit(cmd: RedisClient, k: BanKeys, from: string, to: string, filter: (e: BanAuditEntry) => boolean, limit: number, reverse: boolean): Promise<BanAuditEntry[]> {
  const out: BanAuditEntry[] = [];
  for (let offset = 0; out.length < limit; offset += PAGE) {
    const rows = reverse ? await cmd.zrevrangebyscore(k.audit, to, from, 'LIMIT', offset, PAGE) : await cmd.zrangebyscore(k.audit, from, to, 'LIMIT', offset, PAGE);
    for (const m of rows) {
      const e = parseAudit(m);
      if (e !== null && filter(e) && out.length < limit) out.push(e);
    }
    if (rows.length < PAGE) break;
  }
  return out;
}

const DEFAULT_LIST_LIMIT = 10_000;

function limitOf(limit: number | undefined, fallback: number): number {
  return limit === undefined ? fallback : Math.max(0, Math.floor(limit));
}

/** The ban store's reads of the server (the store answers `isBanned` from its mirror, these from Redis). */
export function banQueries(cmd: RedisClient, k: BanKeys): Pick<BanStore, 'get' | 'active' | 'list' | 'audit' | 'purgeAudit'> {
  return {
    async get(key) {
      const kk = parseBanKey(key);
      if (kk === null) return undefined;
      return hashToBan(kk.key, (await cmd.hgetall(k.ban(kk.key))) as Record<string, string>);
    },
    async active(nowMs, opts = {}) {
      const keys = await cmd.zrevrangebyscore(k.index, '+inf', `(${checkMs(nowMs, 'nowMs')}`, 'LIMIT', 0, limitOf(opts.limit, DEFAULT_LIST_LIMIT));
      return (await readBans(cmd, k, keys)).filter((b): b is StoredBan => b !== undefined);
    },
    async list(opts) {
      const limit = limitOf(opts.limit, DEFAULT_LIST_LIMIT);
      if (limit === 0) return [];
      const keys = opts.includeExpired === true
        ? await cmd.zrevrange(k.index, 0, limit - 1)
        : await cmd.zrevrangebyscore(k.index, '+inf', `(${checkMs(opts.nowMs, 'nowMs')}`, 'LIMIT', 0, limit);
      return (await readBans(cmd, k, keys)).filter((b): b is StoredBan => b !== undefined);
    },
    async audit(opts = {}) {
      const key = opts.key === undefined ? null : (parseBanKey(opts.key)?.key ?? opts.key);
      return scanAudit(cmd, k, `(${opts.afterId ?? 0}`, '+inf', (e) => key === null || e.key === key, limitOf(opts.limit, 100), true);
    },
    async purgeAudit(olderThanMs) {
      checkMs(olderThanMs, 'olderThanMs');
      let removed = 0;
      for (let offset = 0; ; offset += PAGE) {
        const rows = await cmd.zrange(k.audit, String(offset), String(offset + PAGE - 1));
        const old = rows.filter((m) => (parseAudit(m)?.atMs ?? Infinity) < olderThanMs);
        if (old.length > 0) {
          removed += await cmd.zrem(k.audit, ...old);
          offset -= old.length;
        }
        if (rows.length < PAGE) return removed;
      }
    },
  };
}
