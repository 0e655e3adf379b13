import { useEffect, useState } from 'preact/hooks';
import { canOperate, get, send, type Role } from '../api.ts';
import { errorText, Notice, TableBox } from '../components.tsx';
import { time } from '../format.ts';

interface Ban {
  readonly key: string;
  readonly scope: string;
  readonly reason: string;
  readonly by: string;
  readonly untilMs: number;
  readonly source: string;
}

/** Bans: search, add with reason and expiry, lift. */
export function Bans({ role }: { role: Role }) {
  const [bans, setBans] = useState<Ban[] | null>(null);
  const [filter, setFilter] = useState('');
  const [key, setKey] = useState('');
  const [duration, setDuration] = useState('1h');
  const [reason, setReason] = useState('');
  const [force, setForce] = useState(false);
  const [msg, setMsg] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const load = () =>
    get<{ bans: Ban[] }>('/bans')
      .then((r) => setBans(r.bans))
      .catch((err) => setMsg({ kind: 'error', text: errorText(err) }));
  useEffect(() => void load(), []);
  const add = async (e: Event) => {
    e.preventDefault();
    try {
      const r = await send<{ ban: Ban }>('POST', '/bans', { key: key.trim(), duration, ...(reason ? { reason } : {}), ...(force ? { force: true } : {}) });
      setMsg({ kind: 'ok', text: `Banned ${r.ban.key} until ${time(r.ban.untilMs)}` });
      setKey('');
      setReason('');
      setForce(false);
      await load();
    } catch (err) {
      setMsg({ kind: 'error', text: errorText(err) });
    }
  };
  const lift = async (k: string) => {
    try {
      await send('DELETE', `/bans?key=${encodeURIComponent(k)}`);
      setMsg({ kind: 'ok', text: `Lifted the ban on ${k}` });
      await load();
    } catch (err) {
      setMsg({ kind: 'error', text: errorText(err) });
    }
  };
  const shown = (bans ?? []).filter((b) => b.key.includes(filter.trim()) || b.reason.toLowerCase().includes(filter.trim().toLowerCase()));
  return (
    <main id="main">
      <h1>Bans</h1>
      {canOperate(role) && (
        <form class="ban-form" onSubmit={add}>
          <fieldset>
            <legend>Ban an address or network</legend>
            <div class="row">
              <label for="ban-key">Address or prefix</label>
              <input id="ban-key" required value={key} placeholder="203.0.113.0/24" onInput={(e) => setKey((e.target as HTMLInputElement).value)} aria-describedby="ban-hint" />
            </div>
            <p id="ban-hint" class="hint">
              Wider than /8 (IPv4) or /16 (IPv6), or covering loopback, your own address, an allow list or a trusted proxy, is refused unless forced.
            </p>
            <div class="row">
              <label for="ban-for">For</label>
              <input id="ban-for" size={6} value={duration} onInput={(e) => setDuration((e.target as HTMLInputElement).value)} />
              <label for="ban-reason">Reason</label>
              <input id="ban-reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
            </div>
            <div class="row">
              <input id="ban-force" type="checkbox" checked={force} onChange={(e) => setForce((e.target as HTMLInputElement).checked)} />
              <label for="ban-force">Force (I mean this wide or protected range)</label>
            </div>
            <button type="submit">Ban</button>
          </fieldset>
        </form>
      )}
      {msg && <Notice kind={msg.kind}>{msg.text}</Notice>}
      <div class="row">
        <label for="ban-search">Search</label>
        <input id="ban-search" type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      </div>
      <TableBox label="Active bans">
        <table>
          <caption>
            {bans === null ? 'Loading…' : `${shown.length} of ${bans.length} active bans`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">By</th>
              <th scope="col">Until</th>
              <th scope="col">Reason</th>
              {canOperate(role) ? <th scope="col">Lift</th> : null}
            </tr>
          </thead>
          <tbody>
            {shown.map((b) => (
              <tr key={b.key}>
                <td class="key">{b.key}</td>
                <td>{b.source === 'manual' ? 'operator' : `automatic (${b.by})`}</td>
                <td>{time(b.untilMs)}</td>
                <td>{b.reason}</td>
                {canOperate(role) ? (
                  <td>
                    <button type="button" class="secondary" onClick={() => lift(b.key)} aria-label={`Lift the ban on ${b.key}`}>
                      Lift
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
    </main>
  );
}
