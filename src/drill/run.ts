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
import { assertLoopbackTarget } from './loopback-guard.ts';
import { startOriginFixture, type OriginFixture } from './origin-fixture.ts';
import { classifyByRole } from './origin-fixture-counters.ts';
import { VISITOR_BLOCK } from './source-pool.ts';
import { createRateSeries, type RatePoint, type RateSeries } from './stats.ts';
import { HARD_CEILINGS, sleep } from './attackers/bounds.ts';
import { runVisitors, type VisitorsResult } from './visitors/run-visitors.ts';
import { createJsChallengeSolver, createNoJsChallengeSolver } from './visitors/challenge-solvers.ts';
import { ONSET_WINDOW_MS } from './visitors/visitor-timeline.ts';
import type { Protector, RestartEvent, StopResult } from './bulwark-process.ts';
import { bulwarkProtector } from './bulwark-protector.ts';
import { readBaseline, type BaselineFigures } from './scenarios/baseline-probe.ts';
import { findScenario } from './scenarios/index.ts';
import { forwardedSeries, observeAdmin, type AdminObserver } from './scenarios/admin-observer.ts';
import { ARTICLE_PAGES, newsroomFixture, visitorPaths } from './scenarios/site.ts';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './scenarios/context.ts';
import type { DrillReport } from './report.ts';
import { buildReport } from './report-build.ts';
import { DEFAULT_CAPACITY, FOLLOW_REFRESH_MAX_MS, resolvePlan, SHARED_THINK_MS, type DrillOptions, type DrillPlan } from './plan.ts';

export { DEFAULT_CAPACITY, DEFAULT_VISITOR_GROUPS, DEFAULT_VISITORS, FOLLOW_REFRESH_MAX_MS, resolvePlan, SHARED_THINK_MS, type DrillOptions, type DrillPlan } from './plan.ts';

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
