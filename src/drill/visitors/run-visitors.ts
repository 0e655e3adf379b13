/**
 * Runs simulated real visitors alongside an attack, measured apart from it: each visitor has its own
 * source address (from {@link VISITOR_BLOCK}, never shared with attackers), visits, waits a jittered think
 * time, and visits again, until the request budget, the duration, or the caller's signal stops them all.
 *
 * Two groups of browsers besides the usual ones: *onset* browsers arrive (first visit) at a given moment
 * — the drill puts it in the first seconds of the attack — each from a new address, on pages that cannot
 * be cached; *shared* browsers are several people behind one address (a NAT), each with their own cookie
 * jar and connections. Every logical request also goes into a bounded timeline (visitor-timeline.ts).
 */
import { resolveLoopbackTarget } from '../loopback-guard.ts';
import { createSourcePool, requireIPv4Target, sourceAddress, VISITOR_BLOCK, type SourcePool, type SourceRange } from '../source-pool.ts';
import { checkBounds, sleep, startBoundedRun, type AttackBounds, type StoppedBy } from '../attackers/bounds.ts';
import { createRandom } from '../attackers/traffic-shapes.ts';
import type { ChallengeDetector } from '../answer-outcome.ts';
import type { Agent, Dispatcher } from 'undici';
import { undici } from '../../runtime/undici-modules.ts';
import { createCookieJar } from './cookie-jar.ts';
import { createVisitorTimeline, type VisitorGroup, type VisitorSample } from './visitor-timeline.ts';
import { combineVisitorStats, createVisitorRecorder, type VisitorKind, type VisitorRecorder, type VisitorStats } from './visitor-stats.ts';
import type { LogicalResult, VisitorClient } from './visitor-http.ts';
import { recordInto, type Visitor, type VisitorDeps } from './visitor.ts';
import { createBrowserVisitor, type BrowserVisitorOptions } from './browser.ts';
import { createNoJsVisitor, type NoJsVisitorOptions } from './nojs.ts';
import { createApiVisitor, type ApiVisitorOptions } from './api.ts';
import { powSolveFigures, type PowSolveFigures } from './pow-off-thread.ts';

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
  /** Browsers whose first visit comes `arriveAfterMs` (+ up to `spreadMs`) after the start, each from a new address. */
  readonly onset?: { readonly browsers: number; readonly arriveAfterMs: number; readonly spreadMs: number; readonly browser?: BrowserVisitorOptions };
  /** Browsers all behind one source address (each its own cookie jar and two connections), thinking `thinkTimeMs`. */
  readonly shared?: { readonly browsers: number; readonly thinkTimeMs?: number };
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
  /** The onset and shared-address browsers (also counted in `byKind.browser` and `overall`). */
  readonly byGroup: Readonly<Record<Exclude<VisitorGroup, 'regular'>, VisitorStats>>;
  /** Every logical request's start and end, for the report's phases and onset figure. */
  readonly timeline: readonly VisitorSample[];
  readonly timelineDropped: number;
  /** The address the shared browsers used, when there were any. */
  readonly sharedAddress: string | null;
  readonly durationMs: number;
  readonly stoppedBy: StoppedBy;
  /**
   * The browsers' proof-of-work solves on this machine's worker threads during the run (pow-off-thread.ts):
   * how long they waited for a core, apart from Bulwark's answers.
   */
  readonly solver: PowSolveFigures;
}

/** Runs the visitors until a bound or the signal stops them; requests cut short are not counted. */
export async function runVisitors(options: VisitorsOptions): Promise<VisitorsResult> {
  const counts: Record<VisitorKind, number> = { browser: options.browsers ?? 5, nojs: options.nojs ?? 2, api: options.api ?? 2 };
  const groups = { onset: options.onset?.browsers ?? 0, shared: options.shared?.browsers ?? 0 };
  const total = counts.browser + counts.nojs + counts.api + groups.onset + groups.shared;
  const bounds = checkBounds({ ...options.bounds, maxSockets: Math.max(total * 2, options.bounds.maxSockets ?? 256) });
  const site = await resolveLoopbackTarget(options.target);
  requireIPv4Target(site);
  const pool = options.pool ?? createSourcePool({ maxAgents: Math.max(1, total), connectionsPerAgent: 2 });
  const run = startBoundedRun(bounds, options.signal);
  const recorders: Record<VisitorKind, VisitorRecorder> = {
    browser: createVisitorRecorder('browser'),
    nojs: createVisitorRecorder('nojs'),
    api: createVisitorRecorder('api'),
  };
  const groupRecorders = { onset: createVisitorRecorder('browser'), shared: createVisitorRecorder('browser') };
  const timeline = createVisitorTimeline(bounds.maxRequests);
  const random = createRandom(options.seed);
  const startedMs = Date.now();
  let budget = bounds.maxRequests;
  const mayRequest = (): boolean => !run.signal.aborted && budget-- > 0;
  const built = buildVisitors({ options, counts, groups, site, pool, recorders, groupRecorders, timeline: (s) => timeline.add(s), random, signal: run.signal });
  const think = options.thinkTimeMs ?? 1000;
  try {
    await Promise.all(
      built.entries.map(async (e, i) => {
        const thinkMs = e.thinkMs ?? think;
        await sleep(e.startAfterMs ?? random() * thinkMs * (i === 0 ? 0 : 1), run.signal); // spread first visits
        while (!run.signal.aborted && budget > 0) {
          await e.visitor.visit(mayRequest);
          await sleep(thinkMs * (0.5 + random()), run.signal);
        }
      }),
    );
    if (!run.signal.aborted) run.finish();
  } finally {
    run.dispose();
    await built.close();
    if (!options.pool) await pool.destroy();
  }
  const byKind = {
    browser: recorders.browser.stats(counts.browser + groups.onset + groups.shared),
    nojs: recorders.nojs.stats(counts.nojs),
    api: recorders.api.stats(counts.api),
  };
  const overall = combineVisitorStats([
    { recorder: recorders.browser, visitors: counts.browser + groups.onset + groups.shared },
    { recorder: recorders.nojs, visitors: counts.nojs },
    { recorder: recorders.api, visitors: counts.api },
  ]);
  return {
    overall,
    byKind,
    byGroup: { onset: groupRecorders.onset.stats(groups.onset), shared: groupRecorders.shared.stats(groups.shared) },
    timeline: timeline.samples(),
    timelineDropped: timeline.dropped(),
    sharedAddress: built.sharedAddress,
    durationMs: Math.round(run.elapsedMs()),
    stoppedBy: run.stoppedBy(),
    solver: powSolveFigures(startedMs),
  };
}

interface BuildArgs {
  readonly options: VisitorsOptions;
  readonly counts: Record<VisitorKind, number>;
  readonly groups: { readonly onset: number; readonly shared: number };
  readonly site: URL;
  readonly pool: SourcePool;
  readonly recorders: Record<VisitorKind, VisitorRecorder>;
  readonly groupRecorders: Record<'onset' | 'shared', VisitorRecorder>;
  readonly timeline: (sample: VisitorSample) => void;
  readonly random: () => number;
  readonly signal: AbortSignal;
}

/** A visitor and when it starts: its first visit after `startAfterMs` (default: a jittered think time). */
interface Entry {
  readonly visitor: Visitor;
  readonly startAfterMs?: number;
  readonly thinkMs?: number;
}

/** What the timeline and a group's recorder get from each logical request. */
function sinkFor(a: BuildArgs, kind: VisitorKind, group: VisitorGroup): (r: LogicalResult, asset: boolean) => void {
  const groupRecorder = group === 'regular' ? null : a.groupRecorders[group];
  return (r, asset) => {
    if (groupRecorder !== null) recordInto(groupRecorder, r);
    a.timeline({ kind, group, asset, startMs: r.startedAtMs, latencyMs: r.latencyMs, served: r.served, outcome: r.outcome, retries: r.retries });
  };
}

function clientFor(a: BuildArgs, localAddress: string, dispatcher: Dispatcher, keepsCookies: boolean): VisitorClient {
  return { site: a.site, dispatcher, localAddress, jar: keepsCookies ? createCookieJar() : undefined, timeoutMs: a.options.requestTimeoutMs ?? 10_000, signal: a.signal };
}

function buildVisitors(a: BuildArgs): { entries: Entry[]; sharedAddress: string | null; close(): Promise<void> } {
  const range = a.options.sourceRange ?? { block: VISITOR_BLOCK };
  const entries: Entry[] = [];
  let n = 0;
  for (const kind of ['browser', 'nojs', 'api'] as const) {
    for (let index = 0; index < a.counts[kind]; index++) {
      const localAddress = sourceAddress(n++, range);
      const keepsCookies = kind === 'browser' || (kind === 'nojs' && a.options.nojsOptions?.keepCookies === true);
      const deps: VisitorDeps = { client: clientFor(a, localAddress, a.pool.agentFor(localAddress), keepsCookies), recorder: a.recorders[kind], index, random: a.random, isChallenge: a.options.isChallenge, sink: sinkFor(a, kind, 'regular') };
      if (kind === 'browser') entries.push({ visitor: createBrowserVisitor(deps, a.options.browser) });
      else if (kind === 'nojs') entries.push({ visitor: createNoJsVisitor(deps, a.options.nojsOptions) });
      else entries.push({ visitor: createApiVisitor(deps, a.options.apiOptions) });
    }
  }
  const onset = a.options.onset;
  for (let index = 0; index < a.groups.onset; index++) {
    const localAddress = sourceAddress(n++, range);
    const deps: VisitorDeps = { client: clientFor(a, localAddress, a.pool.agentFor(localAddress), true), recorder: a.recorders.browser, index, random: a.random, isChallenge: a.options.isChallenge, sink: sinkFor(a, 'browser', 'onset') };
    const startAfterMs = onset!.arriveAfterMs + (a.groups.onset <= 1 ? 0 : (index / (a.groups.onset - 1)) * onset!.spreadMs);
    entries.push({ visitor: createBrowserVisitor(deps, { ...a.options.browser, ...onset!.browser }), startAfterMs });
  }
  let shared: Agent | null = null;
  let sharedAddress: string | null = null;
  if (a.groups.shared > 0) {
    sharedAddress = sourceAddress(n++, range);
    // One address, the connections of all its people (two each), as through a NAT.
    shared = new (undici().Agent)({ localAddress: sharedAddress, connections: 2 * a.groups.shared, keepAliveTimeout: 4_000, connectTimeout: 5_000 });
    for (let index = 0; index < a.groups.shared; index++) {
      const deps: VisitorDeps = { client: clientFor(a, sharedAddress, shared, true), recorder: a.recorders.browser, index, random: a.random, isChallenge: a.options.isChallenge, sink: sinkFor(a, 'browser', 'shared') };
      entries.push({ visitor: createBrowserVisitor(deps, a.options.browser), thinkMs: a.options.shared?.thinkTimeMs });
    }
  }
  return { entries, sharedAddress, close: async () => void (await shared?.destroy().catch(() => undefined)) };
}
