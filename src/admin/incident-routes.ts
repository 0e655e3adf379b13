/**
 * The admin listener's detection and incident endpoints, in the shape of
 * `AdminState.routes` (admin-server.ts):
 * - `GET /incidents[?site=S&status=open|closed&limit=N]`: newest first, headline fields;
 * - `GET /incident?id=ID[&timeline=0]`: one incident as `bulwark incidents show --json` prints it;
 * - `GET /incident/report?id=ID&format=html|json|stix|xarf|misp[&download=1]`: the incident's report, as
 *   `bulwark incidents report` makes it (organisation, TLP and privacy from the `reports:` config);
 *   `download=1` names it as an attachment;
 * - `GET /detection`: per site the threat level, signals, reasons, active signature rules with their
 *   evidence, the open incident (the detection service's `stats()`);
 * - `POST /mode` `{"site": "news", "level": "under_attack", "duration": "30m", "reason": "..."}`:
 *   sets an override (`level: "auto"` removes it), applied at once.
 * Operator mistakes are `BULWARK_ERR_*` errors with source `operator` (answered 400).
 */
import type { IncidentStore, KvStore } from '../stores/index.ts';
import { BulwarkError } from '../core/errors.ts';
import type { DetectionService } from '../detection/detection-service.ts';
import { parseModeRequest, readOverride, writeMode } from '../detection/override.ts';
import { incidentJson, incidentListJson } from '../incidents/report.ts';
import { makeReport, REPORT_FORMATS, type ReportFormat } from '../incidents/report/index.ts';
import { DEFAULT_REPORTS_CONFIG, type ReportsConfig } from '../config/reports-schema.ts';
import type { AdminRoute, RouteSpec } from './admin-server.ts';

/** What the routes need. */
export interface IncidentRouteDeps {
  readonly incidents: IncidentStore;
  /** Settings store (overrides are written here when no detection service runs). */
  readonly kv: KvStore;
  /** The running detection service, or null when detection is disabled. */
  readonly detection: Pick<DetectionService, 'stats' | 'setOverride' | 'clearOverride'> | null;
  /** Configured site names (POST /mode refuses others). */
  readonly sites: () => readonly string[];
  /** The `reports:` config (organisation, TLP, privacy) of the running generation. Default: the defaults. */
  readonly reports?: () => ReportsConfig;
  /** A site's hostnames (MISP `domain-dst`, the report's header). Default: none. */
  readonly hostnames?: (site: string) => readonly string[];
  readonly now?: () => number;
}

function bad(message: string): never {
  throw new BulwarkError('BULWARK_ERR_ADMIN_INVALID', message, { source: 'operator', publicReason: message });
}

/** The routes, keyed `METHOD /path`. */
export function incidentRoutes(deps: IncidentRouteDeps): Record<string, AdminRoute | RouteSpec> {
  const now = deps.now ?? Date.now;
  return {
    'GET /incidents': async ({ url }) => {
      const site = url.searchParams.get('site');
      const status = url.searchParams.get('status');
      const limitText = url.searchParams.get('limit');
      if (status !== null && status !== 'open' && status !== 'closed') bad('status must be open or closed');
      const limit = limitText === null ? 50 : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) bad('limit must be an integer 1..1000');
      const list = await deps.incidents.list({ limit, ...(site !== null ? { site } : {}), ...(status !== null ? { status: status as 'open' | 'closed' } : {}) });
      return { status: 200, body: incidentListJson(list) };
    },

    'GET /incident': async ({ url }) => {
      const id = url.searchParams.get('id');
      if (id === null || id.length === 0) bad('give the incident as ?id=');
      const incident = await deps.incidents.get(id, { timeline: url.searchParams.get('timeline') !== '0' });
      return incident === undefined ? { status: 404, body: { error: 'not_found', id } } : { status: 200, body: incidentJson(incident) };
    },

    'GET /incident/report': async ({ url }) => {
      const id = url.searchParams.get('id');
      if (id === null || id.length === 0) bad('give the incident as ?id=');
      const format = url.searchParams.get('format') ?? 'html';
      if (!REPORT_FORMATS.includes(format as ReportFormat)) bad(`format must be one of ${REPORT_FORMATS.join(', ')}`);
      const head = await deps.incidents.get(id, { timeline: false });
      if (head === undefined) return { status: 404, body: { error: 'not_found', id } };
      const report = await makeReport(deps.incidents, id, format as ReportFormat, { config: deps.reports?.() ?? DEFAULT_REPORTS_CONFIG, hostnames: deps.hostnames?.(head.site) ?? [] });
      if (report === undefined) return { status: 404, body: { error: 'not_found', id } };
      // The HTML report loads nothing (its own CSP says so too); as a download when asked.
      const headers: Record<string, string> = { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'" };
      if (url.searchParams.get('download') === '1') headers['content-disposition'] = `attachment; filename="${report.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}"`;
      return { status: 200, text: report.body, contentType: report.contentType, headers };
    },

    'GET /detection': () => ({ status: 200, body: deps.detection?.stats({ seasonal: true }) ?? { enabled: false, sites: {} } }),

    'POST /mode': { access: 'operator', action: 'level.override', handler: async ({ body, principal }) => {
      const b = (body ?? {}) as { site?: unknown; level?: unknown; duration?: unknown; reason?: unknown };
      if (typeof b.site !== 'string' || !deps.sites().includes(b.site)) bad(`site must be one of: ${deps.sites().join(', ')}`);
      if (b.reason !== undefined && typeof b.reason !== 'string') bad('reason must be a string');
      const request = parseModeRequest(b.level, b.duration);
      const nowMs = now();
      const reason = b.reason as string | undefined;
      const by = principal ? `token:${principal.name}` : 'admin';
      if (deps.detection !== null) {
        if (request.level === 'auto') await deps.detection.clearOverride(b.site);
        else await deps.detection.setOverride(b.site, request.level, nowMs + request.durationMs, by, reason);
      } else {
        await writeMode(deps.kv, b.site, request, { by, ...(reason !== undefined ? { reason } : {}) }, nowMs);
      }
      const o = await readOverride(deps.kv, b.site, nowMs);
      return { status: 200, body: { site: b.site, override: o === null ? null : { level: o.level, until_ms: o.untilMs, until: new Date(o.untilMs).toISOString(), by: o.by, reason: o.reason ?? null } } };
    } },
  };
}
