import type { SiteOverview } from '../live.ts';
import { LevelBadge, TableBox } from '../components.tsx';
import { Chart } from '../chart.tsx';
import { num, pct } from '../format.ts';

export interface OverviewHistory {
  readonly xs: number[];
  readonly bySite: Record<string, { total: number[]; served: number[]; levels: number[] }>;
}

/** Every site at a glance: level, requests per second by fate, visitors served, origin health and concurrency. */
export function Overview({ sites, history, time }: { sites: readonly SiteOverview[]; history: OverviewHistory; time: string | null }) {
  const under = sites.filter((s) => s.level !== 'normal');
  return (
    <main id="main">
      <h1>Overview</h1>
      <p class="lead" role="status">
        {sites.length === 0 ? 'Waiting for the first figures…' : under.length === 0 ? `All ${sites.length} site${sites.length === 1 ? ' is' : 's are'} at normal level.` : `${under.map((s) => `${s.site} is ${s.level.replace('_', ' ')}`).join('; ')}.`}
        {time ? <span class="hint"> Updated {time.slice(11, 19)}Z.</span> : null}
      </p>
      <TableBox label="Sites">
        <table>
          <caption>Requests per second over the last 10 seconds</caption>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Level</th>
              <th scope="col">Served</th>
              <th scope="col">Challenged</th>
              <th scope="col">Refused</th>
              <th scope="col">Shed</th>
              <th scope="col">Visitors served</th>
              <th scope="col">Origins healthy</th>
              <th scope="col">In flight / limit</th>
              <th scope="col">Incident</th>
            </tr>
          </thead>
          <tbody>
            {sites.map((s) => (
              <tr key={s.site}>
                <th scope="row">
                  <a href={`#/site/${encodeURIComponent(s.site)}`}>{s.site}</a>
                </th>
                <td>
                  <LevelBadge level={s.level} />
                  {s.override ? <span class="hint"> (override)</span> : null}
                </td>
                <td>{num(s.rps?.served)}</td>
                <td>{num(s.rps?.challenged)}</td>
                <td>{num(s.rps?.refused)}</td>
                <td>{num(s.rps?.shed)}</td>
                <td>{s.visitors_served === null ? <span class="hint">no cleared visitors</span> : pct(s.visitors_served)}</td>
                <td>
                  {s.origin.healthy} of {s.origin.total}
                </td>
                <td>
                  {num(s.origin.in_flight, 0)} / {num(s.origin.limit, 0)}
                  {s.origin.queued ? <span class="hint"> ({s.origin.queued} queued)</span> : null}
                </td>
                <td>{s.incident ? <a href={`#/incident/${encodeURIComponent(s.incident)}`}>open incident</a> : 'none'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      <div class="grid">
        {sites.slice(0, 24).map((s) => {
          const h = history.bySite[s.site];
          return h ? (
            <Chart
              key={s.site}
              id={`overview-chart-${s.site}`}
              title={`${s.site}: requests per second`}
              xs={history.xs}
              levels={h.levels}
              height={120}
              series={[
                { label: 'all', color: '#1f4e9c', values: h.total, unit: ' req/s' },
                { label: 'served', color: '#1b7f3a', values: h.served, unit: ' req/s', dash: true },
              ]}
            />
          ) : null;
        })}
      </div>
    </main>
  );
}
