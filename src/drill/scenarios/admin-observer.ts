/**
 * Watches a Bulwark's admin `GET /stats` during a drill (once a second, 2 s deadline per poll) for one
 * site: its outcome totals at the start and now (across a restart, whose counters start from zero), its per-second outcome series (merged across polls, at
 * most {@link MAX_SECONDS} seconds kept), its threat level changes, the peak of requests in flight toward
 * the origin (`shield.admission.in_flight`), and its last `challenge` block. Other engineers are still
 * adding to /stats, so every field is read defensively: a missing one is simply not reported.
 */

import type { RatePoint } from '../stats.ts';
import { adminHeaders } from '../admin-credentials.ts';

/** Seconds of per-second series kept (oldest dropped beyond). */
export const MAX_SECONDS = 3600;

interface SiteStats {
  readonly site?: string;
  readonly level?: string;
  readonly totals?: { readonly outcomes?: Record<string, number> };
  readonly series?: ReadonlyArray<{ readonly t?: number; readonly outcomes?: Record<string, number> }>;
  readonly shield?: { readonly admission?: { readonly in_flight?: number; readonly inflight?: number } } | null;
  readonly challenge?: unknown;
}

/** What the observer saw. */
export interface AdminObservation {
  /** Whether /stats answered at least once. */
  readonly available: boolean;
  /** Outcome counts between the first and the last poll. */
  readonly outcomes: Record<string, number> | null;
  /** Level changes, as unix milliseconds of the poll that saw them. */
  readonly levels: ReadonlyArray<{ readonly atMs: number; readonly level: string }>;
  /** Highest `in_flight` toward the origin seen by a poll (a 1 Hz sample: a lower bound of the true peak). */
  readonly peakInFlight: number | null;
  /** Per unix second, the site's outcome counts. */
  readonly perSecond: ReadonlyMap<number, Readonly<Record<string, number>>>;
  readonly challenge: unknown;
  /** `process.rss_bytes` of the last poll, MiB. */
  readonly rssMb: number | null;
  /** Open client connections at each poll (all sites; at most {@link MAX_SECONDS} samples). */
  readonly openConnections: ReadonlyArray<{ readonly atMs: number; readonly open: number }>;
  /** Connections dropped at accept between the first and the last poll (bans, deny lists, per-client caps). */
  readonly droppedAtAccept: number | null;
}

/** A running observer. */
export interface AdminObserver {
  /** Polls now and returns the site's outcome totals (undefined when /stats does not answer). */
  outcomesNow(): Promise<Record<string, number> | undefined>;
  /** Stops polling after one last poll, and returns what was seen. */
  stop(): Promise<AdminObservation>;
  /** What was seen so far. */
  observation(): AdminObservation;
}

/** One /stats answer, reduced to what the drill reads. */
export interface FetchedStats {
  readonly site: SiteStats;
  readonly rssMb: number | null;
  /** Open client connections and connections dropped at accept (all sites), when /stats has them. */
  readonly connections: { readonly open: number; readonly droppedTotal: number | null } | null;
}

/** Fetches `<adminUrl>/stats` and returns the entry of `site` (or the first routed site when undefined). */
export async function fetchSiteStats(adminUrl: string, site?: string): Promise<FetchedStats | undefined> {
  try {
    const res = await fetch(`${adminUrl}/stats`, { headers: adminHeaders(adminUrl), signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return void (await res.arrayBuffer());
    const body = (await res.json()) as { sites?: SiteStats[]; process?: { rss_bytes?: number }; connections?: { open?: number; droppedTotal?: number } };
    const sites = Array.isArray(body.sites) ? body.sites : [];
    const found = sites.find((s) => (site === undefined ? s.site !== '_unrouted' : s.site === site));
    const rss = body.process?.rss_bytes;
    const c = body.connections;
    const connections = typeof c?.open === 'number' ? { open: c.open, droppedTotal: typeof c.droppedTotal === 'number' ? c.droppedTotal : null } : null;
    return found ? { site: found, rssMb: typeof rss === 'number' ? rss / 1024 / 1024 : null, connections } : undefined;
  } catch {
    return undefined;
  }
}

/** Starts polling `<adminUrl>/stats` every `intervalMs` (default 1000) for `site`. */
export function observeAdmin(adminUrl: string, site?: string, intervalMs = 1000): AdminObserver {
  let first: Record<string, number> | undefined;
  let last: Record<string, number> | undefined;
  let carried: Record<string, number> = {};
  const levels: Array<{ atMs: number; level: string }> = [];
  const perSecond = new Map<number, Record<string, number>>();
  let peakInFlight: number | null = null;
  let challenge: unknown;
  let rssMb: number | null = null;
  const openConnections: Array<{ atMs: number; open: number }> = [];
  let droppedFirst: number | null = null;
  let droppedLast: number | null = null;

  async function poll(): Promise<Record<string, number> | undefined> {
    const got = await fetchSiteStats(adminUrl, site);
    if (got === undefined) return undefined;
    const s = got.site;
    rssMb = got.rssMb ?? rssMb;
    if (got.connections) {
      openConnections.push({ atMs: Date.now(), open: got.connections.open });
      if (openConnections.length > MAX_SECONDS) openConnections.shift();
      if (got.connections.droppedTotal !== null) {
        droppedFirst ??= got.connections.droppedTotal;
        droppedLast = got.connections.droppedTotal;
      }
    }
    const totals = s.totals?.outcomes;
    if (totals) {
      first ??= { ...totals };
      // A restarted Bulwark (`--restart`) counts from zero again: what the old process counted is kept.
      if (last !== undefined && Object.entries(last).some(([k, v]) => (totals[k] ?? 0) < v)) carried = sum(carried, last);
      last = { ...totals };
    }
    if (typeof s.level === 'string' && levels.at(-1)?.level !== s.level) levels.push({ atMs: Date.now(), level: s.level });
    const inFlight = s.shield?.admission?.in_flight ?? s.shield?.admission?.inflight;
    if (typeof inFlight === 'number') peakInFlight = Math.max(peakInFlight ?? 0, inFlight);
    for (const p of s.series ?? []) if (typeof p.t === 'number' && p.outcomes) perSecond.set(p.t, { ...p.outcomes });
    while (perSecond.size > MAX_SECONDS) perSecond.delete(perSecond.keys().next().value as number);
    if (s.challenge !== undefined) challenge = s.challenge;
    return totals;
  }

  let busy: Promise<unknown> = poll();
  const timer = setInterval(() => {
    busy = busy.then(poll, poll);
  }, intervalMs);
  timer.unref();

  const observation = (): AdminObservation => ({
    available: first !== undefined,
    outcomes: first && last ? diff(first, sum(carried, last)) : null,
    levels: [...levels],
    peakInFlight,
    perSecond: new Map(perSecond),
    challenge,
    rssMb,
    openConnections: [...openConnections],
    droppedAtAccept: droppedFirst === null || droppedLast === null ? null : droppedLast - droppedFirst,
  });

  return {
    async outcomesNow() {
      await busy.catch(() => undefined);
      const p = poll();
      busy = p;
      return p;
    },
    async stop() {
      clearInterval(timer);
      await busy.catch(() => undefined);
      await poll();
      return observation();
    },
    observation,
  };
}

function sum(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function diff(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(b)) out[k] = v - (a[k] ?? 0);
  return out;
}

/** Requests Bulwark forwarded per second (attack and visitors together), from its polled /stats series. */
export function forwardedSeries(o: AdminObservation): RatePoint[] {
  return [...o.perSecond.entries()].sort((x, y) => x[0] - y[0]).map(([second, out]) => ({ second, count: out.forwarded ?? 0 }));
}
