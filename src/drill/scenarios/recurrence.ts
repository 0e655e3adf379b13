/**
 * `recurrence` — THREATS.md "recurrence": botnet A floods, pauses, floods again with exactly the same
 * traffic (same seed: same paths, same rotating user agents, same rate, same sources); after another
 * pause a different botnet B — other source ranges — copies A's pattern. Each run is reported on its own
 * (sent, reaching the origin, time to mitigate). Repelled: the second incident is linked to the first, or
 * told apart from it, with the evidence — read from Bulwark's `GET /incidents` by an OPTIONAL step that
 * reports "not available" until the admin exposes incidents.
 */
import { runGetFlood } from '../attackers/get-flood.ts';
import type { AttackResult } from '../attackers/attack-result.ts';
import type { SourceRange } from '../source-pool.ts';
import { timeToMitigate } from '../report.ts';
import { addFigures, addSeries, figuresOfFlood, stoppedByOf } from './figures.ts';
import { commonCriteria } from './criteria.ts';
import { probeIncidents } from './incidents-probe.ts';
import { ARTICLE_PAGES, BOTNET_RANGE, describeRange, floodBase, OTHER_BOTNET_RANGE } from './site.ts';
import type { AttackRun, Criterion, Scenario, ScenarioContext, ScenarioOutcome } from './context.ts';

/** Share of the duration each of the three runs takes; the two pauses share the rest (long enough for
 * the level to step down and the incident to close between runs, with the short calm periods below). */
export const RUN_SHARE = 0.2;

const RUNS: ReadonlyArray<{ name: string; range: SourceRange }> = [
  { name: 'botnet A', range: BOTNET_RANGE },
  { name: 'botnet A again', range: BOTNET_RANGE },
  { name: 'botnet B (copies A)', range: OTHER_BOTNET_RANGE },
];

/** The `recurrence` scenario: defaults, what repelled means, the attack (see the module comment). */
export const recurrence: Scenario = {
  name: 'recurrence',
  summary: 'botnet A, pause, A again (same traffic), pause, botnet B from other ranges copying A',
  repelledMeans: 'second incident linked to the first (or told apart from it) with the evidence; repeat mitigated no slower',
  kind: 'requests',
  defaults: { durationS: 60, rate: 500, sources: 50, warmupS: 35 },
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
    const incidents = f.details.incidents as { available?: boolean; links?: unknown[]; note?: string } | undefined;
    return [
      ...commonCriteria(f),
      repeatCriterion(first, again),
      incidents?.available
        ? { check: 'incidents linked or told apart', ok: (incidents.links?.length ?? 0) > 0, detail: incidents.note ?? '' }
        : { check: 'incidents linked or told apart', ok: null, detail: incidents?.note ?? 'not available' },
    ];
  },
};

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
    const r = await runGetFlood({
      ...base,
      sourceRange: spec.range,
      bounds: { ...base.bounds, maxRequests: budget, maxDurationMs: runMs },
      paths: { kind: 'fixed', paths: ['/', ...ARTICLE_PAGES] },
      headers: { kind: 'rotate_ua' },
    });
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
    details: { pauseS: pauseMs / 1000, incidents: await probeIncidents(ctx.adminUrl, { waitForClosedMs: 20_000 }) },
  };
}
