import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.ts';
import { errorText, Notice, TableBox } from '../components.tsx';
import { time } from '../format.ts';

interface Attempt {
  readonly atMs: number;
  readonly by: string;
  readonly generation?: number;
  readonly problems?: Array<{ path: string; message: string; line?: number }>;
  readonly error?: string;
}

interface ConfigView {
  readonly file: string | null;
  readonly generation: number;
  readonly config: unknown;
  readonly reloads: { last_applied: Attempt | null; last_refused: Attempt | null };
  readonly reload_history: Array<{ id: number; time: string; actor: string; outcome: string; detail: { problems?: Array<{ path: string; message: string }> } | null }>;
}

/** The running config (secrets masked), its last reload and why a reload was refused. */
export function ConfigPage() {
  const [c, setC] = useState<ConfigView | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    get<ConfigView>('/api/config')
      .then(setC)
      .catch((e) => setError(errorText(e)));
  }, []);
  if (error) return <main id="main"><h1>Config</h1><Notice kind="error">{error}</Notice></main>;
  if (c === null) return <main id="main"><h1>Config</h1><p role="status">Loading…</p></main>;
  const r = c.reloads;
  return (
    <main id="main">
      <h1>Config</h1>
      <p>
        {c.file ? <>From <code>{c.file}</code>, </> : 'Started without a file, '}generation {c.generation}.{' '}
        {r.last_applied ? `Last reloaded ${time(r.last_applied.atMs)} by ${r.last_applied.by}.` : 'Not reloaded since start.'}
      </p>
      {r.last_refused && (
        <Notice kind="error">
          The reload of {time(r.last_refused.atMs)} (by {r.last_refused.by}) was refused{r.last_refused.error ? ` (${r.last_refused.error})` : ''}:{' '}
          {(r.last_refused.problems ?? []).map((p) => `${p.path}: ${p.message}`).join('; ') || 'see the log'}. The previous config keeps running.
        </Notice>
      )}
      <h2>Reloads</h2>
      <TableBox label="Reload history">
        <table>
          <caption>The last 20 reloads, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">By</th>
              <th scope="col">Outcome</th>
              <th scope="col">Problems</th>
            </tr>
          </thead>
          <tbody>
            {c.reload_history.map((e) => (
              <tr key={e.id}>
                <td>{time(e.time)}</td>
                <td>{e.actor}</td>
                <td>{e.outcome === 'ok' ? 'applied' : 'refused'}</td>
                <td>{(e.detail?.problems ?? []).map((p) => `${p.path}: ${p.message}`).join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      <h2>Running config</h2>
      <pre class="config" aria-label="Running config">{JSON.stringify(c.config, null, 2)}</pre>
    </main>
  );
}
