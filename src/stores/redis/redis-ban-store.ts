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
 * written when the server returns. A server that comes back without writes this node had read — restarted
 * without persistence (its epoch marker is gone), or a replica promoted by Sentinel before it received
 * the last writes (the last audit row this node read is gone) — gets every active ban this node knows
 * written back, and its audit ids raised past every id read, so no node's bans are lost and no node skips
 * a new row as one it has read.
 */
import { requireBanKey } from '../ban-key.ts';
import { createBanMirror, DEFAULT_MAX_BANS } from '../ban-mirror.ts';
import { normalizeBan } from '../ban-record.ts';
import { checkMs } from '../state-error.ts';
import type { AddBanResult, AuditActor, BanStore, BanStoreStats, StoredBan } from '../types.ts';
import { ADD_BAN, PURGE_BANS, RAISE_SEQ, REMOVE_BAN } from './redis-ban-scripts.ts';
import { banKeys, banQueries, parseAudit, readBans, toBan } from './redis-ban-reads.ts';
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

interface Pending {
  readonly ban: StoredBan;
  readonly actor: AuditActor;
  readonly nowMs: number;
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
  const raiseSeqScript = hub.script(RAISE_SEQ, 1);
  const cmd = hub.cmd;
  let refusedFull = 0;
  let notLoaded = 0;
  let lastPurgeMs = -Infinity;
  let lastAuditId = 0;
  /** The audit row `lastAuditId` names, as read: gone or different after a reconnect = the server lost rows. */
  let lastAuditRow: string | null = null;
  let loaded = false;
  let epoch: string | null = null;
  let pending: Pending[] = [];
  let pendingDropped = 0;
  let resyncs = 0;
  let pushedBack = 0;
  let syncing: Promise<number> | null = null;
  let syncAgain = false;
  /** Resynchronisations and syncs run one at a time (a sync must not read past rows a resync checks). */
  let busy: Promise<unknown> = Promise.resolve();
  function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = busy.then(fn, fn);
    busy = run.catch(() => undefined);
    return run;
  }

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
    const top = await cmd.zrangebyscore(k.audit, seq, seq);
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
    lastAuditRow = top[0] ?? null;
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

  /**
   * True when the server lost audit rows this node had read: the row it read last is gone or another
   * row has its id (a replica promoted before it received the last writes; a restart from an older
   * snapshot). A log trimmed past that row is not a loss (syncNow reloads the index then).
   */
  async function lostRows(): Promise<boolean> {
    if (lastAuditRow === null) return false;
    if (Number((await cmd.get(k.seq)) ?? 0) < lastAuditId) return true;
    if ((await cmd.zrangebyscore(k.audit, lastAuditId, lastAuditId)).includes(lastAuditRow)) return false;
    return (await cmd.zcard(k.audit)) < maxAuditRows;
  }

  /**
   * New audit ids start above every id read here, so no node skips a new row as one it read already
   * (called when the server lost rows, before anything is written to it).
   */
  async function raiseSeq(): Promise<void> {
    await raiseSeqScript([k.seq], [lastAuditId]);
  }

  /**
   * The server lost writes this node knows: every active ban this node holds is written again (a longer
   * or equal ban already there stays: nothing changes for it).
   */
  async function writeBack(): Promise<void> {
    const nowMs = clock();
    for (const b of [...records.values()]) {
      if (b.untilMs <= nowMs) continue;
      const r = await runAdd(b, b.source === 'auto' ? 'auto' : 'manual', false, nowMs, false);
      if (r.change !== 'unchanged') pushedBack++;
    }
  }

  /**
   * Back after an outage: find out whether the server lost what we had read (restarted empty: its epoch
   * marker is gone; failed over to a replica that lagged: our last audit row is gone), write what was
   * queued, give the server back the bans it lost, read what we missed.
   */
  async function resync(): Promise<void> {
    resyncs++;
    const marker = await cmd.get(k.epoch);
    const lost = loaded && ((epoch !== null && marker !== epoch) || (await lostRows()));
    if (marker === null) {
      epoch = `${Date.now().toString(36)}.${Math.random().toString(36).slice(2)}`;
      await cmd.set(k.epoch, epoch, 'NX');
      epoch = (await cmd.get(k.epoch)) ?? epoch;
    } else epoch = marker;
    if (lost) await raiseSeq();
    const queued = pending;
    pending = [];
    for (const p of queued) {
      if (p.ban.untilMs > clock()) await runAdd(p.ban, p.actor, false, clock(), false);
    }
    if (lost) await writeBack();
    if (!loaded || lost) await loadAll();
    else await syncNow();
  }

  async function syncNow(): Promise<number> {
    let total = 0;
    const seq = Number((await cmd.get(k.seq)) ?? 0);
    if (seq < lastAuditId) {
      await raiseSeq(); // the counter went back: the server lost rows we had read
      await writeBack();
      await loadAll();
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
      lastAuditRow = rows[rows.length - 2]!;
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
    syncing = exclusive(async () => {
      let n = 0;
      do {
        syncAgain = false;
        n += await syncNow();
      } while (syncAgain);
      return n;
    }).finally(() => void (syncing = null));
    return syncing;
  }

  hub.subscribe(k.channel, () => {
    if (hub.up() && loaded) void sync().catch((err: unknown) => hub.noteError(err));
  });
  hub.onReady(() => void exclusive(resync).catch((err: unknown) => hub.noteError(err)));
  if (hub.up()) await exclusive(resync).catch((err: unknown) => hub.noteError(err));

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

  const queries = banQueries(cmd, k);
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
    ...queries,
    sync,
    isBanned: (address, prefixKeys, nowMs) => mirror.bannedKey(address, prefixKeys, nowMs) !== undefined,
    bannedKey: (address, prefixKeys, nowMs) => mirror.bannedKey(address, prefixKeys, nowMs),
    matchAddress: (address, nowMs) => mirror.matchAddress(address, nowMs),
    stats,
    watch: (watcher) => mirror.watch(watcher),
    sharedStats: () => ({ pending: pending.length, pendingDropped, resyncs, pushedBack }),
  };
}
