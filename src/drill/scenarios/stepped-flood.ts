/**
 * A GET flood whose rate changes over time (a ramp, bursts): run as consecutive steps of constant rate,
 * each a bounded `runGetFlood`, all on one shared pool of per-source agents so connections carry over
 * from step to step. A step's in-flight requests are cut at its end (at a few ms per answer, a handful
 * per step). The steps' results are added together by the caller (figures.ts).
 */
import { runGetFlood, type GetFloodOptions } from '../attackers/get-flood.ts';
import type { AttackResult } from '../attackers/attack-result.ts';
import { sleep } from '../attackers/bounds.ts';
import { createSourcePool, type SourcePool } from '../source-pool.ts';
import { timeToMitigate } from '../report.ts';
import { addFigures, addSeries, figuresOfFlood, stoppedByOf } from './figures.ts';
import { ARTICLE_PAGES, BOTNET_RANGE, describeRange, floodBase } from './site.ts';
import type { AttackRun, Criterion, ScenarioContext, ScenarioOutcome } from './context.ts';

/** One step: this long, at this rate (0: a pause). */
export interface FloodStep {
  readonly durationMs: number;
  readonly ratePerS: number;
}

/** A shared flood: its steps run one after another within the run's budget and signal. */
export interface SteppedFlood {
  /** Runs one step (`overrides`: other sources, headers… for this step); resolves with its result (undefined for a pause or a spent budget). */
  step(s: FloodStep, overrides?: Partial<GetFloodOptions>): Promise<AttackResult | undefined>;
  /** Requests left in the run's budget. */
  remaining(): number;
  /** Destroys the shared agents. */
  close(): Promise<void>;
}

/** Opens a stepped flood on the scenario's target, sources and budget (paths and user agents as get-flood-many's). */
export function openSteppedFlood(ctx: ScenarioContext, overrides: Partial<GetFloodOptions> = {}): SteppedFlood {
  const s = ctx.settings;
  const perAgent = Math.max(1, Math.floor(s.maxSockets / Math.max(1, Math.min(s.sources, s.maxSockets))));
  const pool: SourcePool = createSourcePool({ maxAgents: Math.min(s.sources, s.maxSockets), connectionsPerAgent: perAgent });
  let left = s.maxRequests;
  let n = 0;
  return {
    async step({ durationMs, ratePerS }, stepOverrides = {}) {
      if (ctx.signal.aborted || durationMs <= 0) return undefined;
      if (!(ratePerS > 0) || left <= 0) {
        await sleep(durationMs, ctx.signal);
        return undefined;
      }
      const base = floodBase(ctx);
      const r = await runGetFlood({
        ...base,
        pool,
        ratePerS,
        seed: s.seed + n++,
        requestTimeoutMs: Math.min(5000, Math.max(1000, durationMs)),
        bounds: { maxRequests: Math.max(1, Math.min(left, Math.ceil(ratePerS * (durationMs / 1000) * 1.1) + 1)), maxDurationMs: durationMs, maxSockets: s.maxSockets },
        paths: { kind: 'fixed', paths: ['/', ...ARTICLE_PAGES] },
        headers: { kind: 'rotate_ua' },
        ...overrides,
        ...stepOverrides,
      });
      left -= r.sent;
      return r;
    },
    remaining: () => left,
    close: () => pool.destroy(),
  };
}

/** One phase of a stepped flood as a reported run: its figures, what reached the origin, its time to mitigate. */
export function attackRunOf(
  ctx: ScenarioContext, name: string, startS: number, results: readonly AttackResult[], reachedBefore: number | undefined,
): AttackRun {
  const reachedAfter = ctx.originAttackRequests();
  const series = ctx.originAttackSeries();
  const sent = addSeries(results.map((r) => r.sentPerSecond));
  return {
    name,
    startS: Math.round(startS * 10) / 10,
    durationS: Math.round(results.reduce((a, r) => a + r.durationMs, 0) / 100) / 10,
    attack: addFigures(results.map(figuresOfFlood)),
    reachedOrigin: reachedBefore === undefined || reachedAfter === undefined ? null : reachedAfter - reachedBefore,
    timeToMitigateS: series === undefined || sent.length === 0 ? null : timeToMitigate(sent, series),
    sources: describeRange(BOTNET_RANGE, ctx.settings.sources),
  };
}

/** The scenario outcome of several phases' results. */
export function outcomeOf(results: readonly AttackResult[], runs: readonly AttackRun[], details: Record<string, unknown>): ScenarioOutcome {
  return {
    attack: addFigures(results.map(figuresOfFlood)),
    sentPerSecond: addSeries(results.map((r) => r.sentPerSecond)),
    stoppedBy: stoppedByOf(results.map((r) => r.stoppedBy)),
    runs,
    details,
  };
}

/** A run's time to mitigate at most `maxS` seconds (`ok: null` without origin figures). */
export function runMitigatedWithin(runs: readonly AttackRun[] | undefined, name: string, maxS: number): Criterion {
  const check = `${name} mitigated within ${maxS} s of its start`;
  const run = runs?.find((r) => r.name === name);
  if (run === undefined || run.reachedOrigin === null) return { check, ok: null, detail: 'origin figures not available' };
  const t = run.timeToMitigateS;
  return { check, ok: t !== null && t <= maxS, detail: t === null ? 'never (≥ 10% kept reaching the origin)' : `${t} s` };
}
