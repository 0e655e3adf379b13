/**
 * The timeline as an inline SVG chart — no script, no external resource, prints as vectors: requests per
 * second stacked by outcome group (served, challenged, refused, failed), the threat level as background
 * bands (elevated, under attack), and Bulwark's actions as numbered markers listed under the chart.
 * The SVG carries a <title> and a <desc> in words for screen readers, and `data-*` attributes that tests
 * read (series, bands, markers).
 */
import type { ReportModel, TimelinePointJson } from '../report-types.ts';
import { clock, int, levelWords } from '../report-format.ts';
import { esc } from './escape.ts';

const W = 720;
const H = 250;
const PAD = { left: 56, right: 12, top: 14, bottom: 30 };
const SERIES: ReadonlyArray<{ key: keyof Pick<TimelinePointJson, 'served' | 'challenged' | 'refused' | 'failed'>; label: string; colour: string }> = [
  { key: 'served', label: 'served', colour: '#2f7d32' },
  { key: 'challenged', label: 'challenged', colour: '#1f5fa8' },
  { key: 'refused', label: 'refused (limited, blocked, dropped)', colour: '#b23b3b' },
  { key: 'failed', label: 'failed or shed', colour: '#7a7a7a' },
];
const BAND: Readonly<Record<string, string>> = { elevated: '#fff1c2', under_attack: '#fbd9d9' };

/** A round axis maximum at or above `v` (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^n). */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v * (1 - 1e-9)) return m * p;
  return 10 * p;
}

const f1 = (v: number): string => (Math.round(v * 10) / 10).toString();

function scales(m: ReportModel['timeline']) {
  const pts = m.points;
  const t0 = m.start;
  const t1 = pts.length > 0 ? pts[pts.length - 1]!.t + m.bucket_seconds * 1000 : t0 + 1000;
  const top = niceMax(Math.max(1, ...pts.map((p) => p.served + p.challenged + p.refused + p.failed)));
  const x = (t: number) => PAD.left + ((t - t0) / Math.max(1, t1 - t0)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  return { t0, t1, top, x, y };
}

function bands(m: ReportModel['timeline'], s: ReturnType<typeof scales>): string {
  const out: string[] = [];
  const step = m.bucket_seconds * 1000;
  let i = 0;
  while (i < m.points.length) {
    const level = m.points[i]!.level;
    let j = i;
    while (j + 1 < m.points.length && m.points[j + 1]!.level === level && m.points[j + 1]!.t === m.points[j]!.t + step) j++;
    if (BAND[level] !== undefined) {
      const x0 = s.x(m.points[i]!.t);
      const x1 = s.x(m.points[j]!.t + step);
      out.push(`<rect data-band="${level}" x="${f1(x0)}" y="${PAD.top}" width="${f1(Math.max(0.5, x1 - x0))}" height="${H - PAD.top - PAD.bottom}" fill="${BAND[level]}"/>`);
    }
    i = j + 1;
  }
  return out.join('');
}

function areas(m: ReportModel['timeline'], s: ReturnType<typeof scales>): string {
  const step = m.bucket_seconds * 1000;
  const base = m.points.map(() => 0);
  return SERIES.map(({ key, colour }) => {
    const upper: string[] = [];
    const lower: string[] = [];
    m.points.forEach((p, i) => {
      const lo = base[i]!;
      const hi = lo + p[key];
      base[i] = hi;
      for (const t of [p.t, p.t + step]) {
        upper.push(`${f1(s.x(t))},${f1(s.y(hi))}`);
        lower.unshift(`${f1(s.x(t))},${f1(s.y(lo))}`);
      }
    });
    const total = m.points.reduce((n, p) => n + p[key], 0);
    if (upper.length === 0) return '';
    return `<path data-series="${key}" data-total="${Math.round(total * m.bucket_seconds)}" d="M${upper.join('L')}L${lower.join('L')}Z" fill="${colour}" fill-opacity="0.85" stroke="none"/>`;
  }).join('');
}

function axes(s: ReturnType<typeof scales>): string {
  const out: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const v = (s.top * k) / 4;
    const y = f1(s.y(v));
    out.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#d0d0d0" stroke-width="0.5"/>`);
    out.push(`<text x="${PAD.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${esc(int(v))}</text>`);
  }
  const ticks = 6;
  for (let k = 0; k <= ticks; k++) {
    const t = s.t0 + ((s.t1 - s.t0) * k) / ticks;
    out.push(`<text x="${f1(s.x(t))}" y="${H - PAD.bottom + 16}" text-anchor="${k === 0 ? 'start' : k === ticks ? 'end' : 'middle'}">${esc(clock(t))}</text>`);
  }
  out.push(`<text x="12" y="${PAD.top + (H - PAD.top - PAD.bottom) / 2}" transform="rotate(-90 12 ${PAD.top + (H - PAD.top - PAD.bottom) / 2})" text-anchor="middle">req/s</text>`);
  return out.join('');
}

function markers(m: ReportModel['timeline'], s: ReturnType<typeof scales>): string {
  // Markers closer than 10 px share one line and one label ("1–9"), so simultaneous actions stay legible.
  const groups: Array<{ x: number; first: number; last: number; kind: string }> = [];
  m.markers.forEach((mk, i) => {
    const x = Math.min(W - PAD.right, Math.max(PAD.left, s.x(mk.t)));
    const g = groups[groups.length - 1];
    if (g !== undefined && x - g.x < 10) g.last = i;
    else groups.push({ x, first: i, last: i, kind: mk.kind });
  });
  return groups
    .map((g) => {
      const colour = g.kind === 'level' ? '#6b4e00' : g.kind === 'rule_applied' ? '#222' : '#888';
      const label = g.first === g.last ? `${g.first + 1}` : `${g.first + 1}–${g.last + 1}`;
      const x = f1(g.x);
      const anchor = g.x > W - PAD.right - 20 ? 'end' : 'middle';
      return `<g data-marker="${g.kind}" data-markers="${g.last - g.first + 1}"><line x1="${x}" x2="${x}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="${colour}" stroke-width="0.8" stroke-dasharray="3 2"/><text x="${x}" y="${PAD.top - 3}" text-anchor="${anchor}" class="mk">${label}</text></g>`;
    })
    .join('');
}

function description(m: ReportModel['timeline']): string {
  if (m.points.length === 0) return 'No timeline was recorded.';
  const peak = m.points.reduce((a, p) => (p.served + p.challenged + p.refused + p.failed > a.served + a.challenged + a.refused + a.failed ? p : a));
  const hot = m.points.filter((p) => p.level === 'under_attack');
  const span = hot.length > 0 ? ` The site was under attack from ${clock(hot[0]!.t)} to ${clock(hot[hot.length - 1]!.t + m.bucket_seconds * 1000)}.` : '';
  return `Requests per second by outcome from ${clock(m.start)} UTC; peak about ${int(peak.served + peak.challenged + peak.refused + peak.failed)} req/s at ${clock(peak.t)}.${span} ${m.markers.length} actions are marked.`;
}

/** The chart and its legend (series colours, level bands, numbered actions). */
export function renderTimelineChart(m: ReportModel['timeline']): string {
  const s = scales(m);
  const svg = `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="chart-title chart-desc">
<title id="chart-title">Timeline of the incident</title><desc id="chart-desc">${esc(description(m))}</desc>
<g class="bands">${bands(m, s)}</g><g class="axes">${axes(s)}</g><g class="series">${areas(m, s)}</g><g class="markers">${markers(m, s)}</g>
<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}" stroke="#444" stroke-width="0.8"/>
</svg>`;
  const legend = [
    ...SERIES.map((x) => `<li><span class="swatch" style="background:${x.colour}"></span>${esc(x.label)}</li>`),
    ...Object.entries(BAND).map(([level, c]) => `<li><span class="swatch band" style="background:${c}"></span>level ${esc(levelWords(level))}</li>`),
  ].join('');
  const actions = m.markers.length === 0 ? '' : `<ol class="markers">${m.markers.map((mk) => `<li><time>${esc(clock(mk.t))}</time> ${esc(mk.label)}</li>`).join('')}</ol>`;
  return `<figure class="timeline">${svg}<figcaption><ul class="legend">${legend}</ul>${actions}</figcaption></figure>`;
}
