/**
 * The admin audit log in Redis/Valkey (the {@link AuditStore} contract, with the same conformance suite
 * as SQLite), so every change made on any node — a ban, an override, a token, a reload — is in one log
 * the operator reads from any node. Layout: a sorted set `…:audit` (score = id, member = the entry's
 * JSON) and its id counter. Bounded like the SQLite log: by row count (trimmed within 1% of the cap on
 * append and to the cap by `purge`) and by age (`purge`); a detail above 4 KiB becomes a note.
 */
import type { AuditEntry, AuditStore } from '../admin-types.ts';
import { checkMs } from '../state-error.ts';
import type { RedisHub } from './redis-hub.ts';

/** Options of {@link createRedisAuditStore}. */
export interface RedisAuditStoreOptions {
  readonly maxRows?: number;
}

const MAX_DETAIL_CHARS = 4096;
const PAGE = 500;
const clip = (t: string | null, max: number): string | null => (t === null ? null : t.length > max ? t.slice(0, max) : t);

function parse(member: string): AuditEntry | null {
  try {
    return JSON.parse(member) as AuditEntry;
  } catch {
    return null;
  }
}

/** Creates the audit store on a hub. */
export function createRedisAuditStore(hub: RedisHub, options: RedisAuditStoreOptions = {}): AuditStore {
  const cap = options.maxRows ?? 1_000_000;
  const slack = Math.max(1, Math.floor(cap / 100));
  const key = `${hub.ks}:audit`;
  const seq = `${hub.ks}:audit:seq`;
  const cmd = hub.cmd;
  let appended = 0;
  const trim = async (): Promise<number> => cmd.zremrangebyrank(key, 0, -(cap + 1));
  return {
    cap,
    async append(e) {
      let detail = e.detail === undefined ? undefined : (JSON.parse(JSON.stringify(e.detail)) as unknown);
      const text = detail === undefined ? '' : JSON.stringify(detail);
      if (text.length > MAX_DETAIL_CHARS) detail = { truncated: true, chars: text.length };
      const id = await cmd.incr(seq);
      const entry: AuditEntry = {
        id, atMs: checkMs(e.atMs, 'atMs'), actor: clip(e.actor, 200)!, role: clip(e.role, 20), action: clip(e.action, 64)!, target: clip(e.target, 256),
        source: clip(e.source, 64)!, outcome: e.outcome, ...(detail !== undefined ? { detail } : {}),
      };
      await cmd.zadd(key, id, JSON.stringify(entry));
      if (++appended % slack === 0 && (await cmd.zcard(key)) > cap) await trim();
      return entry;
    },
    async list(o = {}) {
      const limit = Math.max(1, Math.min(10_000, Math.floor(o.limit ?? 100)));
      const out: AuditEntry[] = [];
      const max = o.beforeId === undefined ? '+inf' : `(${o.beforeId}`;
      for (let offset = 0; out.length < limit; offset += PAGE) {
        const rows = await cmd.zrevrangebyscore(key, max, '-inf', 'LIMIT', offset, PAGE);
        for (const m of rows) {
          const e = parse(m);
          if (e === null || e.atMs < (o.sinceMs ?? 0) || (o.action !== undefined && !e.action.startsWith(o.action))) continue;
          if (out.length < limit) out.push(e);
        }
        if (rows.length < PAGE) break;
      }
      return out;
    },
    async purge(olderThanMs) {
      let removed = 0;
      for (let offset = 0; ; offset += PAGE) {
        const rows = await cmd.zrange(key, String(offset), String(offset + PAGE - 1));
        const old = rows.filter((m) => (parse(m)?.atMs ?? Infinity) < olderThanMs);
        if (old.length > 0) {
          removed += await cmd.zrem(key, ...old);
          offset -= old.length;
        }
        if (rows.length < PAGE) break;
      }
      return removed + (await trim());
    },
    count: () => cmd.zcard(key),
  };
}
