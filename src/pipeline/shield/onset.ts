/**
 * Onset protection at the edge: which clients the site's short memory (core/shield/returning-clients.ts)
 * remembers, and the lookup the shield makes before queueing a request for the origin. A client is
 * remembered by its prefix (its address when it has none), when it was served normally — a fresh cache
 * hit or an origin answer below 400 — while the site was calm (`normal` level); suspicious clients (an
 * operator's log or shadow rules) are never remembered.
 */
import { PRIORITY_SUSPICIOUS } from '../../core/vocabulary.ts';
import type { RequestContext } from '../context.ts';
import type { SiteShield } from '../../runtime/site-shield.ts';

/** The key a client is remembered by: its prefix, or its address when it has none. */
export function clientMemoryKey(ctx: RequestContext): string {
  return ctx.prefix === '' ? ctx.clientAddress : ctx.prefix;
}

/** Remembers a client the site served normally (see the module comment). */
export function noteServed(ctx: RequestContext, shield: SiteShield, nowMs: number): void {
  if (shield.returning !== null && ctx.level === 'normal' && ctx.priority !== PRIORITY_SUSPICIOUS) shield.returning.served(clientMemoryKey(ctx), nowMs);
}

/** Whether the request's client is one the site served normally in the last minutes, before now. */
export function isReturning(ctx: RequestContext, shield: SiteShield, nowMs: number): boolean {
  return shield.returning !== null && shield.returning.isReturning(clientMemoryKey(ctx), nowMs);
}
