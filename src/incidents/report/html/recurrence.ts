/**
 * The recurrence section: for each related incident, the measures behind the verdict side by side — one
 * column per incident, one row per measure (network, pattern, timing), each value with the interval its
 * sketch supports — then each verdict in words with what limited its confidence, and the values the
 * incidents share. The measure the network verdict rests on is marked.
 */
import type { MeasureJson } from '../../recurrence/measures.ts';
import { dateTime } from '../report-format.ts';
import type { RelatedJson, ReportModel } from '../report-types.ts';
import { cut, esc } from './escape.ts';

const VERDICT: Readonly<Record<string, string>> = { same_actor: 'Same actor', copycat: 'Copycat', unrelated: 'Unrelated' };
const GROUPS: ReadonlyArray<[MeasureJson['group'], string]> = [['network', 'Where from'], ['pattern', 'What it did'], ['timing', 'When']];

function value(m: MeasureJson | undefined): string {
  if (m === undefined || !m.available) return '<span class="na">n/a</span>';
  if (m.estimate === null) return esc(m.detail);
  const e = m.estimate.toFixed(2);
  if (m.low === null || m.high === null || (m.low === m.estimate && m.high === m.estimate)) return e;
  return `${e} <span class="ci">(${m.low.toFixed(2)}–${m.high.toFixed(2)})</span>`;
}

function matrix(related: readonly RelatedJson[]): string {
  const first = related[0]!.comparison.measures;
  const head = ['measure', ...related.map((r) => `${r.id}${r.linked ? ' (linked)' : ''}`)];
  const verdictRow = `<tr class="verdict"><th scope="row">verdict</th>${related.map((r) => `<td data-verdict="${esc(r.comparison.verdict)}"><strong>${esc(VERDICT[r.comparison.verdict])}</strong><br><span class="small">${esc(r.comparison.confidence)} confidence</span></td>`).join('')}</tr>`;
  const summaryRows = [
    ['network similarity', (r: RelatedJson) => r.comparison.network],
    ['pattern similarity', (r: RelatedJson) => r.comparison.pattern],
  ].map(([label, get]) => `<tr class="sum"><th scope="row">${esc(label as string)}</th>${related.map((r) => {
    const i = (get as (r: RelatedJson) => { estimate: number; low: number; high: number } | null)(r);
    return `<td>${i === null ? '<span class="na">n/a</span>' : `${i.estimate.toFixed(2)}${i.low !== i.high ? ` <span class="ci">(${i.low.toFixed(2)}–${i.high.toFixed(2)})</span>` : ''}`}</td>`;
  }).join('')}</tr>`).join('');
  const rows: string[] = [];
  for (const [group, title] of GROUPS) {
    rows.push(`<tr class="group"><th colspan="${head.length}" scope="colgroup">${esc(title)}</th></tr>`);
    for (const m of first.filter((x) => x.group === group)) {
      const cells = related.map((r) => {
        const mine = r.comparison.measures.find((x) => x.id === m.id);
        const decides = r.comparison.network?.measure === m.id;
        return `<td${decides ? ' class="decides" title="the network verdict rests on this measure"' : ''}>${value(mine)}${decides ? ' ★' : ''}</td>`;
      });
      rows.push(`<tr><th scope="row">${esc(m.label)}</th>${cells.join('')}</tr>`);
    }
  }
  const th = head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  return `<table class="evidence"><caption>Evidence, side by side (★ the measure the network verdict rests on; brackets: the interval the sketch supports)</caption><thead><tr>${th}</tr></thead><tbody>${verdictRow}${summaryRows}${rows.join('')}</tbody></table>`;
}

function details(r: RelatedJson): string {
  const c = r.comparison;
  const limits = c.limits.length > 0 ? `<p class="small">Confidence limited by: ${esc(c.limits.join('; '))}.</p>` : '';
  const shared = c.measures
    .filter((m) => m.available && (m.shared?.length ?? 0) > 0)
    .map((m) => `<li>${esc(m.label)}: ${m.shared!.slice(0, 5).map((s) => `<code>${esc(cut(s.key, 60))}</code> ${(s.this * 100).toFixed(1)}% / ${(s.other * 100).toFixed(1)}%`).join(', ')}</li>`)
    .join('');
  const notes = c.measures.filter((m) => m.group !== 'timing').map((m) => `<li>${esc(m.label)}: ${esc(m.detail)}</li>`).join('');
  return `<div class="related" data-related="${esc(r.id)}"><h3>${esc(r.id)} — ${esc(r.when === 'earlier' ? 'earlier' : 'later')} incident, ${esc(dateTime(Date.parse(r.opened_at)))}</h3><p class="verdict-words">${esc(c.words)}</p>${limits}${shared ? `<p class="small">Shared values (share here / there):</p><ul class="small">${shared}</ul>` : ''}<details><summary>How each measure was read</summary><ul class="small">${notes}</ul></details></div>`;
}

/** The recurrence section (see the module comment). */
export function recurrenceSection(m: ReportModel): string {
  const rec = m.recurrence;
  const intro = `<p>${esc(rec.verdict_words)}</p>`;
  const how = `<p class="note">Same actor: the source networks overlap (network similarity 0.30 or more). Copycat: other networks, the same request pattern (pattern similarity 0.40 or more). Otherwise unrelated. Confidence is high, medium or low depending on where the intervals lie against those thresholds, and is lowered when the evidence is thin.</p>`;
  if (rec.related.length === 0) return `<section id="recurrence"><h2>Seen before?</h2>${intro}</section>`;
  return `<section id="recurrence"><h2>Seen before? Same actor, copycat or unrelated</h2>${intro}${how}${matrix(rec.related)}${rec.related.map(details).join('')}</section>`;
}
