/**
 * The JSON export: the report model itself (`schema: bulwark-incident-report/1`), pretty-printed with a
 * trailing newline — what the HTML shows, as data, fingerprint included. Deterministic like the model.
 */
import type { ReportModel } from './report-types.ts';

/** The model as JSON text. */
export function renderJson(m: ReportModel): string {
  return JSON.stringify(m, null, 2) + '\n';
}
