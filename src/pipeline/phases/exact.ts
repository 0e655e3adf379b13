/**
 * `exact` — limits marked `exact: true`, counted on the deployment's shared server as well
 * (stores/exact-limits.ts). Runs after `decide`, only for a request that decide let through (allowed or
 * to be challenged) and that an exact, enforced limit admitted locally: then the same keys are counted on
 * the server in one atomic step, and a refusal there becomes this request's decision (`limit/<name>`,
 * with the server's Retry-After; counted toward escalation like any refusal). Every other request — all of
 * them without `shared_state` — passes synchronously: no promise, no cost. A server that does not answer
 * within its budget leaves decide's decision standing.
 */
import { recordEscalation } from '../escalate.ts';
import type { ExactCheck } from '../../stores/exact-limits.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, type Phase, type PhaseResult } from '../phase.ts';

/** Whether the request has limits to count on the shared server (see the module comment). */
function countsExactly(ctx: RequestContext): boolean {
  const verdict = ctx.limits;
  if (ctx.runtime.services.exactLimits === null || verdict === null || (ctx.decision.action !== 'allow' && ctx.decision.action !== 'challenge')) return false;
  for (const c of verdict.checks) if (c.limit.exact && !c.shadow && c.allowed) return true;
  return false;
}

export const exactPhase: Phase = {
  name: 'exact',
  // The shared server's answer is asynchronous: such a request needs node:http's objects.
  atHead: (ctx) => !countsExactly(ctx),
  run(ctx: RequestContext): PhaseResult | Promise<PhaseResult> {
    if (!countsExactly(ctx)) return CONTINUE;
    const limiter = ctx.runtime.services.exactLimits!;
    let checks: ExactCheck[] | null = null;
    let limits: Array<{ by: string }> | null = null;
    for (const c of ctx.limits!.checks) {
      if (!c.limit.exact || c.shadow || !c.allowed) continue;
      (checks ??= []).push({ key: c.key, limit: c.limit.gcra, cost: c.limit.cost });
      (limits ??= []).push(c.limit);
    }
    if (checks === null) return CONTINUE;
    return limiter.check(checks).then((r) => {
      if (r === null || r === 'unknown') return CONTINUE;
      const by = limits![r.index]!.by;
      ctx.decision = { action: 'rate_limit', by, retryAfterS: Math.max(1, Math.ceil(r.retryAfterMs / 1000)) };
      recordEscalation(ctx, by);
      ctx.runtime.services.policyStatsOf(ctx.site!.name).decided(by);
      return CONTINUE;
    });
  },
};
