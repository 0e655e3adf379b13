/**
 * What the dashboard shows, built from the live history and the running parts: the overview of every
 * site, and one site's detail (history for its charts, what the detector sees and why, its top keys
 * with ASN names, its signature rules with the operator's decisions, and challenge solve rates per rule).
 */
import type { DetectionStats } from '../../detection/detection-service.ts';
import type { SiteShield } from '../../runtime/site-shield.ts';
import type { ChallengeStats } from '../../telemetry/challenge-stats.ts';
import type { LiveHistory } from './live-history.ts';

/** Looks up the AS of an address (geo data), or null when unknown or not loaded. */
export type AsnLookup = (address: string) => { asn: number; org: string } | null;

/** What the views read. */
export interface ViewDeps {
  readonly sites: () => readonly string[];
  readonly history: LiveHistory;
  readonly detection: () => DetectionStats | null;
  readonly rules: (site: string) => unknown[];
  readonly challenge: (site: string) => ChallengeStats | null;
  readonly shield: (site: string) => SiteShield | undefined;
  readonly asn: AsnLookup;
  readonly now?: () => number;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + (Number.isFinite(b) ? b : 0), 0);
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The views. */
export interface DashboardViews {
  overview(): { time: string; sites: unknown[] };
  site(name: string, seconds?: number): unknown | null;
  /** The per-second part of a site's live frame (the newest sample and the detector's view). */
  siteFrame(name: string): unknown | null;
}

/** Creates the views. ASN names found for top addresses and prefixes are remembered (at most 4,096). */
export function createDashboardViews(d: ViewDeps): DashboardViews {
  const asnNames = new Map<number, string>();
  const now = d.now ?? Date.now;

  function learnAsn(address: string): void {
    const r = d.asn(address);
    if (r === null || asnNames.has(r.asn)) return;
    if (asnNames.size >= 4096) asnNames.delete(asnNames.keys().next().value!);
    asnNames.set(r.asn, r.org);
  }

  function overviewOf(site: string, det: DetectionStats | null) {
    const h = d.history.series(site, 60);
    const last10 = (col: Parameters<typeof sum>[0]) => (col.length === 0 ? 0 : sum(col.slice(-10)) / Math.min(10, col.length));
    const origins = d.shield(site)?.balancer.stats(now()) ?? [];
    const v = det?.sites[site];
    const latest = d.history.latest(site);
    const cleared = h ? sum(h.cleared) : 0;
    return {
      site,
      level: v?.level ?? (latest ? (['normal', 'elevated', 'under_attack'] as const)[latest.level] : 'normal'),
      auto_level: v?.auto_level ?? null,
      override: v?.override ?? null,
      warming_up: v?.warming_up ?? null,
      rps: h ? { total: round(last10(h.requests)), served: round(last10(h.served)), challenged: round(last10(h.challenged)), refused: round(last10(h.refused)), shed: round(last10(h.shed)), failed: round(last10(h.failed)) } : null,
      visitors_served: cleared > 0 ? round(sum(h!.cleared_served) / cleared, 4) : null,
      visitors_per_minute: cleared,
      origin: {
        in_flight: latest && Number.isFinite(latest.in_flight) ? latest.in_flight : null,
        limit: latest && Number.isFinite(latest.limit) ? latest.limit : null,
        queued: latest && Number.isFinite(latest.queued) ? latest.queued : null,
        healthy: origins.filter((o) => o.health === 'up' && o.breaker !== 'open').length,
        total: origins.length,
        p99_ms: latest && Number.isFinite(latest.p99_ms) ? latest.p99_ms : null,
      },
      incident: v?.incident?.id ?? null,
      now: latest ? { t: latest.t, requests: latest.requests, served: latest.served } : null,
    };
  }

  function topWithNames(top: Record<string, ReadonlyArray<{ key: string | number; rps: number; share: number }>>) {
    for (const e of [...(top.address ?? []), ...(top.prefix ?? [])]) learnAsn(String(e.key).split('/')[0]!);
    const named = (list: ReadonlyArray<{ key: string | number; rps: number; share: number }> | undefined) => list ?? [];
    return {
      ...top,
      asn: named(top.asn).map((e) => ({ ...e, name: asnNames.get(Number(e.key)) ?? null })),
      prefix: named(top.prefix).map((e) => {
        const r = d.asn(String(e.key).split('/')[0]!);
        return { ...e, asn: r?.asn ?? null, name: r?.org ?? null };
      }),
    };
  }

  function detectorView(site: string) {
    const v = d.detection()?.sites[site];
    if (v === undefined) return null;
    return { level: v.level, auto_level: v.auto_level, since_ms: v.since_ms, override: v.override, warming_up: v.warming_up, signals: v.signals, reasons: v.reasons, baseline: v.baseline, last_second: v.last_second, incident: v.incident };
  }

  return {
    overview() {
      const det = d.detection();
      return { time: new Date(now()).toISOString(), sites: d.sites().map((s) => overviewOf(s, det)) };
    },
    site(name, seconds = 900) {
      if (!d.sites().includes(name)) return null;
      const det = d.detection();
      return {
        overview: overviewOf(name, det),
        history: d.history.series(name, seconds),
        detector: detectorView(name),
        top: topWithNames((det?.sites[name]?.top ?? {}) as Record<string, ReadonlyArray<{ key: string | number; rps: number; share: number }>>),
        rules: d.rules(name),
        challenge_rules: d.challenge(name)?.snapshot() ?? {},
      };
    },
    siteFrame(name) {
      if (!d.sites().includes(name)) return null;
      const det = d.detection();
      return {
        sample: d.history.latest(name),
        detector: detectorView(name),
        top: topWithNames((det?.sites[name]?.top ?? {}) as Record<string, ReadonlyArray<{ key: string | number; rps: number; share: number }>>),
        rules: d.rules(name),
        challenge_rules: d.challenge(name)?.snapshot() ?? {},
      };
    },
  };
}
