/**
 * Escalation from a refusal to a ban (issue #3): a client (or prefix) that keeps being refused is banned
 * for a growing time; the ban is stored durably and from then on the source is dropped at accept.
 * Storing is asynchronous and never blocks or fails the request.
 */
import type { RequestContext } from '../pipeline/context.ts';

/** Counts one refusal of this request's client; stores a ban when one is due. */
export function recordEscalation(ctx: RequestContext, by: string): void {
  const services = ctx.runtime.services;
  const escalation = services.policy.escalation;
  if (escalation === null) return;
  const due = escalation.recordRefusal({ address: ctx.clientAddress, prefix: ctx.prefix || null, by }, ctx.startMs);
  if (due === null) return;
  const b = due.ban;
  services.stores.bans
    .add({ key: b.key, scope: b.scope, reason: b.reason, by, level: b.level, createdAtMs: ctx.startMs, untilMs: b.untilMs, source: 'auto' }, { actor: 'auto', nowMs: ctx.startMs })
    .then((r) => services.onBan?.(r.ban ?? null, r.change))
    .catch((err: unknown) => services.onBan?.(null, 'error', err));
}
