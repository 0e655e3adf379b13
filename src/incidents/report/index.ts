/**
 * Incident reports: one model built from the incident record (report-model.ts), rendered as HTML for
 * people, JSON, a STIX 2.1 bundle for CERTs, X-ARF v4 drafts for abuse desks, or a MISP event. The CLI
 * (`bulwark incidents report`) and the admin API (`GET /incident/report`) both go through `makeReport`.
 */
import type { ReportsConfig } from '../../config/reports-schema.ts';
import type { IncidentStore } from '../../stores/index.ts';
import { renderHtml } from './html/render-html.ts';
import { loadReportInput } from './report-load.ts';
import { buildReportModel } from './report-model.ts';
import type { ReportFormat, ReportModel } from './report-types.ts';
import { renderJson } from './render-json.ts';
import { renderMisp } from './render-misp.ts';
import { renderXarf } from './render-xarf.ts';
import { renderStix } from './stix/render-stix.ts';

export { REPORT_FORMATS, type ReportFormat, type ReportModel } from './report-types.ts';
export { buildReportModel, type ReportInput } from './report-model.ts';
export { loadReportInput } from './report-load.ts';
export { buildXarfDrafts } from './render-xarf.ts';
export { buildStixBundle } from './stix/render-stix.ts';
export { buildMispEvent } from './render-misp.ts';

/** A rendered report: its text, its media type, and a file name for it. */
export interface RenderedReport {
  readonly body: string;
  readonly contentType: string;
  readonly fileName: string;
}

const RENDER: Readonly<Record<ReportFormat, { render: (m: ReportModel) => string; type: string; suffix: string }>> = {
  html: { render: renderHtml, type: 'text/html; charset=utf-8', suffix: '.html' },
  json: { render: renderJson, type: 'application/json; charset=utf-8', suffix: '.json' },
  stix: { render: renderStix, type: 'application/stix+json;version=2.1', suffix: '.stix.json' },
  xarf: { render: renderXarf, type: 'application/json; charset=utf-8', suffix: '.xarf.json' },
  misp: { render: renderMisp, type: 'application/json; charset=utf-8', suffix: '.misp.json' },
};

/** Renders a model in `format`. */
export function renderReport(m: ReportModel, format: ReportFormat): RenderedReport {
  const r = RENDER[format];
  return { body: r.render(m), contentType: r.type, fileName: `${m.incident.id}${r.suffix}` };
}

/** Loads incident `id` and renders its report, or undefined when there is no such incident. */
export async function makeReport(store: IncidentStore, id: string, format: ReportFormat, options: { readonly config: ReportsConfig; readonly hostnames?: readonly string[] }): Promise<RenderedReport | undefined> {
  const input = await loadReportInput(store, id, options);
  return input === undefined ? undefined : renderReport(buildReportModel(input), format);
}
