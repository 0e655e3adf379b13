/**
 * Drops in the kernel (config `kernel_drop`): banned and deny-listed prefixes mirrored into Bulwark's own
 * nftables table (nft-script.ts), so their packets are dropped before they reach user space — no accept,
 * no socket, no system call in Bulwark. The accept gate keeps deciding exactly as before; this is a copy
 * in front of it, never the only line.
 *
 * - Off the request path: ban changes arrive from the ban store's mirror (`watch`) into a map of pending
 *   operations (latest per key wins; bounded: beyond `maxPending` a full rebuild is scheduled instead),
 *   written in one `nft -f` batch at most every `flushEveryMs` (default 100 ms) from a timer.
 * - Each ban's element expires in the kernel with the ban (`timeout`), so a missed unban message costs
 *   at most the ban's remaining time there — and the gate still lets the client in once it ends.
 * - Owns only its table: at start a table of the same name owned by another live process (its comment
 *   holds the owner's pid) is left alone and kernel drops stay off; one left by a dead process is
 *   replaced. `stop()` deletes the table.
 * - Without CAP_NET_ADMIN (or without the nft binary): `auto` says so once and carries on in user space;
 *   `on` refuses to start. A failed batch is reported once per message and answered by a full rebuild.
 */
import { parseCidr } from '../../core/net/ip.ts';
import { createCidrTrie } from '../../core/net/cidr-trie.ts';
import type { IpLists } from '../../core/net/ip-list.ts';
import type { BanMirrorEvent, BanStore } from '../../stores/index.ts';
import { BulwarkError } from '../../core/errors.ts';
import { addBanLine, banElement, banSetName, banSetScript, createTableScript, removeBanLines, replaceSetScript, timeoutOf } from './nft-script.ts';
import { createNftExec, droppedPackets, isPermissionDenied, tableOwner, type NftExec, type NftResult } from './nft-runner.ts';

/** What the mirror logs through. */
export interface KernelDropLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of {@link createKernelDrop}. */
export interface KernelDropOptions {
  readonly mode: 'auto' | 'on';
  readonly table: string;
  readonly logger: KernelDropLogger;
  /** Runs nft (tests inject one). Default: the `nft` binary. */
  readonly exec?: NftExec;
  readonly now?: () => number;
  /** Batches are written at most this often. Default 100 ms. */
  readonly flushEveryMs?: number;
  /** Pending ban operations kept before falling back to a full rebuild. Default 100,000. */
  readonly maxPending?: number;
}

/** `/stats` of the mirror. */
export interface KernelDropStats {
  readonly mode: 'auto' | 'on';
  readonly active: boolean;
  /** Why it is not active (no capability, nft missing, table owned by another process), or null. */
  readonly inactive_reason: string | null;
  readonly table: string;
  readonly ports: readonly number[];
  /** Elements in the kernel sets: bans (expiring), deny-list prefixes, allow-list prefixes (accepted). */
  readonly bans: number;
  readonly deny: number;
  readonly allow: number;
  /** Deny entries left to the accept gate because an allow entry contains them. */
  readonly deny_left_to_gate: number;
  readonly pending: number;
  readonly batches: number;
  readonly rebuilds: number;
  readonly errors: number;
  readonly last_error: string | null;
  /** Packets the drop rules matched (read every few seconds). */
  readonly dropped_packets: number;
}

/** The mirror. */
export interface KernelDrop {
  /** Creates the table; false when kernel drops are unavailable (`auto`), throws in `on` mode. */
  start(): Promise<boolean>;
  /** The listeners' ports (nothing else is ever filtered). */
  setPorts(ports: readonly number[]): void;
  /** The allow and deny lists of the current config generation, and the trusted proxies (always accepted). */
  setLists(lists: IpLists, trustedProxies: readonly string[]): void;
  /** Follows a ban store (replacing the one followed before). */
  followBans(store: BanStore): void;
  /** Writes what is pending now (tests; the timer does it otherwise). */
  flush(): Promise<void>;
  stats(): KernelDropStats;
  /** Stops following and deletes the table. */
  stop(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** Splits list entries into what the kernel sets take (see nft-script.ts on allow-contained deny entries). */
function listElements(lists: IpLists, trustedProxies: readonly string[]): { allow4: string[]; allow6: string[]; deny4: string[]; deny6: string[]; leftToGate: number } {
  const out = { allow4: [] as string[], allow6: [] as string[], deny4: [] as string[], deny6: [] as string[], leftToGate: 0 };
  const allowTrie = createCidrTrie();
  const allowBits: number[] = [];
  const allows = [...lists.entries().filter((e) => e.kind === 'allow').map((e) => e.cidr), ...trustedProxies];
  for (const text of allows) {
    const c = parseCidr(text);
    if (c === null) continue;
    allowTrie.insert(c, allowBits.length);
    allowBits.push(c.bits);
    (c.family === 4 ? out.allow4 : out.allow6).push(c.text);
  }
  for (const e of lists.entries()) {
    if (e.kind !== 'deny') continue;
    const c = parseCidr(e.cidr);
    if (c === null) continue;
    const a = c.family === 4 ? allowTrie.lookupV4(c.v4) : allowTrie.lookupV6(c.v6);
    if (a >= 0 && allowBits[a]! <= c.bits) {
      out.leftToGate++;
      continue;
    }
    (c.family === 4 ? out.deny4 : out.deny6).push(c.text);
  }
  return out;
}

/** Creates the mirror (nothing happens until `start()`). */
export function createKernelDrop(options: KernelDropOptions): KernelDrop {
  const { table, logger } = options;
  const exec = options.exec ?? createNftExec();
  const now = options.now ?? Date.now;
  const maxPending = options.maxPending ?? 100_000;
  /** What the kernel should hold: ban key → end. */
  const tracked = new Map<string, number>();
  /** Ban operations not written yet: key → end, or null for a removal. */
  const pending = new Map<string, number | null>();
  const banSets = new Set<string>();
  const reported = new Set<string>();
  let active = false;
  let inactiveReason: string | null = 'not started';
  let ports: number[] = [];
  let portsDirty = false;
  /** The lists' part of a full write, and whether it changed since the last batch. */
  let listsScript = '';
  let listsDirty = false;
  let counts = { deny: 0, allow: 0, leftToGate: 0 };
  let rebuild = false;
  let unwatch: (() => void) | null = null;
  let timer: NodeJS.Timeout | null = null;
  let counterTimer: NodeJS.Timeout | null = null;
  let flushing: Promise<void> | null = null;
  const s = { batches: 0, rebuilds: 0, errors: 0, lastError: null as string | null, dropped: 0 };

  function report(r: NftResult, what: string): void {
    s.errors++;
    s.lastError = (r.spawnError ?? r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`).slice(0, 300);
    if (reported.has(s.lastError)) return;
    reported.add(s.lastError);
    logger.error({ code: 'BULWARK_ERR_KERNEL_DROP', what, stderr: s.lastError }, `kernel drops: ${what} failed (reported once per message); rebuilding the table`);
  }

  function onBan(e: BanMirrorEvent): void {
    if (e.kind === 'clear') {
      tracked.clear();
      pending.clear();
      rebuild = true;
      return;
    }
    if (e.kind === 'set') {
      if (e.untilMs <= now()) return;
      tracked.set(e.key, e.untilMs);
      pending.set(e.key, e.untilMs);
    } else {
      tracked.delete(e.key);
      // An ended ban leaves the kernel by its own timeout; only a ban lifted early needs a removal.
      if (e.untilMs > now()) pending.set(e.key, null);
      else pending.delete(e.key);
    }
    if (pending.size > maxPending) {
      pending.clear();
      rebuild = true;
    }
  }

  function banLines(key: string, untilMs: number | null, nowMs: number): string {
    const el = banElement(key);
    if (el === null) return '';
    const set = banSetName(el.family, el.bits);
    let out = '';
    if (!banSets.has(set)) {
      if (untilMs === null) return '';
      banSets.add(set);
      out += banSetScript(table, el.family, el.bits);
    }
    return out + (untilMs === null ? removeBanLines(table, set, el.address) : addBanLine(table, set, el.address, timeoutOf(untilMs, nowMs)));
  }

  async function createTable(): Promise<NftResult> {
    await exec(['delete', 'table', 'inet', table]);
    banSets.clear();
    return exec([], createTableScript(table, `bulwark pid ${process.pid}`));
  }

  /** Recreates the table from what it should hold. */
  async function doRebuild(): Promise<void> {
    s.rebuilds++;
    rebuild = false;
    pending.clear();
    const r = await createTable();
    if (!r.ok) return report(r, 'creating the table');
    const nowMs = now();
    let script = replaceSetScript(table, 'ports', ports.map(String)) + listsScript;
    listsDirty = false;
    portsDirty = false;
    for (const [key, end] of tracked) if (end > nowMs) script += banLines(key, end, nowMs);
    const w = await exec([], script);
    if (!w.ok) report(w, 'writing the sets');
  }

  async function flushOnce(): Promise<void> {
    if (!active) return;
    if (rebuild) return doRebuild();
    const nowMs = now();
    let script = '';
    if (portsDirty) script += replaceSetScript(table, 'ports', ports.map(String));
    if (listsDirty) script += listsScript;
    for (const [key, end] of pending) script += banLines(key, end, nowMs);
    if (script === '') return;
    portsDirty = false;
    listsDirty = false;
    const batch = pending.size;
    pending.clear();
    s.batches++;
    const r = await exec([], script);
    if (!r.ok) {
      report(r, `a batch of ${batch} ban changes`);
      rebuild = true;
    }
  }

  function flush(): Promise<void> {
    if (flushing !== null) return flushing;
    flushing = flushOnce().finally(() => void (flushing = null));
    return flushing;
  }

  async function readCounters(): Promise<void> {
    const nowMs = now();
    for (const [key, end] of tracked) if (end <= nowMs) tracked.delete(key);
    const r = await exec(['-j', 'list', 'table', 'inet', table]);
    if (r.ok) s.dropped = droppedPackets(r.stdout);
  }

  function unavailable(reason: string): boolean {
    inactiveReason = reason;
    if (options.mode === 'on') throw new BulwarkError('BULWARK_ERR_KERNEL_DROP_UNAVAILABLE', `kernel_drop is on but ${reason}`, { source: 'config' });
    logger.warn({ code: 'BULWARK_WARN_KERNEL_DROP_OFF', reason }, `kernel drops unavailable (${reason}): bans and deny lists are dropped at accept, in user space`);
    return false;
  }

  return {
    async start() {
      const existing = await exec(['-j', 'list', 'table', 'inet', table]);
      if (existing.spawnError !== undefined) return unavailable(`the nft command could not run (${existing.spawnError}; Debian: apt-get install nftables)`);
      if (isPermissionDenied(existing)) return unavailable('Bulwark lacks CAP_NET_ADMIN');
      if (existing.ok) {
        const owner = tableOwner(existing.stdout);
        if (owner !== null && owner !== process.pid && isAlive(owner)) return unavailable(`table inet ${table} belongs to the running process ${owner}`);
        if (owner === null) return unavailable(`table inet ${table} exists and was not made by Bulwark; choose another kernel_drop.table`);
      }
      const r = await createTable();
      if (!r.ok) return unavailable(isPermissionDenied(r) ? 'Bulwark lacks CAP_NET_ADMIN' : `nft refused the table: ${r.stderr.trim().split('\n')[0]}`);
      active = true;
      inactiveReason = null;
      portsDirty = true;
      timer = setInterval(() => void flush(), options.flushEveryMs ?? 100);
      timer.unref();
      counterTimer = setInterval(() => void readCounters(), 5000);
      counterTimer.unref();
      logger.info({ table: `inet ${table}` }, 'kernel drops on: bans and deny lists are mirrored into nftables');
      return true;
    },
    setPorts(next) {
      ports = [...new Set(next)].filter((p) => p > 0).sort((a, b) => a - b);
      portsDirty = true;
    },
    setLists(lists, trustedProxies) {
      const el = listElements(lists, trustedProxies);
      counts = { deny: el.deny4.length + el.deny6.length, allow: el.allow4.length + el.allow6.length, leftToGate: el.leftToGate };
      listsScript = replaceSetScript(table, 'allow4', el.allow4) + replaceSetScript(table, 'allow6', el.allow6) + replaceSetScript(table, 'deny4', el.deny4) + replaceSetScript(table, 'deny6', el.deny6);
      listsDirty = true;
    },
    followBans(store) {
      unwatch?.();
      tracked.clear();
      pending.clear();
      rebuild = active;
      unwatch = store.watch?.(onBan) ?? null;
    },
    flush,
    stats: () => ({
      mode: options.mode,
      active,
      inactive_reason: inactiveReason,
      table: `inet ${table}`,
      ports,
      bans: tracked.size,
      deny: counts.deny,
      allow: counts.allow,
      deny_left_to_gate: counts.leftToGate,
      pending: pending.size,
      batches: s.batches,
      rebuilds: s.rebuilds,
      errors: s.errors,
      last_error: s.lastError,
      dropped_packets: s.dropped,
    }),
    async stop() {
      unwatch?.();
      unwatch = null;
      if (timer !== null) clearInterval(timer);
      if (counterTimer !== null) clearInterval(counterTimer);
      await flushing?.catch(() => {});
      if (!active) return;
      active = false;
      inactiveReason = 'stopped';
      await exec(['delete', 'table', 'inet', table]);
    },
  };
}
