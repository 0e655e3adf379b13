/**
 * Runs simulated real visitors alongside an attack, measured apart from it: each visitor has its own
 * source address (from {@link VISITOR_BLOCK}, never shared with attackers), visits, waits a jittered think
 * time, and visits again, until the request budget, the duration, or the caller's signal stops them all.
 */
import { resolveLoopbackTarget } from '../loopback-guard.ts';
import { createSourcePool, requireIPv4Target, sourceAddress, VISITOR_BLOCK, type SourcePool, type SourceRange } from '../source-pool.ts';
import { checkBounds, sleep, startBoundedRun, type AttackBounds, type StoppedBy } from '../attackers/bounds.ts';
import { createRandom } from '../attackers/traffic-shapes.ts';
import type { ChallengeDetector } from '../answer-outcome.ts';
import { createCookieJar } from './cookie-jar.ts';
import { combineVisitorStats, createVisitorRecorder, type VisitorKind, type VisitorRecorder, type VisitorStats } from './visitor-stats.ts';
import type { VisitorClient } from './visitor-http.ts';
import type { Visitor, VisitorDeps } from './visitor.ts';
import { createBrowserVisitor, type BrowserVisitorOptions } from './browser.ts';
import { createNoJsVisitor, type NoJsVisitorOptions } from './nojs.ts';
import { createApiVisitor, type ApiVisitorOptions } from './api.ts';

/** Options of {@link runVisitors}. */
export interface VisitorsOptions {
  /** Loopback URL of the site. */
  readonly target: string;
  /** Number of visitors of each kind. Default 5 browsers, 2 no-JS, 2 API. */
  readonly browsers?: number;
  readonly nojs?: number;
  readonly api?: number;
  readonly browser?: BrowserVisitorOptions;
  readonly nojsOptions?: NoJsVisitorOptions & { readonly keepCookies?: boolean };
  readonly apiOptions?: ApiVisitorOptions;
  /** Mean pause between one visitor's visits (±50 % jitter). Default 1000 ms. */
  readonly thinkTimeMs?: number;
  /** Per-request deadline (headers, body gaps). Default 10 000 ms. */
  readonly requestTimeoutMs?: number;
  /** Default per_address in {@link VISITOR_BLOCK}. */
  readonly sourceRange?: SourceRange;
  readonly isChallenge?: ChallengeDetector;
  readonly seed?: number;
  /** A pool to share; by default the run makes and closes its own. */
  readonly pool?: SourcePool;
  /** maxRequests counts logical requests of all visitors together. */
  readonly bounds: AttackBounds;
  readonly signal?: AbortSignal;
}

/** The visitors' figures. */
export interface VisitorsResult {
  readonly overall: VisitorStats;
  readonly byKind: Readonly<Record<VisitorKind, VisitorStats>>;
  readonly durationMs: number;
  readonly stoppedBy: StoppedBy;
}

/** Runs the visitors until a bound or the signal stops them; requests cut short are not counted. */
export async function runVisitors(options: VisitorsOptions): Promise<VisitorsResult> {
  const counts: Record<VisitorKind, number> = { browser: options.browsers ?? 5, nojs: options.nojs ?? 2, api: options.api ?? 2 };
  const total = counts.browser + counts.nojs + counts.api;
  const bounds = checkBounds({ ...options.bounds, maxSockets: Math.max(total, options.bounds.maxSockets ?? 256) });
  const site = await resolveLoopbackTarget(options.target);
  requireIPv4Target(site);
  const pool = options.pool ?? createSourcePool({ maxAgents: Math.max(1, total), connectionsPerAgent: 2 });
  const run = startBoundedRun(bounds, options.signal);
  const recorders: Record<VisitorKind, VisitorRecorder> = {
    browser: createVisitorRecorder('browser'),
    nojs: createVisitorRecorder('nojs'),
    api: createVisitorRecorder('api'),
  };
  const random = createRandom(options.seed);
  let budget = bounds.maxRequests;
  const mayRequest = (): boolean => !run.signal.aborted && budget-- > 0;
  const visitors = buildVisitors({ options, counts, site, pool, recorders, random, signal: run.signal });
  const think = options.thinkTimeMs ?? 1000;
  try {
    await Promise.all(
      visitors.map(async (v, i) => {
        await sleep(random() * think * (i === 0 ? 0 : 1), run.signal); // spread first visits
        while (!run.signal.aborted && budget > 0) {
          await v.visit(mayRequest);
          await sleep(think * (0.5 + random()), run.signal);
        }
      }),
    );
    if (!run.signal.aborted) run.finish();
  } finally {
    run.dispose();
    if (!options.pool) await pool.destroy();
  }
  const byKind = {
    browser: recorders.browser.stats(counts.browser),
    nojs: recorders.nojs.stats(counts.nojs),
    api: recorders.api.stats(counts.api),
  };
  const overall = combineVisitorStats((Object.keys(counts) as VisitorKind[]).map((k) => ({ recorder: recorders[k], visitors: counts[k] })));
  return { overall, byKind, durationMs: Math.round(run.elapsedMs()), stoppedBy: run.stoppedBy() };
}

interface BuildArgs {
  readonly options: VisitorsOptions;
  readonly counts: Record<VisitorKind, number>;
  readonly site: URL;
  readonly pool: SourcePool;
  readonly recorders: Record<VisitorKind, VisitorRecorder>;
  readonly random: () => number;
  readonly signal: AbortSignal;
}

function buildVisitors(a: BuildArgs): Visitor[] {
  const range = a.options.sourceRange ?? { block: VISITOR_BLOCK };
  const out: Visitor[] = [];
  let n = 0;
  for (const kind of ['browser', 'nojs', 'api'] as const) {
    for (let index = 0; index < a.counts[kind]; index++) {
      const localAddress = sourceAddress(n++, range);
      const keepsCookies = kind === 'browser' || (kind === 'nojs' && a.options.nojsOptions?.keepCookies === true);
      const client: VisitorClient = {
        site: a.site,
        dispatcher: a.pool.agentFor(localAddress),
        localAddress,
        jar: keepsCookies ? createCookieJar() : undefined,
        timeoutMs: a.options.requestTimeoutMs ?? 10_000,
        signal: a.signal,
      };
      const deps: VisitorDeps = { client, recorder: a.recorders[kind], index, random: a.random, isChallenge: a.options.isChallenge };
      if (kind === 'browser') out.push(createBrowserVisitor(deps, a.options.browser));
      else if (kind === 'nojs') out.push(createNoJsVisitor(deps, a.options.nojsOptions));
      else out.push(createApiVisitor(deps, a.options.apiOptions));
    }
  }
  return out;
}
