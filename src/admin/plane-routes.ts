/**
 * Every route of the admin listener besides login and tokens (auth-routes.ts), in one table: health,
 * stats, bans, audit, detection and incidents, signature rules, metrics. The composition root passes the
 * running parts in; the listener enforces each route's role (route-types.ts).
 */
import type { AuditStore, BanStore } from '../stores/index.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import { statusRoutes } from './admin-server.ts';
import { auditRoutes } from './audit-routes.ts';
import type { BanScopeGuard } from './ban-guard.ts';
import { banRoutes } from './ban-operations.ts';
import type { RouteTable } from './route-types.ts';

/** The running parts the routes read and change. */
export interface PlaneRouteDeps {
  readonly ready: () => boolean;
  readonly stats: () => unknown;
  readonly bans: BanStore;
  readonly banGuard: () => BanScopeGuard;
  readonly adminClients: () => readonly string[];
  readonly audit: AuditStore;
  readonly metrics: Metrics;
  /** Detection, incidents and signature rules (absent when detection is not attached). */
  readonly detection: RouteTable;
  /** Further routes (the dashboard, its event stream, the config view). */
  readonly extra?: RouteTable;
}

/** The table (see the module comment). */
export function planeRoutes(d: PlaneRouteDeps): RouteTable {
  return {
    ...statusRoutes(d.ready),
    'GET /stats': { access: 'viewer', handler: () => ({ status: 200, body: d.stats() }) },
    'GET /metrics': { access: 'metrics', handler: async () => ({ status: 200, text: await d.metrics.text(), contentType: d.metrics.contentType }) },
    ...banRoutes({ bans: d.bans, guard: d.banGuard, adminClients: d.adminClients }),
    ...auditRoutes(d.audit),
    ...d.detection,
    ...d.extra,
  };
}
