import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { errorText, LevelBadge, Notice, TableBox } from '../components.tsx';
import { duration, num, time } from '../format.ts';

export interface IncidentHead {
  readonly id: string;
  readonly site: string;
  readonly status: string;
  readonly opened_at_ms: number;
  readonly duration_s: number | null;
  readonly peak_level: string;
  readonly severity: string;
  readonly peak_rps: number;
  readonly total_requests: number;
  readonly distinct_sources: number;
  readonly linked_to: string | null;
  readonly link_verdict: string | null;
}

/** Incidents, newest first. */
export function Incidents() {
  const [list, setList] = useState<IncidentHead[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ incidents: IncidentHead[] }>('/incidents?limit=200')
      .then((r) => setList(r.incidents))
      .catch((e) => setError(errorText(e)));
  }, []);
  return (
    <main id="main">
      <h1>Incidents</h1>
      {error && <Notice kind="error">{error}</Notice>}
      <TableBox label="Incidents">
        <table>
          <caption>{list === null ? 'Loading…' : `${list.length} incidents, newest first`}</caption>
          <thead>
            <tr>
              <th scope="col">Opened</th>
              <th scope="col">Site</th>
              <th scope="col">Status</th>
              <th scope="col">Peak level</th>
              <th scope="col">Severity</th>
              <th scope="col">Duration</th>
              <th scope="col">Peak req/s</th>
              <th scope="col">Sources</th>
              <th scope="col">Recurrence</th>
            </tr>
          </thead>
          <tbody>
            {(list ?? []).map((i) => (
              <tr key={i.id}>
                <td>
                  <a href={`#/incident/${encodeURIComponent(i.id)}`}>{time(i.opened_at_ms)}</a>
                </td>
                <td>{i.site}</td>
                <td>{i.status}</td>
                <td>
                  <LevelBadge level={i.peak_level} />
                </td>
                <td>{i.severity}</td>
                <td>{duration(i.duration_s)}</td>
                <td>{num(i.peak_rps)}</td>
                <td>{num(i.distinct_sources, 0)}</td>
                <td>{i.linked_to ? <a href={`#/incident/${encodeURIComponent(i.linked_to)}`}>{(i.link_verdict ?? 'linked').replace('_', ' ')}</a> : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </main>
  );
}
