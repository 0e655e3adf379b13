/**
 * Prometheus `/metrics` (text format 0.0.4, https://prometheus.io/docs/instrumenting/exposition_formats/)
 * through prom-client. Nothing is counted on the request path for it: every value is read at scrape time
 * from the aggregates Bulwark keeps anyway (per-site stats, shields, challenge stats, detection, stores),
 * which the composition root hands in as a {@link MetricsSource}. So a scrape costs a walk over the
 * sites, and an idle Prometheus costs nothing.
 *
 * Names follow Prometheus conventions (`bulwark_` prefix, base units: seconds and bytes, `_total` on
 * counters). Cardinality is bounded by the config: labels are sites, origins, outcomes, status classes,
 * challenge results and failure reasons (fixed sets), never client addresses, paths or user agents.
 * Process metrics and event-loop delay come from prom-client's default collectors.
 *
 * prom-client is loaded, and the registry with its default collectors (an event-loop delay monitor that
 * wakes every 20 ms) built, on the first scrape: a Bulwark nobody scrapes never pays their memory and
 * wake-ups. Cumulative figures (CPU, bytes, requests) are whole from the first scrape; the event-loop
 * delay and GC histograms cover the time since it (the first scrape waits 60 ms for a delay sample).
 */
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';
import { OUTCOMES, THREAT_LEVELS, type Outcome, type ThreatLevel } from '../core/vocabulary.ts';
import { bucketUpperMs, LATENCY_BUCKETS } from './latency-histogram.ts';

/** One site's figures at scrape time. */
export interface SiteMetrics {
  readonly site: string;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly status: Readonly<Record<'none' | '1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>>;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Cumulative origin latency counts per bucket of latency-histogram.ts, and their sum in ms. */
  readonly latency: { readonly buckets: ArrayLike<number>; readonly sumMs: number };
  readonly cleared: number;
  readonly clearedServed: number;
  readonly openConnections: number;
  readonly level: ThreatLevel;
  readonly origin: { readonly inFlight: number; readonly limit: number; readonly queued: readonly number[]; readonly shed: number } | null;
  readonly origins: ReadonlyArray<{ readonly id: string; readonly up: boolean; readonly breakerOpen: boolean }>;
  readonly cache: { readonly hits: number; readonly misses: number; readonly stale: number; readonly entries: number; readonly bytes: number } | null;
  readonly challenges: { readonly issued: number; readonly solved: number; readonly failures: Readonly<Record<string, number>> } | null;
  readonly rules: { readonly apply: number; readonly logOnly: number } | null;
  readonly incidentOpen: boolean | null;
  readonly heavyHitters: { readonly entries: number; readonly capacity: number } | null;
}

/** Process-wide figures at scrape time. */
export interface GlobalMetrics {
  readonly bans: { readonly active: number; readonly capacity: number; readonly refusedFull: number };
  readonly limiter: { readonly entries: number; readonly capacity: number; readonly evictions: number; readonly fallbacks: number };
  readonly connections: { readonly open: number; readonly droppedTotal: number } | null;
  readonly admin: { readonly streams: number; readonly streamCapacity: number; readonly sessions: number; readonly loginFailuresTracked: number; readonly auditRows: number } | null;
}

/** Where the figures come from (the composition root builds it). */
export interface MetricsSource {
  sites(): readonly SiteMetrics[];
  global(): Promise<GlobalMetrics> | GlobalMetrics;
}

/** The exposition. */
export interface Metrics {
  /** The text to answer `/metrics` with. */
  text(): Promise<string>;
  readonly contentType: string;
}

/** How often prom-client's event-loop delay monitor samples, in ms. */
const EVENT_LOOP_PRECISION_MS = 20;

/** The Prometheus text format's content type (prom-client's `Registry.PROMETHEUS_CONTENT_TYPE`). */
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

type Labels = Record<string, string | number>;
interface Sample {
  readonly labels?: Labels;
  readonly value: number;
  readonly metricName?: string;
}

const LEVEL_VALUE: Record<ThreatLevel, number> = { normal: 0, elevated: 1, under_attack: 2 };

/**
 * Histogram buckets in seconds: every other bucket bound of the latency histogram (√2 steps → 2×
 * steps, 1 ms to ~11 min), so 20 series a site instead of 40. Cumulative counts are exact at each bound.
 */
const LE_INDEXES = Array.from({ length: LATENCY_BUCKETS }, (_, i) => i).filter((i) => i % 2 === 1 && i < LATENCY_BUCKETS - 1);

function histogram(name: string, site: string, buckets: ArrayLike<number>, sumMs: number): Sample[] {
  const out: Sample[] = [];
  let cumulative = 0;
  let next = 0;
  for (const i of LE_INDEXES) {
    for (; next <= i; next++) cumulative += buckets[next] ?? 0;
    out.push({ metricName: `${name}_bucket`, labels: { site, le: String(bucketUpperMs(i) / 1000) }, value: cumulative });
  }
  for (; next < LATENCY_BUCKETS; next++) cumulative += buckets[next] ?? 0;
  out.push({ metricName: `${name}_bucket`, labels: { site, le: '+Inf' }, value: cumulative });
  out.push({ metricName: `${name}_sum`, labels: { site }, value: sumMs / 1000 });
  out.push({ metricName: `${name}_count`, labels: { site }, value: cumulative });
  return out;
}

/** The exposition over a source (see the module comment); the registry is built on the first scrape. */
export function createMetrics(source: MetricsSource): Metrics {
  const now: FiguresNow = { sites: [], global: null };
  let registry: Registry | null = null;
  return {
    contentType: CONTENT_TYPE,
    async text() {
      if (registry === null) {
        registry = createRegistry(now);
        // The event-loop delay monitor needs a sample before its first report (NaN otherwise).
        await new Promise((resolve) => setTimeout(resolve, EVENT_LOOP_PRECISION_MS * 3));
      }
      const global = await source.global();
      // Every family reads these synchronously when metrics() starts, so concurrent scrapes stay consistent.
      now.sites = source.sites();
      now.global = global;
      return registry.metrics();
    },
  };
}

/** The figures of the scrape in progress (set before the registry reads them). */
interface FiguresNow {
  sites: readonly SiteMetrics[];
  global: GlobalMetrics | null;
}

/** The registry: prom-client's default collectors and Bulwark's families, reading `now`. */
function createRegistry(now: FiguresNow): Registry {
  const { Registry: RegistryClass, collectDefaultMetrics } = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  const registry = new RegistryClass();
  collectDefaultMetrics({ register: registry, prefix: 'bulwark_', eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });

  const family = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string, samples: () => Sample[]) => {
    registry.registerMetric({
      name,
      help,
      type,
      get: () => ({ name, help, type, values: samples(), aggregator: 'sum' }),
    } as unknown as Parameters<Registry['registerMetric']>[0]);
  };
  const perSite = (pick: (s: SiteMetrics) => Sample[]) => () => now.sites.flatMap(pick);
  const g = () => now.global!;

  family('bulwark_requests_total', 'counter', 'Requests per site by how they ended (outcome: forwarded, cached, challenged, limited, shed, ...).', perSite((s) => OUTCOMES.map((o) => ({ labels: { site: s.site, outcome: o }, value: s.outcomes[o] }))));
  family('bulwark_responses_total', 'counter', 'Responses per site by status class (none: the socket was dropped without an answer).', perSite((s) => Object.entries(s.status).map(([c, v]) => ({ labels: { site: s.site, status_class: c }, value: v }))));
  family('bulwark_visitor_requests_total', 'counter', 'Requests from cleared visitors (a valid clearance cookie).', perSite((s) => [{ labels: { site: s.site }, value: s.cleared }]));
  family('bulwark_visitor_served_total', 'counter', 'Requests from cleared visitors answered by the origin or the cache with a status below 500.', perSite((s) => [{ labels: { site: s.site }, value: s.clearedServed }]));
  family('bulwark_received_bytes_total', 'counter', 'Request bytes received from clients.', perSite((s) => [{ labels: { site: s.site }, value: s.bytesIn }]));
  family('bulwark_sent_bytes_total', 'counter', 'Response bytes sent to clients.', perSite((s) => [{ labels: { site: s.site }, value: s.bytesOut }]));
  family('bulwark_origin_latency_seconds', 'histogram', 'Time from sending a request to the origin until its response head.', perSite((s) => histogram('bulwark_origin_latency_seconds', s.site, s.latency.buckets, s.latency.sumMs)));
  family('bulwark_origin_in_flight', 'gauge', 'Requests at the origin now.', perSite((s) => (s.origin ? [{ labels: { site: s.site }, value: s.origin.inFlight }] : [])));
  family('bulwark_origin_admission_limit', 'gauge', 'The adaptive concurrency limit toward the origin.', perSite((s) => (s.origin ? [{ labels: { site: s.site }, value: s.origin.limit }] : [])));
  family('bulwark_origin_queued', 'gauge', 'Requests waiting for an origin slot, by priority (0 cleared, 1 returning, 2 unknown, 3 suspicious).', perSite((s) => (s.origin ? s.origin.queued.map((n, i) => ({ labels: { site: s.site, priority: i }, value: n })) : [])));
  family('bulwark_origin_shed_total', 'counter', 'Requests refused to protect the origin (503 high demand).', perSite((s) => (s.origin ? [{ labels: { site: s.site }, value: s.origin.shed }] : [])));
  family('bulwark_origin_up', 'gauge', 'Whether an origin is healthy (1) or not (0).', perSite((s) => s.origins.map((o) => ({ labels: { site: s.site, origin: o.id }, value: o.up ? 1 : 0 }))));
  family('bulwark_origin_breaker_open', 'gauge', 'Whether the circuit breaker of an origin is open (1).', perSite((s) => s.origins.map((o) => ({ labels: { site: s.site, origin: o.id }, value: o.breakerOpen ? 1 : 0 }))));
  family('bulwark_cache_requests_total', 'counter', 'Micro-cache lookups by result.', perSite((s) => (s.cache ? [['hit', s.cache.hits], ['miss', s.cache.misses], ['stale', s.cache.stale]].map(([r, v]) => ({ labels: { site: s.site, result: r as string }, value: v as number })) : [])));
  family('bulwark_cache_entries', 'gauge', 'Responses held in the micro-cache.', perSite((s) => (s.cache ? [{ labels: { site: s.site }, value: s.cache.entries }] : [])));
  family('bulwark_cache_bytes', 'gauge', 'Bytes held in the micro-cache.', perSite((s) => (s.cache ? [{ labels: { site: s.site }, value: s.cache.bytes }] : [])));
  family('bulwark_challenges_total', 'counter', 'Challenges issued and solved.', perSite((s) => (s.challenges ? [{ labels: { site: s.site, result: 'issued' }, value: s.challenges.issued }, { labels: { site: s.site, result: 'solved' }, value: s.challenges.solved }] : [])));
  family('bulwark_challenge_failures_total', 'counter', 'Challenge answers refused, by reason.', perSite((s) => (s.challenges ? Object.entries(s.challenges.failures).map(([r, v]) => ({ labels: { site: s.site, reason: r }, value: v })) : [])));
  family('bulwark_threat_level', 'gauge', 'The threat level of a site: 0 normal, 1 elevated, 2 under_attack.', perSite((s) => [{ labels: { site: s.site }, value: LEVEL_VALUE[s.level] }]));
  family('bulwark_signature_rules', 'gauge', 'Active signature rules of the detector, by mode (apply: enforced; log_only: proposed).', perSite((s) => (s.rules ? [{ labels: { site: s.site, mode: 'apply' }, value: s.rules.apply }, { labels: { site: s.site, mode: 'log_only' }, value: s.rules.logOnly }] : [])));
  family('bulwark_incident_open', 'gauge', 'Whether the site has an open incident (1).', perSite((s) => (s.incidentOpen === null ? [] : [{ labels: { site: s.site }, value: s.incidentOpen ? 1 : 0 }])));
  family('bulwark_heavy_hitter_entries', 'gauge', "Keys held in the detector's heavy-hitter sketches.", perSite((s) => (s.heavyHitters ? [{ labels: { site: s.site }, value: s.heavyHitters.entries }] : [])));
  family('bulwark_heavy_hitter_capacity', 'gauge', "Capacity of the detector's heavy-hitter sketches.", perSite((s) => (s.heavyHitters ? [{ labels: { site: s.site }, value: s.heavyHitters.capacity }] : [])));
  family('bulwark_client_connections', 'gauge', 'Open client connections per site.', perSite((s) => [{ labels: { site: s.site }, value: s.openConnections }]));
  family('bulwark_bans_active', 'gauge', 'Bans held in the accept-phase mirror.', () => [{ value: g().bans.active }]);
  family('bulwark_bans_capacity', 'gauge', 'Cap of the ban mirror (automatic bans beyond it are refused).', () => [{ value: g().bans.capacity }]);
  family('bulwark_bans_refused_full_total', 'counter', 'Automatic bans refused because the mirror was full.', () => [{ value: g().bans.refusedFull }]);
  family('bulwark_limiter_table_entries', 'gauge', 'Occupied slots of the rate-limit table.', () => [{ value: g().limiter.entries }]);
  family('bulwark_limiter_table_capacity', 'gauge', 'Slots of the rate-limit table.', () => [{ value: g().limiter.capacity }]);
  family('bulwark_limiter_table_evictions_total', 'counter', 'Idle rate-limit entries replaced to make room.', () => [{ value: g().limiter.evictions }]);
  family('bulwark_limiter_table_fallbacks_total', 'counter', 'Rate-limit checks that found no slot and used the sketch (the table is too small).', () => [{ value: g().limiter.fallbacks }]);
  family('bulwark_connections_open', 'gauge', 'Open client connections.', () => (g().connections ? [{ value: g().connections!.open }] : []));
  family('bulwark_connections_dropped_total', 'counter', 'Connections dropped at accept (bans, deny lists, caps).', () => (g().connections ? [{ value: g().connections!.droppedTotal }] : []));
  family('bulwark_admin_streams', 'gauge', 'Live dashboard streams (server-sent events) open.', () => (g().admin ? [{ value: g().admin!.streams }] : []));
  family('bulwark_admin_streams_capacity', 'gauge', 'Live dashboard streams allowed at once.', () => (g().admin ? [{ value: g().admin!.streamCapacity }] : []));
  family('bulwark_admin_sessions', 'gauge', 'Browser sessions of the admin plane.', () => (g().admin ? [{ value: g().admin!.sessions }] : []));
  family('bulwark_admin_login_failure_clients', 'gauge', 'Client addresses with recent failed logins tracked.', () => (g().admin ? [{ value: g().admin!.loginFailuresTracked }] : []));
  family('bulwark_audit_rows', 'gauge', 'Rows in the audit log.', () => (g().admin ? [{ value: g().admin!.auditRows }] : []));

  return registry;
}

/** The threat levels in gauge order (for dashboards and alert rules). */
export const THREAT_LEVEL_VALUES: ReadonlyArray<[ThreatLevel, number]> = THREAT_LEVELS.map((l) => [l, LEVEL_VALUE[l]]);
