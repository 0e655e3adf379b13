/**
 * `decide` — the pure policy evaluation (core/policy/decide.ts) over this request's facts, producing a
 * {@link Decision} that names what produced it: allow list → deny list → bans → rules → rate limits →
 * the threat-level response → `default/allow`. This adapter only builds the facts and acts on the
 * result's side effects that belong outside the pure core:
 * - an enforced rate-limit refusal counts toward escalation; a due ban is stored (and so dropped at
 *   accept from the next connection on);
 * - allow-listed clients go first in the origin queue; clients with strikes or matching log/shadow
 *   rules go last;
 * - shadow hits and rule errors are counted per rule for the stats.
 */
import { decide, type DecideFacts, type DecideState } from '../../core/policy/index.ts';
import { PRIORITY_CLEARED, PRIORITY_SUSPICIOUS } from '../../core/vocabulary.ts';
import { recordEscalation } from '../../runtime/escalate.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, type Phase } from '../phase.ts';

function factsOf(ctx: RequestContext): DecideFacts {
  const req = ctx.req;
  const q = ctx.path.indexOf('?');
  const headers = req.headers;
  return {
    address: ctx.clientAddress,
    prefix: ctx.prefix,
    asn: ctx.asn,
    country: ctx.country,
    fingerprint: ctx.fingerprint,
    site: ctx.site!.name,
    method: req.method ?? 'GET',
    path: q === -1 ? ctx.path : ctx.path.slice(0, q),
    query: q === -1 ? '' : ctx.path.slice(q + 1),
    host: ctx.host,
    uaClass: ctx.uaClass,
    cleared: ctx.cleared,
    threatLevel: ctx.level,
    rateAddress: 0,
    ratePrefix: 0,
    headers,
    header(name: string) {
      const v = headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

export const decidePhase: Phase = {
  name: 'decide',
  run(ctx: RequestContext) {
    const site = ctx.site!;
    const services = ctx.runtime.services;
    const state: DecideState = services.decideState;
    const result = decide(factsOf(ctx), site.policy, state, ctx.startMs);
    ctx.decision = result.decision;
    ctx.limits = result.limits;
    if (result.list !== null && result.list.kind === 'allow') ctx.priority = PRIORITY_CLEARED;
    if (result.shadow.length > 0) {
      ctx.priority = PRIORITY_SUSPICIOUS;
      for (const hit of result.shadow) services.policyStatsOf(site.name).shadow(hit.by, hit.action);
    }
    for (const e of result.errors) services.policyStatsOf(site.name).ruleError(e.by);
    const action = result.decision.action;
    if (action === 'rate_limit' || action === 'block' || action === 'tarpit') {
      recordEscalation(ctx, result.decision.by);
    } else if (ctx.priority !== PRIORITY_CLEARED && services.policy.escalation !== null) {
      if (services.policy.escalation.standing('address', ctx.clientAddress, ctx.startMs).strikes > 0) ctx.priority = PRIORITY_SUSPICIOUS;
    }
    if (action !== 'allow') services.policyStatsOf(site.name).decided(result.decision.by);
    return CONTINUE;
  },
};
