/**
 * `identify` — who is the client? Its address (socket peer, or from `X-Forwarded-For` when the peer is a
 * trusted proxy, rightmost untrusted hop), normalised. Issue #3 adds the prefix, ASN, country,
 * fingerprint and user-agent class; issue #4 the clearance.
 */
import { resolveClientAddress } from '../../core/identify/client-address.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, type Phase } from '../phase.ts';

export const identifyPhase: Phase = {
  name: 'identify',
  run(ctx: RequestContext) {
    const req = ctx.req;
    const raw = req.headers['x-forwarded-for'];
    const xff = Array.isArray(raw) ? raw.join(',') : raw;
    const client = resolveClientAddress(req.socket.remoteAddress ?? '', xff, ctx.runtime.isTrustedProxy);
    ctx.clientAddress = client.address;
    ctx.forwardedFor = client.forwardedFor;
    return CONTINUE;
  },
};
