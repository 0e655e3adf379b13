/**
 * `runDrill`: one scenario, start to finish, measured from both sides.
 *
 * Without `target` (managed mode) it starts an origin fixture with a fixed capacity that counts attack and
 * visitor requests apart (by source address), starts Bulwark as a child process in front of it (or a
 * reference: no protection, nginx), waits until it is ready, runs simulated real visitors (browsers that
 * solve the JavaScript challenge, clients without JavaScript that follow the no-JS path, API clients
 * with a key — all from the visitor block 127.250.0.0+) alone for a short warm-up and then alongside the
 * attack, and tears everything down — always, on error and on abort too. With `target` it refuses
 * anything not loopback, attacks that deployment, and takes the origin's figures from Bulwark's admin
 * `/stats` instead of the fixture. Every run is bounded in duration and request count, and stops by itself.
 */
import { randomInt } from 'node:crypto';
import { assertLoopbackTarget } from './loopback-guard.ts';
import { DrillError } from './errors.ts';
import { startOriginFixture, type OriginFixture } from './origin-fixture.ts';
import { classifyByRole } from './origin-fixture-counters.ts';
import { VISITOR_BLOCK } from './source-pool.ts';
import { createRateSeries, type RatePoint, type RateSeries } from './stats.ts';
import { checkBounds, HARD_CEILINGS, sleep } from './attackers/bounds.ts';
import { runVisitors, type VisitorsResult } from './visitors/run-visitors.ts';
import { createJsChallengeSolver, createNoJsChallengeSolver } from './visitors/challenge-solvers.ts';
import type { VisitorKind } from './visitors/visitor-stats.ts';
import { ONSET_WINDOW_MS } from './visitors/visitor-timeline.ts';
import type { Protector, ProtectorFactory, RestartEvent, StopResult } from './bulwark-process.ts';
import { bulwarkProtector } from './bulwark-protector.ts';
import { readBaseline, type BaselineFigures } from './scenarios/baseline-probe.ts';
import { findScenario } from './scenarios/index.ts';
import { forwardedSeries, observeAdmin, type AdminObserver } from './scenarios/admin-observer.ts';
import { ARTICLE_PAGES, newsroomFixture, PAGE_LATENCY_MS, visitorPaths, type OriginPages } from './scenarios/site.ts';
import type { DrillSettings, Scenario, ScenarioContext, ScenarioOutcome } from './scenarios/context.ts';
import { buildReport, type DrillReport } from './report.ts';

/** Options of {@link runDrill}; everything but `scenario` has a default (the scenario's, then these). */
export interface DrillOptions {
  /** Scenario name (see `bulwark drill --list`) or object. */
  readonly scenario: string | Scenario;
  /** bulwark.yaml path or config data for the Bulwark the drill starts; default the demo config. */
  readonly config?: string | Readonly<Record<string, unknown>>;
  /** Site of the config to drill (default the first). */
  readonly site?: string;
  /** URL of an already running deployment (loopback only); then nothing is started. */
  readonly target?: string;
  /** Admin URL of that deployment (loopback only), for origin figures from its /stats. */
  readonly admin?: string;
  readonly durationS?: number;
  /** Attack requests per second (connections per second for connection attacks). */
  readonly rate?: number;
  readonly sources?: number;
  /** The origin fixture's capacity (concurrent requests). Default 64. With `target`: as declared, else unknown. */
  readonly capacity?: number;
  /** Attack requests at most. Default rate × duration × 1.1. */
  readonly maxRequests?: number;
  /** Attack sockets at most. Default the scenario's, else 512. */
  readonly maxSockets?: number;
  /**
   * Simulated visitors by kind. Default 6 browsers, 2 no-JS, 2 API, plus 4 browsers arriving during the
   * attack's first seconds on pages that cannot be cached (`onset`) and 10 browsers behind one shared
   * address (`shared`).
   */
  readonly visitors?: { readonly browsers?: number; readonly nojs?: number; readonly api?: number; readonly onset?: number; readonly shared?: number };
  /** The origin fixture's pages: the newsroom's own caching (default), or every page `private, no-store`. */
  readonly originPages?: OriginPages;
  /** Latency of the fixture's ordinary pages in ms (default {@link PAGE_LATENCY_MS}). */
  readonly pageLatencyMs?: number;
  /** Mean pause between one visitor's visits. Default 500 ms. */
  readonly visitorThinkMs?: number;
  /** Visitors alone before the attack. Default 1 s. */
  readonly warmupS?: number;
  readonly seed?: number;
  /**
   * Kill the Bulwark the drill started with SIGKILL this many seconds into the attack (`true`: half way)
   * and start it again on the same state, to measure the protection a restart loses (the report's
   * `restart`). Not with `--target` or a reference protector.
   */
  readonly restart?: boolean | number;
  /** Only for the CLI: print JSON instead of the table (runDrill returns the report either way). */
  readonly json?: boolean;
  /** What protects the fixture: Bulwark (default), nothing (reference), or another protector (nginx). */
  readonly protection?: 'bulwark' | 'none' | ProtectorFactory;
  /** Command running Bulwark (default node + dist/cli.js). */
  readonly bulwarkCommand?: readonly string[];
  readonly signal?: AbortSignal;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** Default origin capacity (concurrent requests) of the fixture. */
export const DEFAULT_CAPACITY = 64;
/** Default visitors by kind. */
export const DEFAULT_VISITORS: Readonly<Record<VisitorKind, number>> = { browser: 6, nojs: 2, api: 2 };
/** Default browsers arriving during the onset, and behind one shared address. */
export const DEFAULT_VISITOR_GROUPS: Readonly<{ onset: number; shared: number }> = { onset: 4, shared: 10 };
/** How long a shared-address browser reads a page before the next (people behind a NAT, not a bench). */
export const SHARED_THINK_MS = 2_000;
/** How long a browser stays on a page that retries itself before the drill gives up on it. */
export const FOLLOW_REFRESH_MAX_MS = 60_000;

/** The resolved plan of a run. */
export interface DrillPlan {
  readonly settings: DrillSettings;
  readonly capacity: number | null;
  readonly visitors: Readonly<Record<VisitorKind, number>>;
  /** Onset and shared-address browsers (on top of `visitors.browser`). */
  readonly visitorGroups: Readonly<{ onset: number; shared: number }>;
  readonly visitorMaxRequests: number;
  readonly visitorThinkMs: number;
  readonly warmupS: number;
  /** Seconds into the attack the protector is killed and restarted; null: no restart. */
  readonly restartAtS: number | null;
  readonly originPages: OriginPages;
  readonly pageLatencyMs: number;
}

/**
 * Applies defaults (the scenario's, then the drill's) and checks every bound against the hard ceilings;
 * throws `BULWARK_ERR_DRILL_BOUNDS` naming every bad option.
 */
export function resolvePlan(scenario: Scenario, o: Omit<DrillOptions, 'scenario'>): DrillPlan {
  const d = scenario.defaults;
  const durationS = o.durationS ?? d.durationS;
  const rate = o.rate ?? d.rate;
  const maxRequests = o.maxRequests ?? Math.max(1, Math.ceil(rate * durationS * 1.1));
  const maxSockets = o.maxSockets ?? d.maxSockets ?? 512;
  checkBounds({ maxRequests, maxDurationMs: Math.round(durationS * 1000), maxSockets });
  const sources = o.sources ?? d.sources;
  const visitors = { browser: o.visitors?.browsers ?? DEFAULT_VISITORS.browser, nojs: o.visitors?.nojs ?? DEFAULT_VISITORS.nojs, api: o.visitors?.api ?? DEFAULT_VISITORS.api };
  const visitorGroups = { onset: o.visitors?.onset ?? DEFAULT_VISITOR_GROUPS.onset, shared: o.visitors?.shared ?? DEFAULT_VISITOR_GROUPS.shared };
  const warmupS = o.warmupS ?? d.warmupS ?? 1;
  const total = visitors.browser + visitors.nojs + visitors.api + visitorGroups.onset + visitorGroups.shared;
  const pageLatencyMs = o.pageLatencyMs ?? PAGE_LATENCY_MS;
  const visitorThinkMs = o.visitorThinkMs ?? 500;
  const restartAtS = o.restart === undefined || o.restart === false ? null : o.restart === true ? durationS / 2 : o.restart;
  const problems = [
    restartAtS !== null && !(restartAtS > 0 && restartAtS < durationS) ? `restart=${restartAtS} (seconds into the attack, within its ${durationS} s)` : '',
    restartAtS !== null && (o.target !== undefined || (o.protection !== undefined && o.protection !== 'bulwark')) ? 'restart (only for a Bulwark the drill starts itself)' : '',
    !Number.isInteger(sources) || sources < 1 ? `sources=${sources} (a positive integer)` : '',
    !(rate > 0 && Number.isFinite(rate)) ? `rate=${rate} (a positive number)` : '',
    !(warmupS >= 0 && warmupS <= 60) ? `warmupS=${warmupS} (0..60)` : '',
    !(visitorThinkMs > 0) ? `visitorThinkMs=${visitorThinkMs} (positive)` : '',
    [...Object.values(visitors), ...Object.values(visitorGroups)].some((n) => !Number.isInteger(n) || n < 0) || total > 1000 ? `visitors=${JSON.stringify({ ...visitors, ...visitorGroups })} (0..1000 in all)` : '',
    !(Number.isFinite(pageLatencyMs) && pageLatencyMs >= 0 && pageLatencyMs <= 10_000) ? `pageLatencyMs=${pageLatencyMs} (0..10000)` : '',
  ].filter(Boolean);
  if (problems.length > 0) throw new DrillError('BULWARK_ERR_DRILL_BOUNDS', `invalid drill options: ${problems.join(', ')}`);
  const perVisitorPerS = (2 * 1000) / visitorThinkMs; // a browser visit is a page and its asset
  const visitorMaxRequests = Math.min(HARD_CEILINGS.maxRequests, Math.max(1, Math.ceil(total * perVisitorPerS * (warmupS + durationS + 2) * 2)));
  const capacity = o.capacity ?? (o.target === undefined ? DEFAULT_CAPACITY : null);
  const seed = o.seed ?? randomInt(2 ** 31);
  return {
    settings: { durationS, rate, sources, maxRequests, maxSockets, seed },
    capacity,
    visitors,
    visitorGroups,
    visitorMaxRequests,
    visitorThinkMs,
    warmupS,
    originPages: o.originPages ?? 'site',
    pageLatencyMs,
    restartAtS,
  };
}

/** Counts what reaches the fixture per class (attack / visitor / other), per second. */
interface ClassTracker {
  classify(req: Parameters<typeof classifyByRole>[0]): string;
  count(cls: string): number;
  series(cls: string): RatePoint[];
}

function createClassTracker(): ClassTracker {
  const series = new Map<string, RateSeries>();
  const counts = new Map<string, number>();
  return {
    classify(req) {
      const cls = classifyByRole(req);
      counts.set(cls, (counts.get(cls) ?? 0) + 1);
      let s = series.get(cls);
      if (s === undefined) series.set(cls, (s = createRateSeries(HARD_CEILINGS.maxDurationMs / 1000 + 120)));
      s.add(Date.now());
      return cls;
    },
    count: (cls) => counts.get(cls) ?? 0,
    series: (cls) => series.get(cls)?.series(Date.now()).filter((p) => p.count > 0) ?? [],
  };
}

/** Where the run happens: what is attacked and what can be measured there. */
interface Arena {
  readonly target: string;
  /** The https listener attacked by `https` scenarios (see ScenarioContext.httpsTarget). */
  readonly httpsTarget?: string;
  readonly protectionName: string;
  readonly fixture?: OriginFixture;
  readonly tracker?: ClassTracker;
  readonly protector?: Protector;
  readonly adminUrl?: string;
  readonly site?: string;
}

/** Runs one drill scenario and returns its report; tears everything it started down, always. */
export async function runDrill(options: DrillOptions): Promise<DrillReport> {
  const scenario = typeof options.scenario === 'string' ? findScenario(options.scenario) : options.scenario;
  if (options.target !== undefined) assertLoopbackTarget(options.target);
  if (options.admin !== undefined) assertLoopbackTarget(options.admin);
  const plan = resolvePlan(scenario, options);
  const log = options.log ?? (() => undefined);
  const startedMs = Date.now();
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let arena: Arena | undefined;
  let observer: AdminObserver | undefined;
  try {
    arena = await prepareArena(options, scenario, plan, log);
    observer = arena.adminUrl ? observeAdmin(arena.adminUrl, arena.site) : undefined;
    const run = await attackWithVisitors({ scenario, plan, arena, observer, signal: controller.signal, log, targetMode: options.target !== undefined });
    const usage = arena.protector?.usage();
    const aliveAtEnd = arena.protector ? arena.protector.alive() : null;
    const observation = observer ? await observer.stop() : undefined;
    observer = undefined;
    log('stopping');
    const stop = arena.protector ? await arena.protector.stop() : undefined;
    return buildReport({ scenario, plan, arena, run, observation, usage: stop?.usage ?? usage, aliveAtEnd, stop, startedMs, mode: options.target === undefined ? 'managed' : 'target' });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    controller.abort();
    await observer?.stop().catch(() => undefined);
    await arena?.protector?.stop().catch(() => undefined);
    await arena?.fixture?.stop().catch(() => undefined);
  }
}

async function prepareArena(options: DrillOptions, scenario: Scenario, plan: DrillPlan, log: (line: string) => void): Promise<Arena> {
  if (options.target !== undefined) {
    return { target: options.target, httpsTarget: options.target.startsWith('https:') ? options.target : undefined, protectionName: 'target', adminUrl: options.admin };
  }
  const tracker = createClassTracker();
  const fixture = await startOriginFixture({ ...newsroomFixture({ pages: plan.originPages, latencyMs: plan.pageLatencyMs }), capacity: plan.capacity ?? DEFAULT_CAPACITY, classify: tracker.classify });
  try {
    const protection = options.protection ?? 'bulwark';
    if (protection === 'none') return { target: fixture.url, protectionName: 'none', fixture, tracker };
    const factory = protection === 'bulwark' ? bulwarkProtector({ config: options.config, site: options.site, command: options.bulwarkCommand }) : protection;
    log(`starting ${factory.name} in front of the origin fixture ${fixture.url}`);
    const protector = await factory.start({ originUrl: fixture.url, scenario, warmupS: plan.warmupS });
    log(`${factory.name} ready at ${protector.url}${protector.pid ? ` (pid ${protector.pid})` : ''}`);
    return { target: protector.url, httpsTarget: protector.httpsUrl, protectionName: factory.name, fixture, tracker, protector, adminUrl: protector.adminUrl, site: protector.site };
  } catch (err) {
    await fixture.stop();
    throw err;
  }
}

/** What the attack phase produced, for the report. */
export interface AttackPhase {
  readonly outcome: ScenarioOutcome;
  readonly visitors: VisitorsResult;
  readonly attackStartMs: number;
  readonly attackEndMs: number;
  /** Attack requests at the fixture when the attack started (warm-up has none, but be exact). */
  readonly attackAtOriginBefore: number;
  readonly marks: ReadonlyArray<{ event: string; atS: number }>;
  /** Bulwark's baseline of the site when the attack started and when it ended (`GET /detection`). */
  readonly baseline: { readonly before: BaselineFigures | undefined; readonly after: BaselineFigures | undefined };
  /** The SIGKILL and restart, when asked for and done. */
  readonly restart?: RestartEvent;
}

interface PhaseArgs {
  readonly scenario: Scenario;
  readonly plan: DrillPlan;
  readonly arena: Arena;
  readonly observer?: AdminObserver;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  readonly targetMode: boolean;
}

async function attackWithVisitors(a: PhaseArgs): Promise<AttackPhase> {
  const { plan, arena } = a;
  const visitorsCtl = new AbortController();
  const stopVisitors = (): void => visitorsCtl.abort();
  a.signal.addEventListener('abort', stopVisitors, { once: true });
  const paths = visitorPaths(!a.targetMode);
  const visitorsDone = runVisitors({
    target: arena.target,
    browsers: plan.visitors.browser,
    nojs: plan.visitors.nojs,
    api: plan.visitors.api,
    browser: { pages: paths.browser, solveChallenge: createJsChallengeSolver(), follow: { maxWaitMs: FOLLOW_REFRESH_MAX_MS } },
    // Arriving during the attack's first seconds, on pages no cache can answer (the origin must).
    onset: { browsers: plan.visitorGroups.onset, arriveAfterMs: plan.warmupS * 1000, spreadMs: ONSET_WINDOW_MS - 1000, browser: { pages: a.targetMode ? paths.browser : ARTICLE_PAGES } },
    shared: { browsers: plan.visitorGroups.shared, thinkTimeMs: SHARED_THINK_MS },
    nojsOptions: { paths: paths.nojs, solveChallenge: createNoJsChallengeSolver(15, visitorsCtl.signal) },
    apiOptions: { paths: paths.api },
    thinkTimeMs: plan.visitorThinkMs,
    sourceRange: { block: VISITOR_BLOCK, spread: 'many_24' },
    seed: plan.settings.seed + 1000,
    bounds: { maxRequests: plan.visitorMaxRequests, maxDurationMs: Math.round((plan.warmupS + plan.settings.durationS) * 1000) + 30_000 },
    signal: visitorsCtl.signal,
  });
  try {
    a.log(`visitors warming up for ${plan.warmupS} s`);
    await sleep(plan.warmupS * 1000, a.signal);
    const attackStartMs = Date.now();
    const before = arena.tracker?.count('attack') ?? 0;
    const marks: Array<{ event: string; atS: number }> = [];
    const baselineBefore = await readBaseline(arena.adminUrl, arena.site);
    a.log(`attack ${a.scenario.name}: ${plan.settings.durationS} s, ${plan.settings.rate}/s from ${plan.settings.sources} sources`);
    const ctx = scenarioContext(a, attackStartMs, before, marks);
    const restarting = plan.restartAtS === null ? undefined : restartMidAttack(a, plan.restartAtS, ctx);
    const outcome = await a.scenario.run(ctx);
    const attackEndMs = Date.now();
    const restart = await restarting;
    const baselineAfter = await readBaseline(arena.adminUrl, arena.site);
    visitorsCtl.abort();
    return {
      outcome, visitors: await visitorsDone, attackStartMs, attackEndMs, attackAtOriginBefore: before, marks,
      baseline: { before: baselineBefore, after: baselineAfter }, ...(restart !== undefined ? { restart } : {}),
    };
  } finally {
    visitorsCtl.abort();
    a.signal.removeEventListener('abort', stopVisitors);
    await visitorsDone.catch(() => undefined);
  }
}

/** Kills and restarts the protector `atS` seconds into the attack (the attack and the visitors go on). */
async function restartMidAttack(a: PhaseArgs, atS: number, ctx: ScenarioContext): Promise<RestartEvent | undefined> {
  const protector = a.arena.protector;
  if (protector?.restart === undefined) return undefined;
  await ctx.sleep(atS * 1000);
  if (a.signal.aborted) return undefined;
  ctx.mark('SIGKILL');
  a.log(`SIGKILL ${protector.name} (pid ${protector.pid}) ${atS} s into the attack, then restart`);
  const event = await protector.restart();
  ctx.mark('restarted');
  a.log(`${protector.name} ready again after ${((event.readyAtMs - event.killedAtMs) / 1000).toFixed(1)} s (pid ${event.pidAfter})`);
  return event;
}

function scenarioContext(a: PhaseArgs, attackStartMs: number, before: number, marks: Array<{ event: string; atS: number }>): ScenarioContext {
  const { arena, observer } = a;
  return {
    target: arena.target,
    httpsTarget: arena.httpsTarget,
    settings: a.plan.settings,
    signal: a.signal,
    fixture: arena.fixture,
    adminUrl: arena.adminUrl,
    ...(arena.site !== undefined ? { site: arena.site } : {}),
    originAttackRequests: () => (arena.tracker ? arena.tracker.count('attack') - before : undefined),
    originAttackSeries: () => arena.tracker?.series('attack') ?? (observer ? forwardedSeries(observer.observation()) : undefined),
    bulwarkOutcomes: async () => observer?.outcomesNow(),
    mark: (event) => void marks.push({ event, atS: Math.round((Date.now() - attackStartMs) / 100) / 10 }),
    sleep: (ms) => sleep(ms, a.signal),
    log: a.log,
  };
}

/** Types the report builder reads. */
export type { Arena, StopResult };
