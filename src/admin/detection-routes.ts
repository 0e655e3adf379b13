/**
 * The admin routes of attached detection (detection/attach.ts): `/incidents`, `/incident`, `/detection`,
 * `POST /mode` (incident-routes.ts) and the signature rules with the operator's accept / reject
 * (rule-routes.ts). Built here rather than by detection itself, so detection knows nothing of the admin
 * plane: the plane reads detection, never the other way round.
 */
import type { AttachedDetection } from '../detection/attach.ts';
import type { RouteTable } from './admin-server.ts';
import { incidentRoutes } from './incident-routes.ts';
import { ruleRoutes } from './rule-routes.ts';

/** The routes for `planeRoutes({ detection })`; the stores and config are read through the detection's host at this call. */
export function detectionRoutes(d: AttachedDetection): RouteTable {
  const { host, service } = d;
  const services = host.runtime().services;
  const sites = () => host.runtime().config.sites.map((s) => s.name);
  return {
    ...incidentRoutes({
      incidents: services.stores.incidents,
      kv: services.stores.kv,
      detection: d.enabled ? service : null,
      sites,
      reports: () => host.runtime().config.reports,
      hostnames: (site) => host.runtime().config.sites.find((s) => s.name === site)?.hosts ?? [],
    }),
    ...ruleRoutes({ sites, activeRules: service.activeRules, decisions: d.ruleDecisions, now: d.now }),
  };
}
