/**
 * Bans in Redis/Valkey, shared by every node of a deployment: the same {@link BanStore} contract as the
 * SQLite store (the conformance suite runs against both), plus what sharing needs.
 *
 * Layout: one hash per ban (`…:ban:<key>`, expiring a day after the ban ends, so nothing outlives its
 * use), an index of bans by end (`…:bans`), an audit log capped at `maxAuditRows` (`…:bans:audit`, score =
 * increasing id) and its id counter. Writes are Lua scripts (redis-ban-scripts.ts), so "a longer ban wins"
 * holds between nodes too.
 *
 * Push, durably: every change publishes its audit id on `…:bans`; subscribers read the audit rows after
 * the last one they applied (`sync()`), so a missed message costs nothing but a little delay — the
 * 1-second housekeeping sync catches up, and a node that was away reads every row it missed (or, when
 * the log was trimmed past it, reloads the index).
 *
 * Never on the request path, never lost to an outage: `isBanned` and friends answer from the in-memory
 * mirror (ban-mirror.ts). An automatic ban made while the server is unreachable goes into the mirror at
 * once (this node drops the source) and into a bounded queue (`maxPending`, oldest dropped and counted)
 * written when the server returns. A server that comes back empty (restarted without persistence: its
 * epoch marker is gone) gets every active ban this node knows written back, so no node's bans are lost.
 */
import { parseBanKey, requireBanKey } from '../ban-key.ts';
import { createBanMirror, DEFAULT_MAX_BANS } from '../ban-mirror.ts';
import { normalizeBan } from '../ban-record.ts';
import { checkMs } from '../state-error.ts';
import type { AddBanResult, AuditActor, BanAuditEntry, BanStore, BanStoreStats, StoredBan } from '../types.ts';
import { ADD_BAN, PURGE_BANS, REMOVE_BAN } from './redis-ban-scripts.ts';
import { banKeys, hashToBan, parseAudit, readBans, scanAudit as scanAuditOf, toBan } from './redis-ban-reads.ts';
import { isReplyError, type RedisHub } from './redis-hub.ts';

/** Options of {@link createRedisBanStore}. */
export interface RedisBanStoreOptions {
  /** Mirror cap (automatic bans beyond it are refused). Default 1,000,000. */
  readonly maxBans?: number;
  /** Audit rows kept (oldest trimmed by `purgeExpired`). Default 1,000,000. */
  readonly maxAuditRows?: number;
  /** Automatic bans kept while the server is unreachable. Default 10,000. */
  readonly maxPending?: number;
  /** Clock for loading active bans and for audit times when none is given. Default `Date.now`. */
  readonly clock?: () => number;
  /** Told when a write could not reach the server and was queued (for the log). */
  readonly onQueued?: (ban: StoredBan, err: unknown) => void;
}

/** The Redis ban store: a BanStore, plus the outage figures. */
export interface RedisBanStore extends BanStore {
  /** Bans waiting for the server, and bans dropped from that queue. */
  sharedStats(): { pending: number; pendingDropped: number; resyncs: number; pushedBack: number };
}

/** A ban hash keeps existing this long after the ban ended (so `list({ includeExpired })` can show it). */
const KEEP_ENDED_MS = 86_400_000;
const DEFAULT_LIST_LIMIT = 10_000;
const PAGE = 1000;

interface Pending {
  readonly ban: StoredBan;
  readonly actor: AuditActor;
  readonly nowMs: number;
}

function limitOf(limit: number | undefined, fallback: number): number {
  return limit === undefined ? fallback : Math.max(0, Math.floor(limit));
}

/**
 * Creates the store and loads the active bans into the mirror (manual bans first, then the longest
 * automatic ones, up to the cap). When the server is unreachable the store starts empty and loads on
 * the first connection.
 */
export async function createRedisBanStore(hub: RedisHub, options: RedisBanStoreOptions = {}): Promise<RedisBanStore> {
  const clock = options.clock ?? Date.now;
  const maxAuditRows = options.maxAuditRows ?? 1_000_000;
  const maxPending = options.maxPending ?? 10_000;
  const mirror = createBanMirror(options.maxBans ?? DEFAULT_MAX_BANS);
  /** Every ban in the mirror, in full: what this node writes back to a server that lost its data. */
  const records = new Map<string, StoredBan>();
  const k = banKeys(hub.ks);
  const addScript = hub.script(ADD_BAN, 4);
  const removeScript = hub.script(REMOVE_BAN, 4);
  const purgeScript = hub.script(PURGE_BANS, 2);
  const cmd = hub.cmd;
  let refusedFull = 0;
  let notLoaded = 0;
  let lastPurgeMs = -Infinity;
  let lastAuditId = 0;
  let loaded = false;
  let epoch: string | null = null;
  let pending: Pending[] = [];
  let pendingDropped = 0;
  let resyncs = 0;
  let pushedBack = 0;
  let syncing: Promise<number> | null = null;
  let syncAgain = false;

  /**
   * Keys this process changed while a refresh was reading: the refresh read them before the change, so
   * it must not apply what it read for them (it would undo a removal or an extension just made here).
   */
  let changedDuringRefresh: Set<string> | null = null;
  function remember(ban: StoredBan): void {
    mirror.set(ban.key, ban.untilMs);
    records.set(ban.key, ban);
  }
  function forget(key: string): void {
    mirror.delete(key);
    records.delete(key);
  }
  /** A change made by this process (not read back from the server). */
  function changedHere(key: string): void {
    changedDuringRefresh?.add(key);
  }

  function hasRoom(key: string, nowMs: number): boolean {
    if (mirror.has(key) || !mirror.isFull()) return true;
    if (nowMs - lastPurgeMs >= 1000) {
      lastPurgeMs = nowMs;
      for (const [key2, end] of records) if (end.untilMs <= nowMs) forget(key2);
      mirror.purgeExpired(nowMs);
    }
    return !mirror.isFull();
  }

  /** Loads every active ban (a first connection, or after the audit log was trimmed past us). */
  async function loadAll(): Promise<void> {
    const nowMs = clock();
    const seq = Number((await cmd.get(k.seq)) ?? 0);
    const keys = await cmd.zrangebyscore(k.index, `(${nowMs}`, '+inf');
    const bans = (await readBans(cmd, k, keys)).filter((b): b is StoredBan => b !== undefined && b.untilMs > nowMs);
    bans.sort((a, b) => (a.source === b.source ? b.untilMs - a.untilMs : a.source === 'manual' ? -1 : 1));
    const keep = new Map<string, StoredBan>();
    notLoaded = 0;
    for (const b of bans) {
      if (keep.size >= mirror.cap && b.source === 'auto') notLoaded++;
      else keep.set(b.key, b);
    }
    // Bans only this node knows (made while the server was away, not yet written) stay in the mirror.
    for (const [key, b] of records) if (!keep.has(key) && pending.some((p) => p.ban.key === key)) keep.set(key, b);
    mirror.clear();
    records.clear();
    for (const b of keep.values()) remember(b);
    lastAuditId = seq;
    loaded = true;
  }

  async function runAdd(ban: StoredBan, actor: AuditActor, replace: boolean, nowMs: number, refuseNew: boolean): Promise<AddBanResult> {
    const ttl = Math.max(1, ban.untilMs - nowMs) + KEEP_ENDED_MS;
    const r = (await addScript(
      [k.ban(ban.key), k.index, k.audit, k.seq],
      [ban.key, ban.scope, ban.reason, ban.by, ban.level, ban.createdAtMs, ban.untilMs, ban.source, nowMs, replace ? 1 : 0, actor, ttl, refuseNew ? 1 : 0],
    )) as string[];
    const change = r[0] as AddBanResult['change'];
    if (change === 'refused_full') return { change, ban: undefined };
    const stored = toBan(ban.key, r.slice(1, 8));
    if (change !== 'unchanged') {
      remember(stored);
      changedHere(stored.key);
      hub.publish(k.channel, r[8]!);
    }
    return { change, ban: stored };
  }

  /** The server is unreachable: the ban applies here now and is written when the server returns. */
  function queue(ban: StoredBan, actor: AuditActor, nowMs: number, err: unknown): AddBanResult {
    const end = mirror.untilOf(ban.key);
    const active = end !== undefined && end > nowMs;
    if (active && ban.untilMs <= end) return { change: 'unchanged', ban: records.get(ban.key) ?? ban };
    pending.push({ ban, actor, nowMs });
    if (pending.length > maxPending) {
      pending.splice(0, pending.length - maxPending);
      pendingDropped++;
    }
    const stored = active ? { ...ban, level: Math.max(ban.level, records.get(ban.key)?.level ?? 0) } : ban;
    remember(stored);
    changedHere(stored.key);
    options.onQueued?.(ban, err);
    return { change: active ? 'extended' : 'added', ban: stored };
  }

  /** Back after an outage: write what was queued, give an emptied server our bans, read what we missed. */
  async function resync(): Promise<void> {
    resyncs++;
    const marker = await cmd.get(k.epoch);
    const lost = loaded && epoch !== null && marker !== epoch;
    if (marker === null) {
      epoch = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
      await cmd.set(k.epoch, epoch, 'NX');
      epoch = (await cmd.get(k.epoch)) ?? epoch;
    } else epoch = marker;
    const queued = pending;
    pending = [];
    for (const p of queued) {
      if (p.ban.untilMs > clock()) await runAdd(p.ban, p.actor, false, clock(), false);
    }
    if (lost) {
      const nowMs = clock();
      for (const b of [...records.values()]) {
        if (b.untilMs <= nowMs) continue;
        await runAdd(b, b.source === 'auto' ? 'auto' : 'manual', false, nowMs, false);
        pushedBack++;
      }
    }
    if (!loaded || lost) await loadAll();
    else await syncNow();
  }

  async function syncNow(): Promise<number> {
    let total = 0;
    const seq = Number((await cmd.get(k.seq)) ?? 0);
    if (seq < lastAuditId) {
      await loadAll(); // the counter went back: the server lost its data since we last read
      return records.size;
    }
    for (;;) {
      const rows = await cmd.zrangebyscore(k.audit, `(${lastAuditId}`, '+inf', 'WITHSCORES', 'LIMIT', 0, 10_000);
      if (rows.length === 0) return total;
      const firstId = Number(rows[1]);
      if (lastAuditId > 0 && firstId > lastAuditId + 1 && (await cmd.zcard(k.audit)) >= maxAuditRows) {
        await loadAll(); // rows we never read were trimmed: read the whole index instead
        return records.size;
      }
      const keys = new Set<string>();
      for (let i = 0; i < rows.length; i += 2) keys.add(parseAudit(rows[i]!)?.key ?? '');
      keys.delete('');
      lastAuditId = Number(rows[rows.length - 1]);
      total += await refresh(keys);
    }
  }

  /** Re-reads the given keys from the server into the mirror. */
  async function refresh(keys: Set<string>): Promise<number> {
    const list = [...keys];
    const nowMs = clock();
    const changed = (changedDuringRefresh = new Set());
    const read = await readBans(cmd, k, list).finally(() => void (changedDuringRefresh = null));
    read.forEach((b, i) => {
      const key = list[i]!;
      if (changed.has(key)) return;
      if (b !== undefined && b.untilMs > nowMs && (mirror.has(key) || !mirror.isFull() || b.source === 'manual')) remember(b);
      else if (!pending.some((q) => q.ban.key === key)) forget(key);
    });
    return list.length;
  }

  function sync(): Promise<number> {
    if (syncing !== null) {
      syncAgain = true;
      return syncing;
    }
    syncing = (async () => {
      let n = 0;
      do {
        syncAgain = false;
        n += await syncNow();
      } while (syncAgain);
      return n;
    })().finally(() => void (syncing = null));
    return syncing;
  }

  hub.subscribe(k.channel, () => {
    if (hub.up() && loaded) void sync().catch((err: unknown) => hub.noteError(err));
  });
  hub.onReady(() => void resync().catch((err: unknown) => hub.noteError(err)));
  if (hub.up()) await resync().catch((err: unknown) => hub.noteError(err));

  async function add(input: StoredBan, opts: { actor?: AuditActor; replace?: boolean; nowMs?: number } = {}): Promise<AddBanResult> {
    const nowMs = opts.nowMs ?? input.createdAtMs;
    const ban = normalizeBan(input, nowMs);
    const actor = opts.actor ?? (ban.source === 'auto' ? 'auto' : 'manual');
    const refuseNew = ban.source === 'auto' && !hasRoom(ban.key, nowMs);
    try {
      const r = await runAdd(ban, actor, opts.replace === true, nowMs, refuseNew);
      if (r.change === 'refused_full') refusedFull++;
      return r;
    } catch (err) {
      if (isReplyError(err) || ban.source !== 'auto' || opts.replace === true) throw err;
      if (refuseNew) {
        refusedFull++;
        return { change: 'refused_full', ban: undefined };
      }
      return queue(ban, actor, nowMs, err);
    }
  }

  const stats = (): BanStoreStats => ({ mirrored: mirror.size(), cap: mirror.cap, refusedFull, notLoaded, prefixLengths: mirror.prefixLengths() });

  return {
    add,
    async remove(key, opts = {}) {
      const kk = requireBanKey(key).key;
      const r = (await removeScript([k.ban(kk), k.index, k.audit, k.seq], [kk, opts.actor ?? 'manual', opts.nowMs ?? clock()])) as string[];
      forget(kk);
      changedHere(kk);
      pending = pending.filter((p) => p.ban.key !== kk);
      if (r.length === 0) return undefined;
      hub.publish(k.channel, r[7]!);
      return toBan(kk, r.slice(0, 7));
    },
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
    async purgeExpired(nowMs) {
      checkMs(nowMs, 'nowMs');
      let total = 0;
      for (;;) {
        const gone = (await purgeScript([k.index, k.audit], [nowMs, k.banPrefix, maxAuditRows, 10_000])) as string[];
        total += gone.length;
        for (const key of gone) {
          const end = mirror.untilOf(key);
          if (end !== undefined && end <= nowMs) forget(key);
        }
        if (gone.length < 10_000) break;
      }
      mirror.purgeExpired(nowMs);
      for (const [key, b] of records) if (b.untilMs <= nowMs) records.delete(key);
      return total;
    },
    async audit(opts = {}) {
      const key = opts.key === undefined ? null : (parseBanKey(opts.key)?.key ?? opts.key);
      return scanAuditOf(cmd, k, `(${opts.afterId ?? 0}`, '+inf', (e) => key === null || e.key === key, limitOf(opts.limit, 100), true);
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
    sync,
    isBanned: (address, prefixKeys, nowMs) => mirror.bannedKey(address, prefixKeys, nowMs) !== undefined,
    bannedKey: (address, prefixKeys, nowMs) => mirror.bannedKey(address, prefixKeys, nowMs),
    matchAddress: (address, nowMs) => mirror.matchAddress(address, nowMs),
    stats,
    watch: (watcher) => mirror.watch(watcher),
    sharedStats: () => ({ pending: pending.length, pendingDropped, resyncs, pushedBack }),
  };
}
