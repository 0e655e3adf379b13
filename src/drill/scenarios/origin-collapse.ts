/**
 * `origin-collapse` — docs/threats.md "origin collapse": a moderate GET flood in three equal phases while the
 * origin fixture degrades — normal, then every page takes {@link SLOW_LATENCY_MS} ms, then every request
 * fails with a 500. Repelled: circuit breaker, stale content served, 503 with Retry-After instead of
 * timeouts piling up. (Real visitors of uncacheable pages cannot be served by a failed origin, so the
 * served-visitors figure is reported but not judged here.) With `--target` the origin cannot be
 * degraded: the flood runs and the details say so.
 */
import { runGetFlood } from '../attackers/get-flood.ts';
import type { OriginFixture } from '../origin-fixture.ts';
import { addFigures, addSeries, figuresOfFlood, stoppedByOf } from './figures.ts';
import { commonCriteria } from './criteria.ts';
import { ARTICLE_PAGES, floodBase, PAGE_LATENCY_MS } from './site.ts';
import type { AttackResult } from '../attackers/attack-result.ts';
import type { Scenario, ScenarioContext, ScenarioOutcome } from './context.ts';

/** Page latency of the "slow" phase. */
export const SLOW_LATENCY_MS = 3000;

interface Phase {
  readonly name: string;
  apply(fixture: OriginFixture): void;
}

const PHASES: readonly Phase[] = [
  { name: 'normal', apply: (f) => (f.setLatency(PAGE_LATENCY_MS), f.setFailure('none')) },
  { name: `slow (${SLOW_LATENCY_MS} ms)`, apply: (f) => f.setLatency(SLOW_LATENCY_MS) },
  { name: 'failing (500)', apply: (f) => (f.setLatency(PAGE_LATENCY_MS), f.setFailure('error_500')) },
];

/** The `origin-collapse` scenario: defaults, what repelled means, the attack (see the module comment). */
export const originCollapse: Scenario = {
  name: 'origin-collapse',
  summary: 'GET flood while the origin turns slow (3 s), then fails (500): three equal phases',
  repelledMeans: 'circuit breaker, stale content served, 503 with Retry-After instead of timeouts piling up',
  kind: 'requests',
  defaults: { durationS: 30, rate: 300, sources: 20 },
  run: runCollapse,
  judge(f) {
    const o = f.bulwarkOutcomes;
    const timeouts = f.visitors.notServedBy.timeout ?? 0;
    return [
      ...commonCriteria(f).filter((c) => !c.check.startsWith('real visitors')),
      { check: 'no visitor timeouts', ok: timeouts === 0, detail: `${timeouts} timed out; visitors served ${Math.round(f.visitors.servedRatio * 1000) / 10}%` },
      { check: 'attack answered, not left to time out (≤ 1%)', ok: f.attack.timeout <= 0.01 * f.attack.sent, detail: `${f.attack.timeout} of ${f.attack.sent} timed out` },
      o === null
        ? { check: 'stale pages or 503 + Retry-After during the collapse', ok: null, detail: 'Bulwark stats not available' }
        : { check: 'stale pages or 503 + Retry-After during the collapse', ok: (o.stale ?? 0) + (o.shed ?? 0) > 0, detail: `stale ${o.stale ?? 0}, shed ${o.shed ?? 0}, failed ${o.failed ?? 0}` },
    ];
  },
};

async function runCollapse(ctx: ScenarioContext): Promise<ScenarioOutcome> {
  const base = floodBase(ctx);
  const phaseMs = Math.max(1000, Math.floor((ctx.settings.durationS * 1000) / PHASES.length));
  const budget = Math.max(1, Math.floor(ctx.settings.maxRequests / PHASES.length));
  const results: AttackResult[] = [];
  const phases: Array<Record<string, unknown>> = [];
  for (const [i, phase] of PHASES.entries()) {
    if (ctx.signal.aborted) break;
    if (ctx.fixture) phase.apply(ctx.fixture);
    ctx.mark(`origin ${phase.name}`);
    ctx.log(`phase ${i + 1}/${PHASES.length}: origin ${ctx.fixture ? phase.name : 'unchanged (--target)'}`);
    const before = { outcomes: await ctx.bulwarkOutcomes(), origin: ctx.fixture?.stats().byStatus };
    const r = await runGetFlood({
      ...base,
      seed: ctx.settings.seed + i,
      bounds: { ...base.bounds, maxRequests: budget, maxDurationMs: phaseMs },
      paths: { kind: 'fixed', paths: ['/', ...ARTICLE_PAGES] },
    });
    results.push(r);
    phases.push({ phase: phase.name, attack: { sent: r.sent, byOutcome: r.byOutcome, p99Ms: r.latency.p99Ms }, bulwark: delta(before.outcomes, await ctx.bulwarkOutcomes()), originStatuses: delta(before.origin, ctx.fixture?.stats().byStatus) });
  }
  ctx.fixture?.setFailure('none');
  ctx.fixture?.setLatency(PAGE_LATENCY_MS);
  return {
    attack: addFigures(results.map(figuresOfFlood)),
    sentPerSecond: addSeries(results.map((r) => r.sentPerSecond)),
    stoppedBy: stoppedByOf(results.map((r) => r.stoppedBy)),
    details: { collapse: ctx.fixture ? 'origin fixture degraded in phases' : 'not possible with --target (no origin fixture): flood only', phases },
  };
}

/** Non-zero differences between two count tables; null when either is unknown. */
function delta(before: Readonly<Record<string, number>> | undefined, after: Readonly<Record<string, number>> | undefined): Record<string, number> | null {
  if (before === undefined || after === undefined) return null;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) !== 0) out[k] = v - (before[k] ?? 0);
  return out;
}
