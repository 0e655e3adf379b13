import { canOperate, type Role } from '../api.ts';
import { LevelBadge, LevelForm, TableBox } from '../components.tsx';
import { time } from '../format.ts';
import type { SiteOverview } from '../live.ts';

/** Threat levels: each site's level, its override, and the form to override it or give it back. */
export function Levels({ sites, role, refresh }: { sites: readonly SiteOverview[]; role: Role; refresh: () => void }) {
  return (
    <main id="main">
      <h1>Threat levels</h1>
      <TableBox label="Levels">
        <table>
          <caption>Each site's level now, set by the detector unless overridden</caption>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Level</th>
              <th scope="col">Detector says</th>
              <th scope="col">Override</th>
            </tr>
          </thead>
          <tbody>
            {sites.map((s) => (
              <tr key={s.site}>
                <th scope="row">{s.site}</th>
                <td>
                  <LevelBadge level={s.level} />
                </td>
                <td>{s.auto_level ? <LevelBadge level={s.auto_level} /> : 'detection off'}</td>
                <td>{s.override ? `${s.override.level.replace('_', ' ')} until ${time(s.override.until_ms)}${s.override.by ? ` (${s.override.by})` : ''}` : 'none'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableBox>
      {canOperate(role) && sites.map((s) => <LevelForm key={s.site} site={s.site} override={s.override} onDone={refresh} />)}
    </main>
  );
}
