/**
 * The live dashboard on the admin listener: the static app (static-assets.ts), its JSON views
 * (`GET /api/overview`, `GET /api/site?name=S`, `GET /api/config`) and its live feed (`GET /events`,
 * event-stream.ts), fed by a once-a-second sampler (live-history.ts) that runs from `start()` to
 * `stop()`. Every view needs the viewer role; changes go through the API's own routes (bans, mode,
 * rules), so the dashboard can do nothing an operator's token could not.
 */
import type { AuditStore } from '../../stores/index.ts';
import { auditView } from '../audit-routes.ts';
import { BulwarkError } from '../../errors.ts';
import type { RouteTable } from '../route-types.ts';
import { maskSecrets } from './config-view.ts';
import { createEventStreams, type EventStreamOptions, type EventStreams } from './event-stream.ts';
import { createLiveHistory, type LiveHistory, type SiteReading } from './live-history.ts';
import { staticRoutes } from './static-assets.ts';
import { createDashboardViews, type DashboardViews, type ViewDeps } from './views.ts';

/** What the dashboard needs from the running Bulwark. */
export interface DashboardOptions extends Omit<ViewDeps, 'history'> {
  /** One site's figures at the end of a second (for the sampler). */
  readonly reading: (site: string) => SiteReading;
  /** The running config (masked before it is shown) and the generation number. */
  readonly config: () => { readonly config: unknown; readonly generation: number; readonly file: string | null };
  /** The last applied and refused reloads. */
  readonly reloads: () => unknown;
  readonly audit: AuditStore;
  readonly streams?: EventStreamOptions;
  /** Where the built app is (default: found beside the bundle or in the checkout's dist/). */
  readonly buildDir?: string | null;
  /** Logs a failed tick once per error code. */
  readonly onError?: (err: unknown) => void;
}

/** The dashboard. */
export interface Dashboard {
  readonly routes: RouteTable;
  readonly history: LiveHistory;
  readonly views: DashboardViews;
  readonly streams: EventStreams;
  /** Starts the 1 Hz sampler and feed. */
  start(): void;
  /** Stops them and ends every stream. */
  stop(): void;
  /** One sample and one broadcast now (the timer calls it; tests may too). */
  tick(): Promise<void>;
}

function bad(message: string): never {
  throw new BulwarkError('BULWARK_ERR_ADMIN_INVALID', message, { source: 'operator', publicReason: message });
}

/** Creates the dashboard (see the module comment). */
export function createDashboard(o: DashboardOptions): Dashboard {
  const history = createLiveHistory();
  const views = createDashboardViews({ ...o, history });
  const streams = createEventStreams(o.sites, o.streams);
  let timer: NodeJS.Timeout | null = null;
  let running = false;

  async function tick(): Promise<void> {
    if (running) return;
    running = true;
    try {
      history.sample(o.sites(), o.reading);
      await streams.broadcast(() => views.overview(), (name) => views.siteFrame(name));
    } catch (err) {
      o.onError?.(err);
    } finally {
      running = false;
    }
  }

  function schedule(): void {
    // Just after each second boundary, so the sample reads the second that just ended.
    const delay = 1000 - (Date.now() % 1000) + 30;
    timer = setTimeout(() => {
      void tick().finally(() => timer !== null && schedule());
    }, delay);
    timer.unref();
  }

  const routes: RouteTable = {
    ...staticRoutes(o.buildDir === undefined ? undefined : o.buildDir),
    'GET /events': { access: 'viewer', stream: streams.route },
    'GET /api/overview': { access: 'viewer', handler: () => ({ status: 200, body: views.overview() }) },
    'GET /api/site': {
      access: 'viewer',
      handler: ({ url }) => {
        const name = url.searchParams.get('name');
        if (name === null) bad('give the site as ?name=');
        const seconds = Number(url.searchParams.get('seconds') ?? 900);
        if (!Number.isInteger(seconds) || seconds < 1 || seconds > 900) bad('seconds must be an integer 1..900');
        const view = views.site(name, seconds);
        return view === null ? { status: 404, body: { error: 'not_found', site: name } } : { status: 200, body: view };
      },
    },
    'GET /api/config': {
      access: 'viewer',
      handler: async () => {
        const c = o.config();
        const reloads = (await o.audit.list({ action: 'config.reload', limit: 20 })).map(auditView);
        return { status: 200, body: { file: c.file, generation: c.generation, config: maskSecrets(c.config), reloads: o.reloads(), reload_history: reloads } };
      },
    },
  };

  return {
    routes,
    history,
    views,
    streams,
    start() {
      if (timer === null) schedule();
    },
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      streams.closeAll();
    },
    tick,
  };
}
