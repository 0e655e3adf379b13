/**
 * What the HTTP/2 flood scenarios (`h2-rapid-reset`, `h2-continuation`, `h2-stream-flood`) share: they
 * run against the drill's https listener (`https: true`), attack with raw frames from the botnet range,
 * and count streams (or CONTINUATION frames) as their requests. "Repelled" is judged from both sides:
 * the attacker saw its connections ended with GOAWAY naming the limit, and the origin and the visitors
 * were unaffected (the common checks).
 */
import { runH2Flood, type H2FloodKind, type H2FloodResult } from '../attackers/h2-floods.ts';
import { DrillError } from '../errors.ts';
import type { AttackFigures, Criterion, JudgedFigures, ScenarioContext, ScenarioOutcome } from './context.ts';
import { emptyFigures } from './figures.ts';
import { BOTNET_RANGE } from './site.ts';

/** The https base URL a scenario attacks; refuses a run without one. */
export function httpsTargetOf(ctx: ScenarioContext): string {
  if (ctx.httpsTarget === undefined) throw new DrillError('BULWARK_ERR_DRILL_NO_HTTPS', 'this scenario attacks an https listener: run it managed, or give --target https://…');
  return ctx.httpsTarget;
}

/** Runs an HTTP/2 flood of `kind` with the run's bounds. */
export function runScenarioFlood(ctx: ScenarioContext, kind: H2FloodKind, path = '/'): Promise<H2FloodResult> {
  const s = ctx.settings;
  return runH2Flood({
    kind,
    target: httpsTargetOf(ctx),
    path,
    ratePerS: s.rate,
    sources: s.sources,
    sourceRange: BOTNET_RANGE,
    connections: Math.min(s.sources, s.maxSockets, 32),
    bounds: { maxRequests: s.maxRequests, maxDurationMs: s.durationS * 1000, maxSockets: s.maxSockets },
    signal: ctx.signal,
  });
}

/** The figures of an HTTP/2 flood: sent streams (or frames), answers by status, unanswered as dropped. */
export function h2Outcome(r: H2FloodResult): ScenarioOutcome {
  const errors: Record<string, number> = {};
  if (r.connectFailed > 0) errors.connect_refused = r.connectFailed;
  const f = { ...emptyFigures(), byStatus: { ...r.byStatus }, errors } as { -readonly [K in keyof AttackFigures]: AttackFigures[K] };
  f.sent = r.sent;
  f.answered = r.answered;
  for (const [key, n] of Object.entries(r.byStatus)) {
    const status = Number(key);
    if (status >= 200 && status < 400) f.served += n;
    else if (status === 429) f.limited += n;
    else if (status === 403) f.blocked += n;
    else if (status === 503) f.shed += n;
    else if (status >= 400 && status < 500) f.rejected += n;
    else if (status >= 500) f.failed += n;
  }
  f.dropped = Math.max(0, r.sent - r.answered);
  return {
    attack: f,
    stoppedBy: r.stoppedBy,
    details: { connectionsOpened: r.connectionsOpened, connectFailed: r.connectFailed, goaways: r.goaways, serverResets: r.serverResets, durationMs: r.durationMs },
  };
}

/** "Bulwark ended the flooding connections with GOAWAY naming `reasons`" (from the attacker's side). */
export function endedWithGoaway(f: JudgedFigures, reasons: readonly string[]): Criterion {
  const goaways = (f.details.goaways ?? {}) as Record<string, number>;
  const opened = Number(f.details.connectionsOpened ?? 0);
  const named = reasons.reduce((n, r) => n + (goaways[r] ?? 0), 0);
  return {
    check: `flooding connections ended with GOAWAY ${reasons.join(' / ')}`,
    ok: opened === 0 ? null : named > 0,
    detail: `${named} of ${opened} connections (${JSON.stringify(goaways)}); ${String(f.details.connectFailed ?? 0)} refused before the handshake`,
  };
}
