/**
 * The admin listener of a primary (`workers: N`): the same authenticated plane and routes as a single
 * process (stats, bans, audit, detection and incidents, metrics), on the primary's state. A ban added or
 * lifted here is announced on the bus at once, so every worker re-reads the ban store without waiting for
 * its poll. Request figures live in the workers: `/stats` shows each one's heartbeat (`cluster.processes`);
 * `/metrics` gives the primary's own (detection from the merged traffic, bans, the admin plane).
 */
import type { Config } from '../config/schema.ts';
import type { Services } from '../runtime/services.ts';
import type { AttachedDetection } from '../detection/attach.ts';
import type { Auditor } from '../admin/audit.ts';
import { banScopeGuardFromConfig } from '../admin/ban-guard.ts';
import { detectionRoutes } from '../admin/detection-routes.ts';
import { createMetricsSource } from '../admin/metrics-source.ts';
import { planeRoutes } from '../admin/plane-routes.ts';
import { startAdminPlane, type AdminPlane } from '../admin/start-admin.ts';
import type { BanStore } from '../stores/index.ts';
import { createMetrics } from '../telemetry/metrics.ts';
import { createRecorder } from '../telemetry/recorder.ts';
import type { Logger } from 'pino';

/** The running listener. */
export interface PrimaryAdmin {
  readonly address: string;
  close(): Promise<void>;
}

/** What the listener needs from the primary. */
export interface PrimaryAdminDeps {
  readonly config: Config;
  readonly services: Services;
  readonly logger: Logger;
  readonly auditor: Auditor;
  readonly stats: () => unknown;
  readonly detection: AttachedDetection | null;
  readonly ready: () => boolean;
  /** A ban was added or lifted through the listener. */
  readonly onBanChange: () => void;
}

/** A ban store that calls `changed` after every add and removal. */
function announcing(bans: BanStore, changed: () => void): BanStore {
  return {
    ...bans,
    async add(ban, opts) {
      const r = await bans.add(ban, opts);
      changed();
      return r;
    },
    async remove(key, opts) {
      const r = await bans.remove(key, opts);
      changed();
      return r;
    },
  };
}

/** Starts the admin listener of the primary; null when `admin.listen` is null. */
export async function startPrimaryAdmin(d: PrimaryAdminDeps): Promise<PrimaryAdmin | null> {
  const { config, services } = d;
  if (config.admin.listen === null) return null;
  const bans = announcing(services.stores.bans, d.onBanChange);
  const guard = banScopeGuardFromConfig(config);
  let admin: AdminPlane | null = null;
  const metrics = createMetrics(
    createMetricsSource({
      recorder: createRecorder(d.logger),
      sites: () => config.sites.map((s) => s.name),
      levelOf: (site) => d.detection?.service.levelOf(site) ?? 'normal',
      shield: () => undefined,
      challenge: () => null,
      detection: () => d.detection?.service.stats() ?? null,
      bans: () => bans.stats(),
      limiter: () => services.policy.table.stats(),
      connections: () => ({ open: 0, droppedTotal: 0 }),
      admin: async () =>
        admin === null
          ? null
          : { streams: 0, streamCapacity: 0, sessions: await services.stores.sessions.count(), loginFailuresTracked: admin.limiter.stats().tracked, auditRows: await services.stores.audit.count() },
    }),
  );
  admin = await startAdminPlane({
    config: { ...config.admin, listen: config.admin.listen },
    stateDir: config.state_dir,
    stores: services.stores,
    logger: d.logger,
    auditor: d.auditor,
    routes: planeRoutes({
      ready: d.ready,
      stats: d.stats,
      bans,
      banGuard: () => guard,
      adminClients: () => admin?.recentClients.list(Date.now()) ?? [],
      audit: services.stores.audit,
      metrics,
      detection: d.detection === null ? {} : detectionRoutes(d.detection),
    }),
  });
  const plane = admin;
  return { address: plane.address, close: () => plane.close() };
}
