/**
 * Reads what a report needs from the incident store: the incident with its timeline, the site's closed
 * incidents before it (at most `reports.compare_with`, newest first, plus the linked one if it is older
 * than those) and after it (at most as many, oldest first: did it come back?). The CLI and the admin API
 * both call this, so a report is the same wherever it is asked for.
 */
import type { ReportsConfig } from '../../config/reports-schema.ts';
import type { IncidentRecord, IncidentStore } from '../../stores/index.ts';
import type { ReportInput } from './report-model.ts';

/** Incidents scanned for later links to this one (newest first). */
const LATER_SCAN = 1000;

/** The report input of incident `id`, or undefined when there is no such incident. */
export async function loadReportInput(store: IncidentStore, id: string, options: { readonly config: ReportsConfig; readonly hostnames?: readonly string[] }): Promise<ReportInput | undefined> {
  const incident = await store.get(id, { timeline: true });
  if (incident === undefined) return undefined;
  const n = options.config.compare_with;
  const related: Array<{ record: IncidentRecord; when: 'earlier' | 'later' }> = [];
  if (n > 0) {
    const earlier = (await store.list({ site: incident.site, openedBeforeMs: incident.openedAtMs, limit: n + 1 }))
      .filter((r) => r.id !== id && r.status === 'closed')
      .slice(0, n);
    if (incident.linkedTo !== null && !earlier.some((r) => r.id === incident.linkedTo)) {
      const linked = await store.get(incident.linkedTo, { timeline: false });
      if (linked !== undefined) earlier.push(linked);
    }
    related.push(...earlier.map((record) => ({ record, when: 'earlier' as const })));
    const later = (await store.list({ site: incident.site, limit: LATER_SCAN }))
      .filter((r) => r.openedAtMs >= incident.openedAtMs && r.id !== id && r.status === 'closed' && !earlier.some((e) => e.id === r.id))
      .reverse()
      .slice(0, n);
    related.push(...later.map((record) => ({ record, when: 'later' as const })));
  }
  return { incident, related, config: options.config, ...(options.hostnames ? { hostnames: options.hostnames } : {}) };
}
