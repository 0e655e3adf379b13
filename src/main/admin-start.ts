/**
 * Starting the admin plane of a single process or a primary (workers have none): the dashboard's server
 * side (sampling, streams, pages) and the admin listener with its routes — status, stats, bans,
 * audit, metrics, detection and the dashboard's own. Only when `admin.listen` is set.
 */
import type { Logger } from 'pino';
import { createMetricsSource } from '../admin/metrics-source.ts';
import type { Auditor } from '../admin/audit.ts';
import type { BanScopeGuard } from '../admin/ban-guard.ts';
import { attachDashboard } from '../admin/dashboard/attach.ts';
import type { Dashboard } from '../admin/dashboard/dashboard.ts';
import { detectionRoutes } from '../admin/detection-routes.ts';
import { planeRoutes } from '../admin/plane-routes.ts';
import type { ReloadLog } from '../admin/reload-log.ts';
import { startAdminPlane, type AdminPlane } from '../admin/start-admin.ts';
import type { Config } from '../config/schema.ts';
import type { AttachedDetection } from '../detection/attach.ts';
import type { AcceptGate } from '../edge/accept-gate.ts';
import type { ShieldRegistry } from '../pipeline/shield/shield-registry.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Services } from '../runtime/services.ts';
import type { BanStore } from '../stores/types.ts';
import { createMetrics, type Metrics } from '../telemetry/metrics.ts';
import type { Recorder } from '../telemetry/recorder.ts';

export interface AdminStartDeps {
  readonly config: Config;
  /** `admin.listen` of the config, known to be set. */
  readonly listen: NonNullable<Config['admin']['listen']>;
  /** The config file, shown on the config page; null for zero-config. */
  readonly file: string | null;
  readonly logger: Logger;
  readonly recorder: Recorder;
  readonly services: Services;
  readonly shields: ShieldRegistry;
  readonly auditor: Auditor;
  readonly reloads: ReloadLog;
  readonly metrics: Metrics;
  readonly detection: AttachedDetection | null;
  readonly bans: BanStore;
  runtime(): Runtime;
  /** Ready for traffic (not draining, listeners bound): the readiness route. */
  ready(): boolean;
  stats(): unknown;
  banGuard(): BanScopeGuard;
}

/**
 * Attaches the dashboard and starts the admin listener; the dashboard's sampling starts once the
 * listener is up. If the listener cannot start, the dashboard is stopped again and the error thrown.
 */
export async function startAdminAndDashboard(d: AdminStartDeps): Promise<{ admin: AdminPlane; dashboard: Dashboard }> {
  const { config, services, shields, logger } = d;
  let reported = false;
  const dashboard = attachDashboard({
    recorder: d.recorder,
    config: () => d.runtime().config,
    generation: () => d.runtime().generation,
    file: d.file,
    levelOf: (site) => services.levelOf(site),
    shield: (site) => shields.get(site),
    challenge: (site) => services.challengeStatsOf(site),
    detection: () => d.detection,
    geo: () => services.geo,
    reloads: () => d.reloads.view(),
    audit: services.stores.audit,
    onError: (err) => {
      if (!reported) logger.error({ err, code: 'BULWARK_ERR_DASHBOARD_TICK' }, 'dashboard sampling failed (reported once)');
      reported = true;
    },
  });
  let admin: AdminPlane | null = null;
  try {
    admin = await startAdminPlane({
      config: { ...config.admin, listen: d.listen },
      stateDir: config.state_dir,
      stores: services.stores,
      logger,
      auditor: d.auditor,
      routes: planeRoutes({
        ready: d.ready,
        stats: d.stats,
        bans: d.bans,
        banGuard: d.banGuard,
        adminClients: () => admin?.recentClients.list(Date.now()) ?? [],
        audit: services.stores.audit,
        metrics: d.metrics,
        detection: d.detection === null ? {} : detectionRoutes(d.detection),
        extra: dashboard.routes,
      }),
    });
  } catch (err) {
    dashboard.stop();
    throw err;
  }
  dashboard.start();
  return { admin, dashboard };
}

/** Sources of the Prometheus exposition; the getters read parts created at start. */
export interface MetricsDeps {
  readonly recorder: Recorder;
  readonly services: Services;
  readonly shields: ShieldRegistry;
  readonly gate: () => AcceptGate;
  runtime(): Runtime;
  bans(): BanStore;
  detection(): AttachedDetection | null;
  admin(): AdminPlane | null;
  dashboard(): Dashboard | null;
}

/** The Prometheus metrics of this process (served as /metrics on the admin listener). */
export function createProcessMetrics(d: MetricsDeps): Metrics {
  const { services, shields } = d;
  return createMetrics(
    createMetricsSource({
      recorder: d.recorder,
      sites: () => d.runtime().config.sites.map((s) => s.name),
      levelOf: (site) => services.levelOf(site),
      shield: (site) => shields.get(site),
      challenge: (site) => services.challengeStatsOf(site),
      detection: () => d.detection()?.service.stats() ?? null,
      bans: () => d.bans().stats(),
      limiter: () => services.policy.table.stats(),
      connections: () => d.gate().stats(),
      admin: async () => {
        const admin = d.admin();
        const dashboard = d.dashboard();
        return admin === null
          ? null
          : { streams: dashboard?.streams.stats().open ?? 0, streamCapacity: dashboard?.streams.stats().capacity ?? 0, sessions: await services.stores.sessions.count(), loginFailuresTracked: admin.limiter.stats().tracked, auditRows: await services.stores.audit.count() };
      },
    }),
  );
}
