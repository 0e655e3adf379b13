/**
 * What a serving process (a worker, or the only process of a node) exchanges over the bus, all of it off
 * the request path:
 * - rate limits: its journal every `limitsIntervalMs` out, other processes' journals in (limit-journal.ts);
 * - accepted challenge answers out and in (shared-replay.ts);
 * - a hint after each ban it makes (`bans`), on which every process re-reads the ban store at once — the
 *   way a ban reaches the other workers of a machine in milliseconds when the store is the SQLite file;
 * - its share of each site's traffic once a second (`contrib`, detection/contribution.ts), for the leader;
 * - the leaders' views in (`view`): each site's level and signature rules are applied here as they
 *   arrive, so a level raised by the leader protects this process within the bus delay;
 * - key rotations (`keys`): the signing keys are re-read.
 * Seed-bound messages (limits, shares) carry the shared secret's tag; mismatched ones are dropped.
 */
import type { LeaderView } from '../detection/coordination.ts';
import type { ContributionCollector, SiteContribution } from '../detection/contribution.ts';
import type { Services } from '../runtime/services.ts';
import type { Bus, BusMessage } from './bus.ts';
import { encodeContribution, type ContributionWire } from './contribution-codec.ts';
import type { JournaledTable } from './limit-journal.ts';

/** Options of {@link startProcessSync}. */
export interface ProcessSyncOptions {
  readonly bus: Bus;
  readonly services: Services;
  readonly table: JournaledTable;
  /** Tag of the shared secret (secret.ts). */
  readonly tag: string;
  readonly limitsIntervalMs: number;
  /** This process's traffic shares; null when detection is off. */
  readonly collector: ContributionCollector | null;
  /** Also hands this process's own shares to a local consumer (the node's detection service). */
  readonly onOwnContribution?: (c: SiteContribution) => void;
  /** The signing keys changed elsewhere: re-read them. */
  readonly onKeys?: () => void;
  readonly now?: () => number;
}

/** The running exchange. */
export interface ProcessSync {
  /** The latest view of each site's leader. */
  followed(site: string): LeaderView | undefined;
  /** Applies a view as if received (this process's own detection publishing while alone). */
  applyView(view: LeaderView): void;
  /** Tells the others that this process changed a ban. */
  banChanged(): void;
  /** Sends the journal now (tests; the timer does it otherwise). */
  flushLimits(): void;
  /** Sends the traffic shares of `second` now (the timer does it just after each second). */
  sendShares(second: number): void;
  stats(): { limits: ReturnType<JournaledTable['journalStats']>; replay_remembered: number; views: number; shares_sent: number };
  stop(): void;
}

/** Starts the exchange of one serving process. */
export function startProcessSync(options: ProcessSyncOptions): ProcessSync {
  const { bus, services, table, tag } = options;
  const now = options.now ?? Date.now;
  const views = new Map<string, LeaderView>();
  const offs: Array<() => void> = [];
  let sharesSent = 0;

  function applyView(v: LeaderView): void {
    const cur = views.get(v.site);
    if (cur !== undefined && cur.atMs > v.atMs) return;
    views.set(v.site, v);
    services.setLevel(v.site, v.level);
  }

  function flushLimits(): void {
    const d = table.take();
    if (d !== null) bus.publish({ t: 'limits', tag, d });
  }

  function sendShares(second: number): void {
    if (options.collector === null) return;
    for (const c of options.collector.take(second)) {
      options.onOwnContribution?.(c);
      bus.publish({ t: 'contrib', tag, c: encodeContribution(c) satisfies ContributionWire });
      sharesSent++;
    }
  }

  offs.push(
    bus.on('limits', (m: BusMessage) => {
      if (m.tag !== tag || !Array.isArray(m.d)) return bus.noteDropped();
      table.apply(m.d as number[], now());
    }),
    bus.on('replay', (m) => {
      if (typeof m.nonce === 'string' && typeof m.issuedAtMs === 'number') services.challenge.replay.remember(m.nonce, m.issuedAtMs, now());
    }),
    bus.on('bans', () => void services.stores.bans.sync().catch(() => bus.noteDropped())),
    bus.on('view', (m) => {
      const v = m.v as LeaderView | undefined;
      if (v !== undefined && typeof v.site === 'string' && typeof v.level === 'string') applyView(v);
    }),
    bus.on('keys', () => options.onKeys?.()),
  );
  services.challenge.replay.onAdmitted = (nonce, issuedAtMs) => bus.publish({ t: 'replay', nonce, issuedAtMs });

  const limitTimer = setInterval(flushLimits, options.limitsIntervalMs);
  limitTimer.unref();
  // Shares leave just after each second boundary, for the second that just ended.
  let shareTimer: NodeJS.Timeout | null = null;
  const scheduleShares = (): void => {
    const t = now();
    shareTimer = setTimeout(() => {
      sendShares(Math.floor(now() / 1000) - 1);
      scheduleShares();
    }, 1000 - (t % 1000) + 5);
    shareTimer.unref();
  };
  if (options.collector !== null) scheduleShares();

  return {
    followed: (site) => views.get(site),
    applyView,
    banChanged: () => bus.publish({ t: 'bans' }),
    flushLimits,
    sendShares,
    stats: () => ({ limits: table.journalStats(), replay_remembered: services.challenge.replay.remembered, views: views.size, shares_sent: sharesSent }),
    stop() {
      clearInterval(limitTimer);
      if (shareTimer !== null) clearTimeout(shareTimer);
      for (const off of offs) off();
      services.challenge.replay.onAdmitted = null;
      flushLimits();
    },
  };
}
