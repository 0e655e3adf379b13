/**
 * Escalation from a refusal to a ban: a client (or prefix) that keeps being refused is banned
 * for a growing time; the ban is stored durably and from then on the source is dropped at accept.
 * Storing is asynchronous and never blocks or fails the request.
 */
import type { RequestContext } from './context.ts';
import type { Services } from '../runtime/services.ts';

/** Counts one refusal of this request's client; stores a ban when one is due. */
export function recordEscalation(ctx: RequestContext, by: string): void {
  recordRefusalOf(ctx.runtime.services, ctx.clientAddress, ctx.prefix, by, ctx.startMs);
}

/**
 * Counts one refusal of a client (address and prefix, '' when unknown) by `by` at `nowMs`; stores a ban
 * when one is due. For refusals answered without a request context (edge/wire/refusal.ts).
 */
export function recordRefusalOf(services: Services, clientAddress: string, prefix: string, by: string, nowMs: number): void {
  const escalation = services.policy.escalation;
  if (escalation === null) return;
  const due = escalation.recordRefusal({ address: clientAddress, prefix: prefix || null, by }, nowMs);
  if (due === null) return;
  const b = due.ban;
  services.stores.bans
    .add({ key: b.key, scope: b.scope, reason: b.reason, by, level: b.level, createdAtMs: nowMs, untilMs: b.untilMs, source: 'auto' }, { actor: 'auto', nowMs })
    .then((r) => services.onBan?.(r.ban ?? null, r.change))
    .catch((err: unknown) => services.onBan?.(null, 'error', err));
}
