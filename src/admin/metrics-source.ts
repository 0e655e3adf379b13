/**
 * What `/metrics` reads, gathered from the running parts at scrape time: per-site stats (recorder),
 * shields (origin admission, balancer, cache), challenge statistics, the detector's view, bans, the
 * rate-limit table, the accept gate and the admin plane itself. The composition root hands the parts in
 * as functions, so this file knows their shapes but not how they are built.
 */
import type { DetectionStats } from '../detection/detection-service.ts';
import type { SiteShield } from '../runtime/site-shield.ts';
import type { ChallengeStats } from '../telemetry/challenge-stats.ts';
import type { GlobalMetrics, MetricsSource, SiteMetrics } from '../telemetry/metrics.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import type { ThreatLevel } from '../core/vocabulary.ts';

/** The running parts (functions, read at every scrape). */
export interface MetricsSourceDeps {
  readonly recorder: Pick<Recorder, 'allStats'>;
  /** Configured site names (the unrouted pseudo-site is reported too, without shield or challenge figures). */
  readonly sites: () => readonly string[];
  readonly levelOf: (site: string) => ThreatLevel;
  readonly shield: (site: string) => SiteShield | undefined;
  readonly challenge: (site: string) => ChallengeStats | null;
  readonly detection: () => DetectionStats | null;
  readonly bans: () => { readonly mirrored: number; readonly cap: number; readonly refusedFull: number };
  readonly limiter: () => { readonly size: number; readonly capacity: number; readonly evictions: number; readonly fallbacks: number };
  readonly connections: () => { readonly open: number; readonly droppedTotal: number };
  readonly admin: () => Promise<GlobalMetrics['admin']>;
  readonly now?: () => number;
}

function siteMetrics(d: MetricsSourceDeps, site: string, snapshot: ReturnType<ReturnType<Recorder['allStats']>[number]['snapshot']>, latency: SiteMetrics['latency'], detection: DetectionStats | null, configured: boolean): SiteMetrics {
  const nowMs = (d.now ?? Date.now)();
  const shield = configured ? d.shield(site) : undefined;
  const a = shield?.admission.stats();
  const store = shield?.store.stats();
  const ch = configured ? d.challenge(site)?.snapshot() : undefined;
  const det = detection?.sites[site];
  const challenges = ch === undefined ? null : Object.values(ch).reduce(
    (acc, r) => {
      acc.issued += r.issued;
      acc.solved += r.solved;
      for (const [k, v] of Object.entries(r.failures)) acc.failures[k] = (acc.failures[k] ?? 0) + v;
      return acc;
    },
    { issued: 0, solved: 0, failures: {} as Record<string, number> },
  );
  return {
    site,
    outcomes: snapshot.totals.outcomes,
    status: snapshot.totals.status,
    bytesIn: snapshot.totals.bytesIn,
    bytesOut: snapshot.totals.bytesOut,
    latency,
    cleared: snapshot.totals.cleared,
    clearedServed: snapshot.totals.clearedServed,
    openConnections: snapshot.openConnections,
    level: d.levelOf(site),
    origin: a ? { inFlight: a.inflight, limit: a.limit, queued: a.queued, shed: shield!.counters.shed } : null,
    origins: shield ? shield.balancer.stats(nowMs).map((o) => ({ id: o.id, up: o.health === 'up', breakerOpen: o.breaker === 'open' })) : [],
    cache: shield && store ? { hits: shield.counters.hits, misses: shield.counters.misses, stale: shield.counters.staleServed, entries: store.entries, bytes: store.bytes } : null,
    challenges,
    rules: det ? { apply: det.active_rules.filter((r) => r.mode === 'apply').length, logOnly: det.active_rules.filter((r) => r.mode !== 'apply').length } : null,
    incidentOpen: det ? det.incident !== null : null,
    heavyHitters: det ? { entries: det.aggregates.heavy_entries, capacity: det.aggregates.heavy_capacity } : null,
  };
}

/** Builds the source `createMetrics` reads. */
export function createMetricsSource(d: MetricsSourceDeps): MetricsSource {
  return {
    sites() {
      const nowMs = (d.now ?? Date.now)();
      const configured = new Set(d.sites());
      const detection = d.detection();
      return d.recorder.allStats().map((s) => siteMetrics(d, s.site, s.snapshot(nowMs, 1), s.latencyTotals(), detection, configured.has(s.site)));
    },
    async global() {
      const b = d.bans();
      const l = d.limiter();
      return {
        bans: { active: b.mirrored, capacity: b.cap, refusedFull: b.refusedFull },
        limiter: { entries: l.size, capacity: l.capacity, evictions: l.evictions, fallbacks: l.fallbacks },
        connections: d.connections(),
        admin: await d.admin(),
      };
    },
  };
}
