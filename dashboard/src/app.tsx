/**
 * The dashboard app: session, hash routes (#/, #/site/NAME, #/levels, #/bans, #/incidents,
 * #/incident/ID, #/audit, #/config), and the live feed that updates the overview and the open site page
 * every second.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { currentSession, get, logout, type Session } from './api.ts';
import { useLive, type SiteFrame, type SiteOverview, type Tick } from './live.ts';
import { AuditPage } from './pages/audit.tsx';
import { Bans } from './pages/bans.tsx';
import { ConfigPage } from './pages/config.tsx';
import { IncidentPage } from './pages/incident.tsx';
import { Incidents } from './pages/incidents.tsx';
import { Levels } from './pages/levels.tsx';
import { Login } from './pages/login.tsx';
import { Overview, type OverviewHistory } from './pages/overview.tsx';
import { SitePage, type History } from './pages/site.tsx';

type Route = { page: 'overview' | 'levels' | 'bans' | 'incidents' | 'audit' | 'config' } | { page: 'site'; name: string } | { page: 'incident'; id: string };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'site' && parts[1]) return { page: 'site', name: parts[1] };
  if (parts[0] === 'incident' && parts[1]) return { page: 'incident', id: parts[1] };
  if (['levels', 'bans', 'incidents', 'audit', 'config'].includes(parts[0] ?? '')) return { page: parts[0] as 'levels' };
  return { page: 'overview' };
}

const MAX_POINTS = 900;
const OVERVIEW_POINTS = 300;

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

interface SiteData {
  readonly name: string;
  readonly history: History;
  readonly frame: SiteFrame;
}

function appendSample(h: History, sample: Record<string, number | null>): History {
  const last = h.t?.[h.t.length - 1];
  if (sample.t === null || sample.t === undefined || (last !== undefined && last !== null && sample.t <= last)) return h;
  const out: History = {};
  for (const [k, col] of Object.entries(h)) {
    const next = [...col, sample[k] ?? null];
    out[k] = next.length > MAX_POINTS ? next.slice(next.length - MAX_POINTS) : next;
  }
  return out;
}

const NAV: Array<[string, string]> = [
  ['#/', 'Overview'],
  ['#/levels', 'Levels'],
  ['#/bans', 'Bans'],
  ['#/incidents', 'Incidents'],
  ['#/audit', 'Audit'],
  ['#/config', 'Config'],
];

function Dashboard({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const route = useRoute();
  const siteName = route.page === 'site' ? route.name : null;
  const [overview, setOverview] = useState<{ time: string | null; sites: SiteOverview[] }>({ time: null, sites: [] });
  const [ovHistory, setOvHistory] = useState<OverviewHistory>({ xs: [], bySite: {} });
  const [site, setSite] = useState<SiteData | null>(null);

  const loadSite = useCallback(() => {
    if (siteName === null) return;
    get<{ history: History; overview: SiteOverview } & SiteFrame>(`/api/site?name=${encodeURIComponent(siteName)}`)
      .then((r) => setSite({ name: siteName, history: r.history, frame: { sample: null, detector: r.detector, top: r.top, rules: r.rules, challenge_rules: r.challenge_rules } }))
      .catch(() => setSite(null));
  }, [siteName]);
  const loadOverview = useCallback(() => {
    get<{ time: string; sites: SiteOverview[] }>('/api/overview').then(setOverview).catch(() => undefined);
  }, []);

  useEffect(() => {
    setSite(null);
    loadSite();
  }, [siteName]);
  useEffect(() => {
    loadOverview();
    // Fill the overview charts with the last five minutes, then keep them live.
    get<{ sites: SiteOverview[] }>('/api/overview')
      .then(async (o) => {
        const parts = await Promise.all(o.sites.slice(0, 24).map((s) => get<{ history: History }>(`/api/site?name=${encodeURIComponent(s.site)}&seconds=${OVERVIEW_POINTS}`).then((r) => [s.site, r.history] as const)));
        const xs = (parts[0]?.[1].t ?? []) as number[];
        const bySite: OverviewHistory['bySite'] = {};
        for (const [name, h] of parts) bySite[name] = { total: h.requests as number[], served: h.served as number[], levels: h.level as number[] };
        setOvHistory({ xs, bySite });
      })
      .catch(() => undefined);
  }, []);

  const onTick = (t: Tick) => {
    setOverview(t.overview);
    setOvHistory((h) => {
      const x = t.overview.sites.find((s) => s.now)?.now?.t ?? Math.floor(Date.parse(t.overview.time) / 1000) - 1;
      if (h.xs.length > 0 && x <= h.xs[h.xs.length - 1]!) return h;
      const cut = <T,>(a: T[]) => (a.length > OVERVIEW_POINTS ? a.slice(a.length - OVERVIEW_POINTS) : a);
      const bySite: OverviewHistory['bySite'] = {};
      for (const s of t.overview.sites) {
        const old = h.bySite[s.site] ?? { total: h.xs.map(() => 0), served: h.xs.map(() => 0), levels: h.xs.map(() => 0) };
        const lv = { normal: 0, elevated: 1, under_attack: 2 }[s.level] ?? 0;
        bySite[s.site] = { total: cut([...old.total, s.now?.requests ?? 0]), served: cut([...old.served, s.now?.served ?? 0]), levels: cut([...old.levels, lv]) };
      }
      return { xs: cut([...h.xs, x]), bySite };
    });
    if (t.site && siteName !== null) {
      setSite((s) => (s === null || s.name !== siteName ? s : { name: s.name, history: t.site!.sample ? appendSample(s.history, t.site!.sample) : s.history, frame: t.site! }));
    }
  };
  const connected = useLive(siteName, onTick, onLogout);
  const refresh = () => {
    loadOverview();
    loadSite();
  };

  let page;
  switch (route.page) {
    case 'site':
      page = <SitePage name={route.name} role={session.role} overview={overview.sites.find((s) => s.site === route.name)} history={site?.history ?? null} frame={site?.frame ?? null} refresh={refresh} />;
      break;
    case 'levels':
      page = <Levels sites={overview.sites} role={session.role} refresh={refresh} />;
      break;
    case 'bans':
      page = <Bans role={session.role} />;
      break;
    case 'incidents':
      page = <Incidents />;
      break;
    case 'incident':
      page = <IncidentPage id={route.id} />;
      break;
    case 'audit':
      page = <AuditPage />;
      break;
    case 'config':
      page = <ConfigPage />;
      break;
    default:
      page = <Overview sites={overview.sites} history={ovHistory} time={overview.time} />;
  }
  const current = route.page === 'incident' ? '#/incidents' : route.page === 'overview' || route.page === 'site' ? '#/' : `#/${route.page}`;
  return (
    <>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          // Hash links are routes here: move the focus instead of following the link.
          e.preventDefault();
          const m = document.getElementById('main');
          m?.setAttribute('tabindex', '-1');
          m?.focus();
        }}
      >
        Skip to content
      </a>
      <header>
        <span class="brand">Bulwark</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([href, label]) => (
              <li key={href}>
                <a href={href} aria-current={href === current ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <span role="status" class={connected ? 'live on' : 'live'}>
            {connected ? 'Live' : 'Reconnecting…'}
          </span>{' '}
          <span>
            {session.name} ({session.role})
          </span>{' '}
          <button type="button" class="secondary" onClick={() => void logout().finally(onLogout)}>
            Log out
          </button>
        </div>
      </header>
      {page}
      <footer>
        <p>ASN data: RouteViews and DB-IP (CC BY 4.0). Everything on this page comes from this Bulwark; nothing is loaded from elsewhere.</p>
      </footer>
    </>
  );
}

/** The app: the login form until a session exists, then the dashboard. */
export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useEffect(() => {
    currentSession()
      .then(setSession)
      .catch(() => setSession(null));
  }, []);
  if (session === undefined) return <main id="main"><p role="status">Loading…</p></main>;
  if (session === null) return <Login onLogin={setSession} />;
  return <Dashboard session={session} onLogout={() => setSession(null)} />;
}
