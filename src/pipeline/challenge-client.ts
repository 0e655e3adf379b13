/**
 * The client as the challenge sees it (core/challenge `ChallengeClient`): what tokens and clearances are
 * bound to — address, prefix, user agent, and for the `network` binding the address's autonomous system
 * and the Accept-Language header. Built from what identify found; read by identify (the clearance) and by
 * the challenge routes (issuing and verifying).
 */
import type { ChallengeClient } from '../core/challenge/index.ts';
import type { RequestContext } from './context.ts';

/** The request's client for the challenge's tokens and clearances (after identify). */
export function challengeClientOf(ctx: RequestContext): ChallengeClient {
  const headers = ctx.req.headers;
  return { address: ctx.clientAddress, prefix: ctx.prefix, userAgent: headers['user-agent'] ?? '', asn: ctx.asn, acceptLanguage: headers['accept-language'] };
}
