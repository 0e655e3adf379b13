/**
 * `recurrence` — docs/threats.md "recurrence": botnet A floods, pauses, floods again with exactly the same
 * traffic (same seed: same paths, same rotating user agents, same rate, same sources); after another
 * pause a different botnet B — other source ranges — copies A's pattern; after a last pause botnet C,
 * from yet other ranges, does something else entirely (a POST flood on /login from a curl-like client).
 * Each run is reported on its own (sent, reaching the origin, time to mitigate). Repelled: each
 * incident's report (`GET /incident/report?format=json`, as an operator gets it) tells the repeat as the
 * same actor, the copy as a copycat and C as unrelated, with the measures behind each verdict.
 */
import { runGetFlood } from '../attackers/get-flood.ts';
import { runPostFlood } from '../attackers/post-flood.ts';
import type { AttackResult } from '../attackers/attack-result.ts';
import type { SourceRange } from '../source-pool.ts';
import { timeToMitigate } from '../report.ts';
import { addFigures, addSeries, figuresOfFlood, stoppedByOf } from './figures.ts';
import { commonCriteria } from './criteria.ts';
import { probeIncidents } from './incidents-probe.ts';
import { readRecurrence, type RecurrenceReading } from './recurrence-reports.ts';
import { ARTICLE_PAGES, BOTNET_RANGE, describeRange, floodBase, OTHER_BOTNET_RANGE } from './site.ts';
import type { AttackRun, Criterion, Scenario, ScenarioContext, ScenarioOutcome } from './context.ts';

/** Share of the duration each of the four runs takes; the three pauses share the rest (long enough for
 * the level to step down and the incident to close between runs, with the short calm periods below). */
export const RUN_SHARE = 0.12;

/** A third botnet, unrelated to A and B (127.200.0.0 onwards, below the visitors' block). */
export const UNRELATED_BOTNET_RANGE: SourceRange = { spread: 'many_24', block: 200 };

/** A command-line client's headers: another user agent and another header order than A's browsers. */
const CURL_HEADERS = [['user-agent', 'curl/8.5.0'], ['accept', '*/*']] as const;

const RUNS: ReadonlyArray<{ name: string; range: SourceRange; kind: 'get' | 'post' }> = [
  { name: 'botnet A', range: BOTNET_RANGE, kind: 'get' },
  { name: 'botnet A again', range: BOTNET_RANGE, kind: 'get' },
  { name: 'botnet B (copies A)', range: OTHER_BOTNET_RANGE, kind: 'get' },
  { name: 'botnet C (unrelated)', range: UNRELATED_BOTNET_RANGE, kind: 'post' },
];

/** What each incident's report must say about the one before it, in run order. */
export const EXPECTED_VERDICTS: ReadonlyArray<string | null> = [null, 'same_actor', 'copycat', 'unrelated'];

/** The `recurrence` scenario: defaults, what repelled means, the attack (see the module comment). */
export const recurrence: Scenario = {
  name: 'recurrence',
  summary: 'botnet A, A again (same traffic), botnet B from other ranges copying A, botnet C doing something else',
  repelledMeans: 'the reports tell the repeat as the same actor, the copy as a copycat and C as unrelated, with the evidence; repeat mitigated no slower',
  kind: 'requests',
  defaults: { durationS: 90, rate: 1000, sources: 50, warmupS: 50 },
  // Separate incidents need calm between the runs: the drill shortens the calm periods (defaults are a
  // minute or more) so a one-minute drill sees three attacks rather than one long one.
  bulwarkConfig: (config) => ({
    ...config,
    detection: {
      ...((config.detection as Record<string, unknown> | undefined) ?? {}),
      detector: { calm: '2s', min_dwell: { elevated: '2s', under_attack: '3s' } },
      incidents: { calm: '4s', update_every: '1s' },
    },
    // "Comes back the next day": by then its bans have expired. Short bans let the repeat reach the
    // detector within a one-minute drill (otherwise it is simply dropped at accept, unrecorded).
    policy: { ...((config.policy as Record<string, unknown> | undefined) ?? {}), escalation: { ladder: ['5s'] } },
  }),
  run: runRecurrence,
  judge(f) {
    const runs = f.runs ?? [];
    const [first, again] = [runs[0]?.timeToMitigateS ?? null, runs[1]?.timeToMitigateS ?? null];
    const verdicts = f.details.verdicts as { readings: RecurrenceReading[] | null; note: string } | undefined;
    return [...commonCriteria(f), repeatCriterion(first, again), verdictCriterion(verdicts)];
  },
};

/** The reports must tell same actor, copycat and unrelated apart, one incident per run. */
function verdictCriterion(v: { readings: RecurrenceReading[] | null; note: string } | undefined): Criterion {
  const check = 'reports say same actor, copycat, unrelated';
  if (v?.readings == null) return { check, ok: null, detail: v?.note ?? 'not available' };
  const got = v.readings.slice(-EXPECTED_VERDICTS.length).map((r) => r.verdict);
  const detail = v.readings.map((r) => `${r.incident}: ${r.verdict === null ? 'first' : `${r.verdict} (${r.confidence}) vs ${r.comparedWith}, network ${r.network?.toFixed(2)}, pattern ${r.pattern?.toFixed(2)}`}`).join('; ');
  return { check, ok: got.length === EXPECTED_VERDICTS.length && got.every((x, i) => x === EXPECTED_VERDICTS[i]), detail };
}

/** The repeat of the same botnet must be mitigated, and no slower than the first run. */
function repeatCriterion(first: number | null, again: number | null): Criterion {
  const check = 'repeat mitigated, no slower than the first run';
  if (again === null) return { check, ok: false, detail: `repeat never mitigated (first: ${first === null ? 'never' : `${first} s`})` };
  return { check, ok: first === null || again <= first, detail: `first ${first === null ? 'never' : `${first} s`}, repeat ${again} s` };
}

async function runRecurrence(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const totalMs = ctx.settings.durationS * 1000;
  const runMs = Math.max(1000, Math.floor(totalMs * RUN_SHARE));
  const pauseMs = Math.max(0, Math.floor((totalMs - RUNS.length * runMs) / (RUNS.length - 1)));
  const budget = Math.max(1, Math.floor(ctx.settings.maxRequests / RUNS.length));
  const started = Date.now();
  const results: AttackResult[] = [];
  const runs: AttackRun[] = [];
  for (const [i, spec] of RUNS.entries()) {
    if (ctx.signal.aborted) break;
    if (i > 0) {
      ctx.mark('pause');
      await ctx.sleep(pauseMs);
    }
    ctx.mark(spec.name);
    ctx.log(`run ${i + 1}/${RUNS.length}: ${spec.name}`);
    const startS = (Date.now() - started) / 1000;
    const reachedBefore = ctx.originAttackRequests();
    const base = floodBase(ctx);
    const common = { ...base, sourceRange: spec.range, bounds: { ...base.bounds, maxRequests: budget, maxDurationMs: runMs } };
    const r = spec.kind === 'get'
      ? await runGetFlood({ ...common, paths: { kind: 'fixed', paths: ['/', ...ARTICLE_PAGES] }, headers: { kind: 'rotate_ua' } })
      : await runPostFlood({ ...common, paths: ['/login'], headers: { kind: 'fixed', headers: CURL_HEADERS } });
    results.push(r);
    const reachedAfter = ctx.originAttackRequests();
    const series = ctx.originAttackSeries();
    runs.push({
      name: spec.name,
      startS: Math.round(startS * 10) / 10,
      durationS: Math.round(r.durationMs / 100) / 10,
      attack: figuresOfFlood(r),
      reachedOrigin: reachedBefore === undefined || reachedAfter === undefined ? null : reachedAfter - reachedBefore,
      timeToMitigateS: series === undefined ? null : timeToMitigate(r.sentPerSecond, series),
      sources: describeRange(spec.range, ctx.settings.sources),
    });
  }
  return {
    attack: addFigures(results.map(figuresOfFlood)),
    sentPerSecond: addSeries(results.map((r) => r.sentPerSecond)),
    stoppedBy: stoppedByOf(results.map((r) => r.stoppedBy)),
    runs,
    details: {
      pauseS: pauseMs / 1000,
      incidents: await probeIncidents(ctx.adminUrl, { waitForClosedMs: 20_000 }),
      verdicts: await readRecurrence(ctx.adminUrl, RUNS.length),
    },
  };
}
