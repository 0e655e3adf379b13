/**
 * The summary in plain words that opens every human-readable report: when and how long, how big, from
 * where, what real visitors experienced, what Bulwark did, whether it was seen before, and how severe.
 * Built only from the report model, so the words and the tables below them say the same thing.
 */
import { clock, dateTime, day, duration, int, levelWords, list, pct, plural } from './report-format.ts';
import type { ReportModel } from './report-types.ts';

type Body = Omit<ReportModel, 'summary'>;

function when(m: Body): string {
  const i = m.incident;
  const opened = Date.parse(i.opened_at);
  if (i.status === 'open') return `Since ${dateTime(opened)} (${duration(i.duration_s)} so far, the incident is still open)`;
  const closed = Date.parse(i.closed_at!);
  const span = day(opened) === day(closed) ? `On ${day(opened)} from ${clock(opened)} to ${clock(closed)} UTC` : `From ${dateTime(opened)} to ${dateTime(closed)}`;
  return `${span} (${duration(i.duration_s)}${i.abnormal_s > 0 && i.abnormal_s < i.duration_s ? `, ${duration(i.abnormal_s)} of them above normal` : ''})`;
}

function size(m: Body): string {
  const i = m.incident;
  const times = i.normal_rps !== null && i.normal_rps > 0 && i.peak_rps / i.normal_rps >= 2 ? `, ${Math.round(i.peak_rps / i.normal_rps)} times its normal rate of ${i.normal_rps.toFixed(i.normal_rps < 10 ? 1 : 0)} req/s` : '';
  const kind = m.fingerprint.tags.filter((t) => t !== 'HTTP flood' && t !== 'many sources' && t !== 'few sources');
  return `${when(m)}, ${i.site} received an HTTP flood${kind.length > 0 ? ` (${list(kind)})` : ''}: ${plural(i.total_requests, 'request')}, peaking at ${int(i.peak_rps)} requests per second${times}.`;
}

function origin(m: Body): string {
  const s = m.sources;
  const parts = [`about ${plural(m.incident.distinct_sources, 'distinct address', 'distinct addresses')}`];
  if (s.asns.length > 0) parts.push(plural(s.asns.length, 'listed autonomous system'));
  if (s.countries.length > 0) parts.push(plural(s.countries.length, 'country', 'countries'));
  const top = s.networks[0];
  let lead = '';
  if (top !== undefined) {
    const who = [top.as_name ?? (top.asn !== null ? `AS${top.asn}` : null), top.country].filter((x) => x !== null).join(', ');
    lead = ` The largest source network was ${top.key}${who ? ` (${who})` : ''} with ${pct(top.share)} of the attack's requests${s.networks.length > 1 ? `; the top ${Math.min(10, s.networks.length)} networks together sent ${pct(s.networks.slice(0, 10).reduce((n, r) => n + r.share, 0))}` : ''}.`;
  }
  const geo = s.asns.length === 0 && s.countries.length === 0 ? ' No ASN or country data was available for these sources.' : '';
  return `The requests came from ${list(parts)}.${lead}${geo}`;
}

function visitors(m: Body): string {
  const v = m.visitors;
  const out: string[] = [];
  if (v.cleared_requests > 0) {
    out.push(`Real visitors (clients holding a clearance) made ${plural(v.cleared_requests, 'request')}; ${pct(v.served_ratio)} of them were served`);
    if (v.origin_p50_ms !== null) out[out.length - 1] += `, the origin answering in ${v.origin_p50_ms.toFixed(0)} ms at the median (${v.origin_p99_ms?.toFixed(0) ?? '–'} ms at the 99th percentile)`;
    out[out.length - 1] += '.';
  } else {
    out.push('No cleared visitor made a request during the incident, so what real visitors experienced is not measured.');
  }
  if (v.added_latency_ms !== null) {
    out.push(v.added_latency_ms > 0.5 ? `While the attack lasted, answers from the origin took ${v.added_latency_ms.toFixed(0)} ms longer at the median than in the incident's calm seconds.` : 'The origin answered as fast during the attack as in the incident\'s calm seconds.');
  }
  if (v.challenges_issued > 0) {
    out.push(`${plural(v.challenges_issued, 'challenge')} ${v.challenges_issued === 1 ? 'was' : 'were'} issued and ${int(v.challenges_solved)} solved (${pct(v.challenge_solve_rate)}): a low solve rate means the challenged clients were mostly not browsers with a person behind them.`);
  }
  return out.join(' ');
}

function response(m: Body): string {
  const a = m.actions;
  const first = a.level_changes.find((c) => c.to !== 'normal');
  const out: string[] = [];
  if (first !== undefined) {
    const after = Math.max(0, Math.round((Date.parse(first.at) - Date.parse(m.incident.opened_at)) / 1000));
    out.push(`Bulwark raised the threat level to ${levelWords(first.to)}${after > 0 ? ` ${duration(after)} after the start` : ' at the start'}${m.incident.peak_level !== first.to ? `, then to ${levelWords(m.incident.peak_level)}` : ''}`);
  } else out.push(`The threat level reached ${levelWords(m.incident.peak_level)}`);
  const applied = a.rules.filter((r) => r.applied_at !== null);
  if (applied.length > 0) out.push(`applied ${plural(applied.length, 'signature rule')} (${list(applied.slice(0, 3).map((r) => `${r.action} ${Object.entries(r.match).map(([k, v]) => `${k} ${v}`).join(' and ')}`))}${applied.length > 3 ? ', …' : ''})`);
  const refused = Object.entries(a.outcomes).filter(([o, n]) => n > 0 && ['challenged', 'limited', 'blocked', 'dropped', 'tarpitted', 'shed'].includes(o)).sort((x, y) => y[1] - x[1]);
  const verb = refused.length > 0 ? `and refused or held back ${pct(a.mitigated_share)} of the requests (${list(refused.map(([o, n]) => `${int(n)} ${o}`))})` : 'and refused no request';
  return `${list(out)}, ${verb}.`;
}

function severity(m: Body): string {
  const i = m.incident;
  return `Severity: ${i.severity}${i.severity_score !== null ? ` (score ${i.severity_score}${i.severity_reasons.length > 0 ? `: ${i.severity_reasons.join('; ')}` : ''})` : ''}.`;
}

/** The headline and paragraphs of the summary (see the module comment). */
export function summaryOf(m: Body): ReportModel['summary'] {
  const i = m.incident;
  const headline = `${i.severity[0]!.toUpperCase()}${i.severity.slice(1)}-severity HTTP flood on ${i.site}: ${plural(i.total_requests, 'request')} in ${duration(i.duration_s)}, peak ${int(i.peak_rps)} req/s`;
  const paragraphs = [size(m), origin(m), visitors(m), response(m), m.recurrence.verdict_words, severity(m)];
  if (m.privacy.withheld.length > 0) paragraphs.push(`Withheld from this report: ${m.privacy.withheld.join(' ')}`);
  return { headline, paragraphs };
}
