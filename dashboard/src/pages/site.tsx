import { useState } from 'preact/hooks';
import { canOperate, send, type Role } from '../api.ts';
import { Chart } from '../chart.tsx';
import { errorText, LevelBadge, LevelForm, Notice, TableBox } from '../components.tsx';
import { num, pct, time } from '../format.ts';
import type { SiteFrame, SiteOverview, TopEntry } from '../live.ts';

/** A site's per-second history, column by column (the server's live-history columns). */
export type History = Record<string, Array<number | null>>;

const TOPS: Array<[string, string]> = [
  ['prefix', 'Networks (prefixes)'],
  ['asn', 'Autonomous systems'],
  ['country', 'Countries'],
  ['path', 'Paths'],
  ['user_agent', 'User agents'],
  ['fingerprint', 'Header fingerprints'],
];

function ratio(a: Array<number | null>, b: Array<number | null>, c: Array<number | null>): Array<number | null> {
  return a.map((x, i) => {
    const total = (x ?? 0) + (b[i] ?? 0) + (c[i] ?? 0);
    return total > 0 ? ((x ?? 0) + (c[i] ?? 0)) / total : null;
  });
}

function TopTable({ field, title, list }: { field: string; title: string; list: TopEntry[] }) {
  return (
    <TableBox label={title}>
      <table class="compact">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{field === 'asn' ? 'AS' : 'Key'}</th>
            {field === 'asn' || field === 'prefix' ? <th scope="col">Network name</th> : null}
            <th scope="col">req/s</th>
            <th scope="col">Share</th>
          </tr>
        </thead>
        <tbody>
          {list.length === 0 ? (
            <tr>
              <td colSpan={4}>nothing stands out</td>
            </tr>
          ) : (
            list.map((e) => (
              <tr key={String(e.key)}>
                <td class="key">{field === 'asn' ? `AS${e.key}` : String(e.key)}</td>
                {field === 'asn' || field === 'prefix' ? <td>{e.name ?? (e.asn ? `AS${e.asn}` : '–')}</td> : null}
                <td>{num(e.rps)}</td>
                <td>{pct(e.share)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </TableBox>
  );
}

/** One site, live at 1 s resolution for the last 15 minutes. */
export function SitePage({ name, role, overview, history, frame, refresh }: { name: string; role: Role; overview: SiteOverview | undefined; history: History | null; frame: SiteFrame | null; refresh: () => void }) {
  const [msg, setMsg] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const xs = (history?.t ?? []) as number[];
  const h = (c: string) => history?.[c] ?? [];
  const det = frame?.detector ?? null;
  const level = overview?.level ?? det?.level ?? 'normal';
  const decide = async (rule: string, decision: 'accept' | 'reject') => {
    try {
      await send('POST', `/rules/${decision}`, { site: name, rule });
      setMsg({ kind: 'ok', text: `${decision === 'accept' ? 'Accepted' : 'Rejected'} ${rule}` });
      refresh();
    } catch (err) {
      setMsg({ kind: 'error', text: errorText(err) });
    }
  };
  return (
    <main id="main">
      <h1>
        Site {name} <LevelBadge level={level} />
      </h1>
      <p class="lead" role="status">
        {det === null ? 'Detection is off for this site.' : det.reasons.length > 0 ? det.reasons.join('; ') : det.warming_up ? 'The detector is still learning this site’s normal traffic.' : 'Nothing unusual: traffic matches the learned baseline.'}
      </p>
      {canOperate(role) && <LevelForm site={name} override={overview?.override ?? null} onDone={refresh} />}

      <h2>Last 15 minutes</h2>
      <div class="grid">
        <Chart
          id="chart-requests"
          title="Requests per second by outcome"
          xs={xs}
          levels={h('level')}
          series={[
            { label: 'served', color: '#1b7f3a', values: h('served'), unit: ' req/s' },
            { label: 'challenged', color: '#1f4e9c', values: h('challenged'), unit: ' req/s' },
            { label: 'refused', color: '#b3261e', values: h('refused'), unit: ' req/s' },
            { label: 'shed', color: '#8a5300', values: h('shed'), unit: ' req/s', dash: true },
            { label: 'failed', color: '#5b2a86', values: h('failed'), unit: ' req/s', dash: true },
          ]}
        />
        <Chart
          id="chart-latency"
          title="Origin latency"
          xs={xs}
          series={[
            { label: 'p50', color: '#1f4e9c', values: h('p50_ms'), unit: ' ms' },
            { label: 'p99', color: '#b3261e', values: h('p99_ms'), unit: ' ms' },
          ]}
        />
        <Chart
          id="chart-concurrency"
          title="Origin in flight and admission limit"
          xs={xs}
          series={[
            { label: 'in flight', color: '#1f4e9c', values: h('in_flight') },
            { label: 'limit', color: '#333333', values: h('limit'), dash: true },
            { label: 'queued', color: '#8a5300', values: h('queued') },
          ]}
        />
        <Chart id="chart-cache" title="Cache hit ratio" xs={xs} series={[{ label: 'hits and stale', color: '#1b7f3a', values: ratio(h('cache_hits'), h('cache_misses'), h('cache_stale')), scale: 100, unit: '%' }]} />
        <Chart
          id="chart-challenges"
          title="Challenges per second"
          xs={xs}
          series={[
            { label: 'issued', color: '#1f4e9c', values: h('challenges_issued') },
            { label: 'solved', color: '#1b7f3a', values: h('challenges_solved') },
            { label: 'failed', color: '#b3261e', values: h('challenges_failed'), dash: true },
          ]}
        />
      </div>

      <h2>What the detector sees now</h2>
      {det === null ? (
        <p>Detection is off.</p>
      ) : (
        <>
          <p>
            Automatic level <LevelBadge level={det.auto_level} /> since {time(det.since_ms)}; baseline {det.baseline.warm ? `≈ ${num(det.baseline.rps)} req/s` : 'still warming up'}
            {det.override ? `; overridden to ${det.override.level.replace('_', ' ')} until ${time(det.override.until_ms)}` : ''}.
          </p>
          {det.signals.length === 0 ? (
            <p>No signal is raised.</p>
          ) : (
            <ul class="signals">
              {det.signals.map((s) => (
                <li key={s.kind + s.metric}>
                  <strong>{s.kind.replace(/_/g, ' ')}</strong> (suggests {s.suggests.replace('_', ' ')}): {s.detail}
                </li>
              ))}
            </ul>
          )}
        </>
      )}

      <h2>Top sources and patterns (uncleared clients)</h2>
      <div class="grid narrow">
        {TOPS.map(([f, title]) => (
          <TopTable key={f} field={f} title={title} list={frame?.top[f] ?? []} />
        ))}
      </div>

      <h2>Signature rules</h2>
      {msg && <Notice kind={msg.kind}>{msg.text}</Notice>}
      <TableBox label="Signature rules">
        <table>
          <caption>Rules the detector proposed or applied, with their estimated collateral on normal traffic</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Action</th>
              <th scope="col">Collateral</th>
              <th scope="col">Attack share</th>
              <th scope="col">State</th>
              {canOperate(role) ? <th scope="col">Decide</th> : null}
            </tr>
          </thead>
          <tbody>
            {(frame?.rules ?? []).length === 0 ? (
              <tr>
                <td colSpan={6}>No active or proposed rule.</td>
              </tr>
            ) : (
              frame!.rules.map((r) => (
                <tr key={r.id}>
                  <td class="key">
                    {Object.entries(r.match)
                      .map(([k, v]) => `${k} = ${v}`)
                      .join(' and ')}
                    <div class="hint">{r.reason}</div>
                  </td>
                  <td>{r.action.replace('_', ' ')}</td>
                  <td>{pct(r.collateral, 2)}</td>
                  <td>{pct(r.attack_share)}</td>
                  <td>
                    {r.enforced ? 'enforced' : 'proposed, not enforced'}
                    {r.decision ? <div class="hint">{`${r.decision.decision}ed by ${r.decision.by}`}</div> : null}
                  </td>
                  {canOperate(role) ? (
                    <td class="actions">
                      <button type="button" onClick={() => decide(r.id, 'accept')} aria-label={`Accept rule ${r.id}`} disabled={r.decision?.decision === 'accept'}>
                        Accept
                      </button>
                      <button type="button" class="secondary" onClick={() => decide(r.id, 'reject')} aria-label={`Reject rule ${r.id}`} disabled={r.decision?.decision === 'reject'}>
                        Reject
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </TableBox>

      <h2>Challenge solve rates</h2>
      <TableBox label="Challenge solve rates per rule">
        <table>
          <caption>A rule that catches real visitors shows a high solve rate; one that catches bots, a low one</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Issued</th>
              <th scope="col">Solved</th>
              <th scope="col">Solve rate</th>
              <th scope="col">Median solve time</th>
              <th scope="col">Answered with a status</th>
            </tr>
          </thead>
          <tbody>
            {Object.keys(frame?.challenge_rules ?? {}).length === 0 ? (
              <tr>
                <td colSpan={6}>No challenge issued yet.</td>
              </tr>
            ) : (
              Object.entries(frame!.challenge_rules).map(([rule, c]) => (
                <tr key={rule}>
                  <td class="key">{rule}</td>
                  <td>{c.issued}</td>
                  <td>{c.solved}</td>
                  <td>{pct(c.solve_rate)}</td>
                  <td>{c.solve_p50_ms === null ? '–' : `${num(c.solve_p50_ms)} ms`}</td>
                  <td>{c.status_only}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </TableBox>
    </main>
  );
}
