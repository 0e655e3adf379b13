/**
 * `slow-ramp` — an attacker who wants his flood to become the new normal: the site's traffic rises ×10
 * along an exponential curve, then holds at the full rate. In the wild the ramp takes hours; the drill
 * compresses it into two thirds of `--duration` (default 60 s: a 40 s ramp, 20 s at the full rate).
 * `--rate` is the attack's final rate: the default 300 req/s is about nine times the drill's visitors,
 * so the site's total traffic ends about ×10.
 *
 * Repelled: the ramp is caught while it rises — the baseline may grow at most by its growth cap (×2 an
 * hour of learning) and learns nothing while the level is up — and the full-rate phase is mitigated
 * within 10 s of its start. The drill reports Bulwark's baseline before and after (`GET /detection`).
 */
import type { AttackResult } from '../attackers/attack-result.ts';
import { commonCriteria } from './criteria.ts';
import { normalOf, readBaseline, type BaselineFigures } from './baseline-probe.ts';
import { attackRunOf, openSteppedFlood, outcomeOf, runMitigatedWithin } from './stepped-flood.ts';
import type { Criterion, JudgedFigures, Scenario, ScenarioContext, ScenarioOutcome } from './context.ts';

/** Share of the duration the ramp takes; the rest holds the full rate. */
export const RAMP_SHARE = 2 / 3;
/** How much the site's traffic rises over the ramp. */
export const RAMP_FACTOR = 10;
/** The normal may end at most this many times where it started (the cap allows ×2 an hour; the drill lasts a minute). */
export const MAX_TAUGHT = 1.5;

/** The attack rate `t` seconds into a ramp of `rampS` seconds ending at `rate`: total traffic grows by a constant factor a second. */
export function rampRate(t: number, rampS: number, rate: number): number {
  const x = Math.min(1, Math.max(0, t / rampS));
  return (rate * (RAMP_FACTOR ** x - 1)) / (RAMP_FACTOR - 1);
}

/** The `slow-ramp` scenario: defaults, what repelled means, the attack (see the module comment). */
export const slowRamp: Scenario = {
  name: 'slow-ramp',
  summary: 'traffic rising ×10 (two thirds of --duration, compressed from hours), then holding: a ramp meant to become normal',
  repelledMeans: 'caught during the ramp, which the baseline does not learn (growth ≤ its cap); the full-rate phase mitigated within 10 s of its start',
  kind: 'requests',
  defaults: { durationS: 60, rate: 300, sources: 2000, warmupS: 35 },
  run: runSlowRamp,
  judge: (f) => [...commonCriteria(f), runMitigatedWithin(f.runs, 'full rate', 10), notTaught(f, 'baselineBefore', 'baselineAfter', 'the ramp')],
};

async function runSlowRamp(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const baselineBefore = await readBaseline(ctx.adminUrl, ctx.site);
  const rampS = Math.max(1, Math.round(ctx.settings.durationS * RAMP_SHARE));
  const holdS = Math.max(0, ctx.settings.durationS - rampS);
  const flood = openSteppedFlood(ctx);
  const started = Date.now();
  const ramp: AttackResult[] = [];
  const hold: AttackResult[] = [];
  let reachedAtHold: number | undefined;
  try {
    ctx.mark('ramp');
    const reachedBefore = ctx.originAttackRequests();
    // One-second steps along the curve by the wall clock (a step's set-up and tear-down take time too).
    for (let t = 0; t < rampS && !ctx.signal.aborted; t = (Date.now() - started) / 1000) {
      const r = await flood.step({ durationMs: Math.min(1000, Math.ceil((rampS - t) * 1000)), ratePerS: rampRate(t + 0.5, rampS, ctx.settings.rate) });
      if (r !== undefined) ramp.push(r);
    }
    const rampRun = attackRunOf(ctx, `ramp ×${RAMP_FACTOR}`, 0, ramp, reachedBefore);
    ctx.mark('full rate');
    reachedAtHold = ctx.originAttackRequests();
    const holdStart = (Date.now() - started) / 1000;
    const r = await flood.step({ durationMs: holdS * 1000, ratePerS: ctx.settings.rate });
    if (r !== undefined) hold.push(r);
    const holdRun = attackRunOf(ctx, 'full rate', holdStart, hold, reachedAtHold);
    const baselineAfter = await readBaseline(ctx.adminUrl, ctx.site);
    return outcomeOf([...ramp, ...hold], [rampRun, holdRun], { rampS, holdS, finalRate: ctx.settings.rate, baselineBefore, baselineAfter });
  } finally {
    await flood.close();
  }
}

/**
 * The attack taught the baseline nothing worth having: the normal it compares with (the larger of the
 * recent and long-run normals) ends at most MAX_TAUGHT times where it began (`ok: null` when the
 * baselines could not be read).
 */
export function notTaught(f: JudgedFigures, beforeKey: string, afterKey: string, what: string): Criterion {
  const check = `${what} did not become normal (baseline ≤ ×${MAX_TAUGHT})`;
  const before = f.details[beforeKey] as BaselineFigures | undefined;
  const after = f.details[afterKey] as BaselineFigures | undefined;
  if (before === undefined || after === undefined) return { check, ok: null, detail: 'baseline not available (GET /detection)' };
  const b = Math.max(normalOf(before)!, 0.1);
  const a = normalOf(after)!;
  return { check, ok: a <= b * MAX_TAUGHT, detail: `${b.toFixed(1)} → ${a.toFixed(1)} uncleared req/s (×${(a / b).toFixed(2)})` };
}
