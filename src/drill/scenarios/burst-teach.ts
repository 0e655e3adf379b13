/**
 * `burst-teach` — an attacker who teaches the detector before he strikes: short bursts, each as high as
 * he dares without raising the level — the site's normal again on top of it (2× in all: a margin under
 * the 3× a rate surge needs, for the visitors' own ups and downs), from 20 addresses (no surge of new sources) with rotating, shuffled header sets
 * (no single fingerprint or user agent stands out) — each aimed at the normal Bulwark shows at that
 * moment, so if a burst were learned the next one would be higher; then the real flood at `--rate`
 * (default 1000 req/s) from `--sources`. The bursts take two thirds of `--duration` (default 60 s: 3 s
 * on, 3 s off), the flood the rest.
 *
 * Repelled: the bursts do not become normal (the baseline ends at most ×1.5 where it began: a second
 * is learned only after the learning delay, clipped to the growth cap) and the flood is mitigated
 * within 10 s of its start. The drill reports the baseline before, after the bursts and after the flood.
 */
import type { AttackResult } from '../attackers/attack-result.ts';
import { commonCriteria } from './criteria.ts';
import { normalOf, readBaseline } from './baseline-probe.ts';
import { notTaught } from './slow-ramp.ts';
import { attackRunOf, openSteppedFlood, outcomeOf, runMitigatedWithin } from './stepped-flood.ts';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './context.ts';

/** Share of the duration the bursts take; the flood has the rest. */
export const TEACH_SHARE = 2 / 3;
/** One burst and the pause after it (ms). */
export const BURST_MS = 3000;
export const PAUSE_MS = 3000;
/** A burst adds this many times the site's normal on top of it (2× in all: under a rise's 3×, with a margin). */
export const BURST_FACTOR = 1;
/** Addresses a burst comes from: few enough not to be a surge of sources. */
export const BURST_SOURCES = 20;

/** The `burst-teach` scenario: defaults, what repelled means, the attack (see the module comment). */
export const burstTeach: Scenario = {
  name: 'burst-teach',
  summary: 'short bursts at twice the normal of the moment (below a rise), then the real flood',
  repelledMeans: 'the bursts do not become normal (baseline ≤ ×1.5); the flood after them mitigated within 10 s of its start',
  kind: 'requests',
  defaults: { durationS: 60, rate: 1000, sources: 2000, warmupS: 35 },
  run: runBurstTeach,
  judge: (f) => [...commonCriteria(f), runMitigatedWithin(f.runs, 'flood', 10), notTaught(f, 'baselineBefore', 'baselineAfterBursts', 'the bursts')],
};

async function runBurstTeach(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const baselineBefore = await readBaseline(ctx.adminUrl, ctx.site);
  const teachMs = Math.max(BURST_MS, Math.round(ctx.settings.durationS * TEACH_SHARE * 1000));
  const floodMs = Math.max(0, ctx.settings.durationS * 1000 - teachMs);
  const flood = openSteppedFlood(ctx);
  const started = Date.now();
  const bursts: AttackResult[] = [];
  const aims: Array<{ atS: number; normal: number | null; rate: number; level: string | null; reasons: readonly string[] }> = [];
  try {
    ctx.mark('bursts');
    const reachedBefore = ctx.originAttackRequests();
    while (Date.now() - started + BURST_MS <= teachMs && !ctx.signal.aborted) {
      const now = await readBaseline(ctx.adminUrl, ctx.site);
      const normal = normalOf(now);
      const rate = normal !== undefined ? BURST_FACTOR * normal : ctx.settings.rate / 20;
      aims.push({ atS: Math.round((Date.now() - started) / 100) / 10, normal: normal ?? null, rate: Math.round(rate * 10) / 10, level: now?.level ?? null, reasons: now?.reasons ?? [] });
      const r = await flood.step({ durationMs: BURST_MS, ratePerS: rate }, { sources: Math.min(BURST_SOURCES, ctx.settings.sources), headers: { kind: 'rotate_sets', shuffleOrder: true } });
      if (r !== undefined) bursts.push(r);
      await flood.step({ durationMs: Math.min(PAUSE_MS, teachMs - (Date.now() - started)), ratePerS: 0 });
    }
    const burstRun = attackRunOf(ctx, 'teaching bursts', 0, bursts, reachedBefore);
    const baselineAfterBursts = await readBaseline(ctx.adminUrl, ctx.site);
    ctx.mark('flood');
    const reachedAtFlood = ctx.originAttackRequests();
    const floodStart = (Date.now() - started) / 1000;
    const r = await flood.step({ durationMs: floodMs, ratePerS: ctx.settings.rate });
    const floodRun = attackRunOf(ctx, 'flood', floodStart, r === undefined ? [] : [r], reachedAtFlood);
    const baselineAfter = await readBaseline(ctx.adminUrl, ctx.site);
    const all = r === undefined ? bursts : [...bursts, r];
    return outcomeOf(all, [burstRun, floodRun], { bursts: aims, baselineBefore, baselineAfterBursts, baselineAfter });
  } finally {
    await flood.close();
  }
}
