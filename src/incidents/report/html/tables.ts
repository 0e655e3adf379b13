/**
 * The tables of the HTML report: source networks (prefix, ASN with its name, country, share), ASNs,
 * countries, addresses, request patterns (paths, methods, user agents, header fingerprints), signature
 * rules with their collateral, and what visitors experienced. Every cell is escaped.
 */
import { clock, int, levelWords, pct } from '../report-format.ts';
import type { RankedJson, ReportModel } from '../report-types.ts';
import { cut, esc } from './escape.ts';

/** A table cell: escaped HTML, or escaped HTML that must stay on one line (times, ASNs, short words). */
export type Cell = string | { readonly nowrap: string };

/** A cell that does not wrap. */
export function nw(html: string): Cell {
  return { nowrap: html };
}

/** A table with a caption, a header row and rows of already-escaped cells (`num` columns right-aligned). */
export function table(caption: string, head: readonly string[], rows: ReadonlyArray<readonly Cell[]>, num: readonly number[] = [], cls = ''): string {
  if (rows.length === 0) return `<p class="empty">${esc(caption)}: none recorded.</p>`;
  const th = head.map((h, i) => `<th scope="col"${num.includes(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c, i) => {
    const nowrap = typeof c !== 'string';
    const cls = [num.includes(i) ? 'num' : '', nowrap ? 'nowrap' : ''].filter(Boolean).join(' ');
    return `<td${cls ? ` class="${cls}"` : ''}>${typeof c === 'string' ? c : c.nowrap}</td>`;
  }).join('')}</tr>`).join('');
  return `<table${cls ? ` class="${cls}"` : ''}><caption>${esc(caption)}</caption><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

function ranked(caption: string, what: string, rows: readonly RankedJson[], max = 12, width = 90): string {
  return table(caption, [what, 'share', 'requests'], rows.slice(0, max).map((r) => [`<code>${esc(cut(r.key, width))}</code>`, esc(pct(r.share)), esc(int(r.requests))]), [1, 2]);
}

/** Top source networks, ASNs, countries and addresses. */
export function sourcesSection(m: ReportModel): string {
  const s = m.sources;
  const nets = table(
    'Top source networks',
    ['prefix', 'ASN', 'AS name', 'country', 'share', 'requests'],
    s.networks.slice(0, 15).map((n) => [`<code>${esc(n.key)}</code>`, nw(n.asn === null ? '–' : `AS${n.asn}`), esc(n.as_name ?? '–'), esc(n.country ?? '–'), esc(pct(n.share)), esc(int(n.requests))]),
    [4, 5],
  );
  const asns = table('Autonomous systems', ['ASN', 'name', 'share', 'requests'], s.asns.slice(0, 10).map((a) => [nw(`AS${a.asn}`), esc(a.name ?? '–'), esc(pct(a.share)), esc(int(a.requests))]), [2, 3]);
  const countries = ranked('Countries', 'country', s.countries, 10);
  const addresses = s.addresses === null
    ? `<p class="note">Top addresses: ${esc(m.privacy.truncated ? 'withheld — addresses appear only truncated in this report.' : 'not available (removed by retention, or none recorded).')}</p>`
    : ranked('Top source addresses', 'address', s.addresses, 10);
  const geoless = s.asns.length === 0 && s.countries.length === 0 ? '<p class="note">No ASN or country data was available for these sources (the offline data does not cover them, or was not loaded).</p>' : '';
  return `<section id="sources"><h2>Where it came from</h2><p>About ${esc(int(m.incident.distinct_sources))} distinct addresses. Shares are of the attack's requests (requests from clients without a clearance); listed values are lower bounds from a fixed-size sketch.</p>${nets}${geoless}<div class="cols">${asns}${countries}</div>${addresses}</section>`;
}

/** Paths, methods, user agents and header fingerprints. */
export function patternsSection(m: ReportModel): string {
  const p = m.patterns;
  return `<section id="patterns"><h2>What the requests looked like</h2><div class="cols">${ranked('Paths', 'path', p.paths, 10, 60)}${ranked('Methods', 'method', p.methods, 6)}</div>${ranked('User agents', 'user agent', p.user_agents, 8, 110)}${ranked('Header-order fingerprints', 'fingerprint', p.fingerprints, 6)}</section>`;
}

function matchText(match: Readonly<Record<string, string | number>>): string {
  return Object.entries(match).map(([k, v]) => `${k} = ${v}`).join(' and ');
}

/** Level changes and signature rules with their collateral. */
export function actionsSection(m: ReportModel): string {
  const a = m.actions;
  const levels = table(
    'Threat level changes (UTC)',
    ['time', 'from', 'to', 'by', 'why'],
    a.level_changes.map((c) => [nw(esc(clock(Date.parse(c.at)))), nw(esc(levelWords(c.from))), nw(esc(levelWords(c.to))), esc(c.by), `<span class="small">${esc(cut(c.reason, 240))}</span>`]),
  );
  const rules = table(
    'Signature rules (times UTC)',
    ['rule', 'action', 'mode', 'applied', 'retired', 'requests', 'collateral', 'bound'],
    a.rules.map((r) => [
      `<code>${esc(cut(matchText(r.match), 80))}</code>`, esc(r.action), nw(esc(r.mode)), r.applied_at === null ? 'never (logged only)' : nw(esc(r.applied_at.slice(11, 19))),
      nw(esc(r.retired_at === null ? 'active' : r.retired_at.slice(11, 19))), esc(int(r.requests)), esc(pct(r.collateral)), esc(pct(r.collateral_bound)),
    ]),
    [5, 6, 7],
  );
  const outcomes = Object.entries(a.outcomes).sort((x, y) => y[1] - x[1]).map(([o, n]) => `${esc(o)} ${esc(int(n))}`).join(', ');
  return `<section id="actions"><h2>What Bulwark did</h2>${levels}<p class="note">Collateral: the estimated share of the site's normal traffic a rule would also hit (from the learned baseline), and the bound of that estimate; rules whose collateral was above the configured limit were only logged.</p>${rules}<p>Outcomes of every request: ${outcomes || 'none'}. Refused or held back: ${esc(int(a.mitigated_requests))} (${esc(pct(a.mitigated_share))}).</p></section>`;
}

/** What real visitors experienced. */
export function visitorsSection(m: ReportModel): string {
  const v = m.visitors;
  const rows: Array<[string, string]> = [
    ['requests from cleared visitors', int(v.cleared_requests)],
    ['served', pct(v.served_ratio)],
    ['origin latency, median / 99th percentile', `${v.origin_p50_ms === null ? '–' : `${v.origin_p50_ms.toFixed(0)} ms`} / ${v.origin_p99_ms === null ? '–' : `${v.origin_p99_ms.toFixed(0)} ms`}`],
    ['added latency at the origin (attack vs calm seconds)', v.added_latency_ms === null ? 'unknown' : `${v.added_latency_ms > 0 ? '+' : ''}${v.added_latency_ms.toFixed(1)} ms`],
    ['challenges issued / solved', `${int(v.challenges_issued)} / ${int(v.challenges_solved)} (${pct(v.challenge_solve_rate)})`],
    ['wrong challenge answers', int(v.challenges_failed)],
    ['origin errors', int(v.origin_errors)],
  ];
  return `<section id="visitors"><h2>What visitors experienced</h2>${table('Real visitors', ['measure', 'value'], rows.map(([k, x]) => [esc(k), esc(x)]), [1], 'kv')}</section>`;
}
