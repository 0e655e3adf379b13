/**
 * Builds the dashboard over a running Bulwark: the functions it reads are taken from the composition
 * root's parts (recorder, shields, services, detection, config, reloads, geo data).
 */
import type { Config } from '../../config/schema.ts';
import type { AttachedDetection } from '../../detection/attach.ts';
import type { GeoData } from '../../runtime/geo-data.ts';
import type { SiteShield } from '../../runtime/site-shield.ts';
import type { AuditStore } from '../../stores/index.ts';
import type { ChallengeStats } from '../../telemetry/challenge-stats.ts';
import type { Recorder } from '../../telemetry/recorder.ts';
import type { ThreatLevel } from '../../core/vocabulary.ts';
import { rulesWithDecisions } from '../rule-routes.ts';
import { createDashboard, type Dashboard } from './dashboard.ts';
import type { SiteReading } from './live-history.ts';

/** The parts of a Bulwark the dashboard reads. */
export interface DashboardHost {
  readonly recorder: Pick<Recorder, 'stats'>;
  readonly config: () => Config;
  readonly generation: () => number;
  readonly file: string | null;
  readonly levelOf: (site: string) => ThreatLevel;
  readonly shield: (site: string) => SiteShield | undefined;
  readonly challenge: (site: string) => ChallengeStats;
  readonly detection: () => AttachedDetection | null;
  readonly geo: () => GeoData | null;
  readonly reloads: () => unknown;
  readonly audit: AuditStore;
  readonly onError?: (err: unknown) => void;
}

function reading(h: DashboardHost, site: string, nowMs: number): SiteReading {
  const snap = h.recorder.stats(site).snapshot(nowMs - 1000, 1).series[0]!;
  const shield = h.shield(site);
  const a = shield?.admission.stats();
  let issued = 0;
  let solved = 0;
  let failed = 0;
  for (const r of Object.values(h.challenge(site).snapshot())) {
    issued += r.issued;
    solved += r.solved;
    failed += r.failed;
  }
  return {
    second: { t: snap.t, outcomes: snap.outcomes, p50: snap.originP50Ms, p99: snap.originP99Ms, cleared: snap.cleared, clearedServed: snap.clearedServed },
    origin: a ? { inFlight: a.inflight, limit: a.limit, queued: a.queued[0] + a.queued[1] + a.queued[2] } : null,
    cache: shield ? { hits: shield.counters.hits, misses: shield.counters.misses, stale: shield.counters.staleServed } : null,
    challenges: { issued, solved, failed },
    level: h.levelOf(site),
  };
}

/** Creates the dashboard for a Bulwark (not started). */
export function attachDashboard(h: DashboardHost): Dashboard {
  const sites = () => h.config().sites.map((s) => s.name);
  const a = h.config().admin;
  return createDashboard({
    sites,
    reading: (site) => reading(h, site, Date.now()),
    detection: () => h.detection()?.service.stats() ?? null,
    rules: (site) => {
      const d = h.detection();
      return d === null ? [] : rulesWithDecisions({ activeRules: d.service.activeRules, decisions: d.ruleDecisions }, site, Date.now());
    },
    challenge: (site) => h.challenge(site),
    shield: h.shield,
    asn: (address) => {
      const g = h.geo()?.lookup(address);
      return g && g.asn !== null ? { asn: g.asn, org: g.asnOrg ?? '' } : null;
    },
    config: () => ({ config: h.config(), generation: h.generation(), file: h.file }),
    reloads: h.reloads,
    audit: h.audit,
    streams: { maxStreams: a.dashboard.max_streams, maxPerPrincipal: a.dashboard.max_streams_per_token },
    ...(h.onError ? { onError: h.onError } : {}),
  });
}
