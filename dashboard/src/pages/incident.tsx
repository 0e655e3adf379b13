import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { Chart } from '../chart.tsx';
import { errorText, LevelBadge, Notice, TableBox } from '../components.tsx';
import { duration, num, pct, time } from '../format.ts';
import type { IncidentHead } from './incidents.tsx';

interface Incident extends IncidentHead {
  readonly close_reason: string | null;
  readonly summary: {
    readonly trigger?: string;
    readonly top?: Record<string, Array<{ key: string | number; share: number; count: number }>>;
    readonly rate?: { peak_rps: number; mean_rps: number; duration_s: number; ramp_s: number };
    readonly severity_reasons?: string[];
    readonly signals?: Array<{ kind: string; detail: string }>;
  };
  readonly actions: {
    readonly level_changes?: Array<{ at_ms: number; from: string; to: string; by: string; reason: string }>;
    readonly rules?: Array<{ id: string; action: string; mode: string; match: Record<string, string | number>; collateral: number; requests: number; applied_ms: number | null; retired_reason: string | null }>;
    readonly mitigated_requests?: number;
    readonly outcomes?: Record<string, number>;
  };
  readonly visitors: {
    readonly cleared_requests?: number;
    readonly cleared_served?: number;
    readonly cleared_success_rate?: number | null;
    readonly challenges_issued?: number;
    readonly challenges_solved?: number;
    readonly challenge_solve_rate?: number | null;
    readonly origin_errors?: number;
  };
  readonly link_evidence: { reason?: string; similarity?: number; [k: string]: unknown } | null;
  readonly timeline?: Array<{ t: number; requests: number; distinct: number; level: string }>;
}

/** Report downloads (`GET /incident/report`): for people, for CERTs (STIX 2.1), for abuse desks (X-ARF drafts), for MISP. */
const REPORTS: Array<[string, string]> = [['html', 'HTML'], ['json', 'JSON'], ['stix', 'STIX 2.1'], ['xarf', 'X-ARF drafts'], ['misp', 'MISP event']];
const LEVEL_NUM: Record<string, number> = { normal: 0, elevated: 1, under_attack: 2 };
const DIMS: Array<[string, string]> = [['prefix', 'Networks'], ['asn', 'Autonomous systems'], ['country', 'Countries'], ['path', 'Paths'], ['user_agent', 'User agents'], ['fingerprint', 'Header fingerprints']];

/** One incident: timeline, sources, actions, what visitors saw, and its links to other incidents. */
export function IncidentPage({ id }: { id: string }) {
  const [inc, setInc] = useState<Incident | null>(null);
  const [later, setLater] = useState<IncidentHead[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<Incident>(`/incident?id=${encodeURIComponent(id)}`)
      .then(async (i) => {
        setInc(i);
        const all = await get<{ incidents: IncidentHead[] }>(`/incidents?site=${encodeURIComponent(i.site)}&limit=200`);
        setLater(all.incidents.filter((x) => x.linked_to === i.id));
      })
      .catch((e) => setError(errorText(e)));
  }, [id]);
  if (error) return <main id="main"><h1>Incident</h1><Notice kind="error">{error}</Notice></main>;
  if (inc === null) return <main id="main"><h1>Incident</h1><p role="status">Loading…</p></main>;
  const tl = inc.timeline ?? [];
  const xs = tl.map((r) => r.t / 1000);
  const v = inc.visitors;
  return (
    <main id="main">
      <h1>
        Incident on {inc.site} <LevelBadge level={inc.peak_level} />
      </h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>{inc.status}{inc.close_reason ? ` (${inc.close_reason})` : ''}</dd>
        <dt>Opened</dt>
        <dd>{time(inc.opened_at_ms)}</dd>
        <dt>Duration</dt>
        <dd>{duration(inc.duration_s)}</dd>
        <dt>Severity</dt>
        <dd>{inc.severity}{inc.summary.severity_reasons?.length ? ` — ${inc.summary.severity_reasons.join('; ')}` : ''}</dd>
        <dt>Peak</dt>
        <dd>{num(inc.peak_rps)} req/s, {num(inc.total_requests, 0)} requests, {num(inc.distinct_sources, 0)} distinct sources</dd>
        <dt>Started by</dt>
        <dd>{inc.summary.trigger ?? 'detector'}</dd>
      </dl>
      <nav aria-label="Reports of this incident" class="reports">
        <span>Report:</span>{' '}
        <a href={`/incident/report?id=${encodeURIComponent(inc.id)}&format=html`}>view</a>
        {REPORTS.map(([format, label]) => (
          <span key={format}>
            {' · '}
            <a href={`/incident/report?id=${encodeURIComponent(inc.id)}&format=${format}&download=1`} download>
              {label}
            </a>
          </span>
        ))}
      </nav>
      <Chart
        id="chart-incident"
        title="Timeline"
        xs={xs}
        levels={tl.map((r) => LEVEL_NUM[r.level] ?? 0)}
        series={[
          { label: 'requests', color: '#1f4e9c', values: tl.map((r) => r.requests), unit: ' req/s' },
          { label: 'distinct sources', color: '#8a5300', values: tl.map((r) => r.distinct), dash: true },
        ]}
      />

      <h2>Sources</h2>
      <div class="grid narrow">
        {DIMS.map(([f, title]) => (
          <TableBox key={f} label={title}>
            <table class="compact">
              <caption>{title}</caption>
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Requests</th>
                  <th scope="col">Share</th>
                </tr>
              </thead>
              <tbody>
                {(inc.summary.top?.[f] ?? []).slice(0, 10).map((e) => (
                  <tr key={String(e.key)}>
                    <td class="key">{f === 'asn' ? `AS${e.key}` : String(e.key)}</td>
                    <td>{num(e.count, 0)}</td>
                    <td>{pct(e.share)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableBox>
        ))}
      </div>

      <h2>Actions taken</h2>
      <ul>
        {(inc.actions.level_changes ?? []).map((c) => (
          <li key={c.at_ms}>
            {time(c.at_ms)}: {c.from.replace('_', ' ')} → {c.to.replace('_', ' ')} ({c.by}){c.reason ? `: ${c.reason}` : ''}
          </li>
        ))}
      </ul>
      <p>{num(inc.actions.mitigated_requests ?? 0, 0)} requests were challenged, limited, blocked or dropped.</p>
      <TableBox label="Rules applied">
        <table>
          <caption>Signature rules during the incident</caption>
          <thead>
            <tr>
              <th scope="col">Match</th>
              <th scope="col">Action</th>
              <th scope="col">Mode</th>
              <th scope="col">Requests hit</th>
              <th scope="col">Collateral</th>
            </tr>
          </thead>
          <tbody>
            {(inc.actions.rules ?? []).map((r) => (
              <tr key={r.id}>
                <td class="key">{Object.entries(r.match).map(([k, val]) => `${k} = ${val}`).join(' and ')}</td>
                <td>{r.action.replace('_', ' ')}</td>
                <td>{r.mode === 'apply' ? 'applied' : 'logged only'}</td>
                <td>{num(r.requests, 0)}</td>
                <td>{pct(r.collateral, 2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>

      <h2>What visitors saw</h2>
      <p>
        Cleared visitors: {num(v.cleared_requests ?? 0, 0)} requests, {pct(v.cleared_success_rate ?? null)} served. Challenges: {num(v.challenges_issued ?? 0, 0)} issued, {pct(v.challenge_solve_rate ?? null)} solved. Origin errors: {num(v.origin_errors ?? 0, 0)}.
      </p>

      <h2>Recurrence</h2>
      {inc.linked_to ? (
        <p>
          Linked to <a href={`#/incident/${encodeURIComponent(inc.linked_to)}`}>an earlier incident</a> as <strong>{(inc.link_verdict ?? 'related').replace('_', ' ')}</strong>
          {inc.link_evidence?.reason ? `: ${inc.link_evidence.reason}` : ''}.
        </p>
      ) : (
        <p>Not linked to an earlier incident.</p>
      )}
      {inc.link_evidence && (
        <details>
          <summary>Evidence</summary>
          <pre>{JSON.stringify(inc.link_evidence, null, 2)}</pre>
        </details>
      )}
      {later.length > 0 && (
        <ul>
          {later.map((l) => (
            <li key={l.id}>
              <a href={`#/incident/${encodeURIComponent(l.id)}`}>{time(l.opened_at_ms)}</a>: a later incident linked here as {(l.link_verdict ?? 'related').replace('_', ' ')}
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
