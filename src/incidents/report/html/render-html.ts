/**
 * The report for people: one self-contained HTML file — inline style, inline SVG, no script and no
 * external resource (a Content-Security-Policy of `default-src 'none'` makes sure of it, so opening the
 * file tells nobody that it was opened) — that prints on A4. Order: the TLP marking, the summary in plain
 * words, the timeline chart, where the attack came from, what it looked like, what Bulwark did, what
 * visitors experienced, whether it was seen before, what was withheld, and the attack fingerprint.
 */
import { dateTime, duration, int, levelWords } from '../report-format.ts';
import type { ReportModel, TlpLevel } from '../report-types.ts';
import { esc } from './escape.ts';
import { recurrenceSection } from './recurrence.ts';
import { REPORT_CSS } from './styles.ts';
import { actionsSection, patternsSection, sourcesSection, table, visitorsSection } from './tables.ts';
import { renderTimelineChart } from './timeline-chart.ts';

/** What each TLP level allows (FIRST TLP 2.0, shortened). */
const TLP_NOTE: Readonly<Record<TlpLevel, string>> = {
  clear: 'Recipients may share this without limit.',
  green: 'Recipients may share this within their community, not publicly.',
  amber: 'Recipients may share this only within their organisation and its clients, on a need-to-know basis.',
  red: 'For the named recipients only; not to be shared further.',
};

function header(m: ReportModel): string {
  const i = m.incident;
  const status = i.status === 'open' ? 'open' : `closed (${i.close_reason ?? '–'})`;
  const hosts = i.hostnames.length > 0 ? ` (${i.hostnames.join(', ')})` : '';
  return `<header class="top"><div><h1>Incident report ${esc(i.id)}</h1>
<p class="meta">Site <strong>${esc(i.site)}</strong>${esc(hosts)} · ${esc(status)} · opened ${esc(dateTime(Date.parse(i.opened_at)))} · ${esc(duration(i.duration_s))} · peak level ${esc(levelWords(i.peak_level))} · severity ${esc(i.severity)}</p>
<p class="meta">Reported by ${esc(m.organisation.name)}${m.organisation.contact ? ` &lt;${esc(m.organisation.contact)}&gt;` : ''} · record as of ${esc(dateTime(Date.parse(i.record_updated_at)))}</p></div>
<div><div class="tlp tlp-${m.tlp}" data-tlp="${m.tlp}">TLP:${m.tlp.toUpperCase()}</div><p class="tlp-note">${esc(TLP_NOTE[m.tlp])}</p></div></header>`;
}

function summary(m: ReportModel): string {
  return `<section id="summary" aria-labelledby="summary-h"><h2 id="summary-h">Summary</h2><p class="headline">${esc(m.summary.headline)}</p>${m.summary.paragraphs.map((p) => `<p>${esc(p)}</p>`).join('')}</section>`;
}

function timeline(m: ReportModel): string {
  const t = m.timeline;
  const note = t.seconds_dropped > 0 ? `<p class="note">${esc(int(t.seconds_dropped))} seconds beyond the timeline's cap were not stored.</p>` : '';
  const bucket = t.bucket_seconds > 1 ? ` Each step of the chart is ${t.bucket_seconds} s (mean rate).` : '';
  return `<section id="timeline"><h2>Timeline</h2><p class="note">${esc(int(t.seconds_recorded))} seconds recorded.${esc(bucket)} Times in UTC.</p>${renderTimelineChart(t)}${note}</section>`;
}

function privacy(m: ReportModel): string {
  const p = m.privacy;
  const body = p.withheld.length === 0
    ? '<p>Nothing was withheld: addresses are shown as recorded. Handle this report according to its TLP marking.</p>'
    : `<ul>${p.withheld.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`;
  return `<section id="privacy"><h2>Privacy: what this report withholds</h2>${body}</section>`;
}

function fingerprint(m: ReportModel): string {
  const f = m.fingerprint;
  const v = f.attack_vectors[0];
  const rows: Array<[string, string]> = [
    ['key (SHA-256)', f.key], ['tags', f.tags.join(', ')], ['fidelity', f.fidelity === 'full' ? 'recorded with the incident' : 'derived from an older summary'],
    ['requests of the attack vector', `${int(v.nr_requests)} (${(v.fraction_of_attack * 100).toFixed(1)}% of all)`],
    ['coverage of the listed values', Object.entries(v.coverage).map(([k, c]) => `${k} ${(c * 100).toFixed(0)}%`).join(', ')],
    ['source-prefix sketch', `${v.source_prefix_sketch.hashes.length} of k = ${v.source_prefix_sketch.k} hashes`],
  ];
  return `<section id="fingerprint"><h2>Attack fingerprint</h2><p class="note">Stored with the incident in the style of the DDoS Clearing House fingerprint format (distributions of http_uri, http_method, http_user_agent and source networks); recurrence comparisons read only fingerprints. The JSON export carries it whole.</p>${table('Fingerprint', ['field', 'value'], rows.map(([k, x]) => [esc(k), `<code>${esc(x)}</code>`]), [], 'kv')}</section>`;
}

function footer(m: ReportModel): string {
  return `<footer><p>Made by Bulwark from incident record ${esc(m.incident.id)} (${esc(m.schema)}). The same record is exported as JSON, STIX 2.1, X-ARF v4 drafts and MISP. ${esc(m.credits.join(' '))}</p><p><span class="tlp tlp-${m.tlp}">TLP:${m.tlp.toUpperCase()}</span></p></footer>`;
}

/** The HTML report (see the module comment). */
export function renderHtml(m: ReportModel): string {
  const csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>TLP:${m.tlp.toUpperCase()} — Incident ${esc(m.incident.id)} on ${esc(m.incident.site)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${header(m)}
${summary(m)}
${timeline(m)}
${sourcesSection(m)}
${patternsSection(m)}
${actionsSection(m)}
${visitorsSection(m)}
${recurrenceSection(m)}
${privacy(m)}
${fingerprint(m)}
${footer(m)}
</main>
</body>
</html>
`;
}
