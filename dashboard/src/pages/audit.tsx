import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { errorText, Notice, TableBox } from '../components.tsx';
import { time } from '../format.ts';

interface Entry {
  readonly id: number;
  readonly time: string;
  readonly actor: string;
  readonly role: string | null;
  readonly action: string;
  readonly target: string | null;
  readonly source: string;
  readonly outcome: string;
}

/** The audit log: who changed what, when, from where. */
export function AuditPage() {
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [action, setAction] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<{ entries: Entry[] }>(`/audit?limit=200${action ? `&action=${encodeURIComponent(action)}` : ''}`)
      .then((r) => setEntries(r.entries))
      .catch((e) => setError(errorText(e)));
  }, [action]);
  return (
    <main id="main">
      <h1>Audit log</h1>
      <div class="row">
        <label for="audit-action">Action</label>
        <select id="audit-action" value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value)}>
          <option value="">all</option>
          <option value="ban.">bans</option>
          <option value="level.">levels</option>
          <option value="rule.">rules</option>
          <option value="token.">tokens</option>
          <option value="login">logins</option>
          <option value="config.">config reloads</option>
        </select>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      <TableBox label="Audit entries">
        <table>
          <caption>{entries === null ? 'Loading…' : `The last ${entries.length} entries, newest first`}</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">From</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {(entries ?? []).map((e) => (
              <tr key={e.id}>
                <td>{time(e.time)}</td>
                <td>{e.actor}</td>
                <td>{e.action}</td>
                <td class="key">{e.target ?? ''}</td>
                <td>{e.source}</td>
                <td>{e.outcome}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </main>
  );
}
