/**
 * `identify` — who is the client? Its address (socket peer, or from `X-Forwarded-For` when the peer is a
 * trusted proxy, rightmost untrusted hop), normalised; its prefix (IPv4 /24, IPv6 /64 by default) that
 * groups one subscriber's addresses; its ASN and country from offline data (loopback and private
 * ranges labelled instead); its header fingerprint (order and presence of header names, stable across
 * values: bots rotating user agents still group together); its user-agent class; whether it holds a valid clearance (issue #4) or is a
 * verified search-engine crawler. Cleared visitors and verified crawlers go first in the origin queue.
 */
import { resolveClientAddress } from '../../core/identify/client-address.ts';
import { parseIp, prefixKeyOf } from '../../core/net/ip.ts';
import { CLEARANCE_COOKIE_NAME } from '../../core/challenge/index.ts';
import { createUaClassifier } from '../../core/identify/ua-class.ts';
import { createHeaderFingerprinter } from '../../core/identify/fingerprint.ts';
import { PRIORITY_CLEARED } from '../../core/vocabulary.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, type Phase } from '../phase.ts';

/** User agents repeat: a bounded memo makes classification ~0.1 µs. */
const uaClassifier = createUaClassifier();
/** Headers a trusted proxy adds are not the client's habits: left out of the fingerprint. */
const fingerprinter = createHeaderFingerprinter({ ignore: ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded', 'via', 'x-request-id'] });

export const identifyPhase: Phase = {
  name: 'identify',
  run(ctx: RequestContext) {
    const req = ctx.req;
    const raw = req.headers['x-forwarded-for'];
    const xff = Array.isArray(raw) ? raw.join(',') : raw;
    const client = resolveClientAddress(req.socket.remoteAddress ?? '', xff, ctx.runtime.isTrustedProxy);
    ctx.clientAddress = client.address;
    ctx.forwardedFor = client.forwardedFor;
    const id = ctx.runtime.config.identify;
    // Parsed once here; the prefix, the geo lookup and decide's lists all use it.
    const ip = parseIp(client.address);
    ctx.ip = ip;
    ctx.prefix = ip === null ? client.address : prefixKeyOf(ip, ip.family === 6 ? id.prefix_v6 : id.prefix_v4);
    const geo = ctx.runtime.services.geo;
    if (geo !== null && ip !== null) {
      const info = geo.lookupIp(ip);
      ctx.asn = info.asn;
      ctx.country = info.country;
      ctx.addressLabel = info.label;
    }
    const site = ctx.site!;
    ctx.level = ctx.runtime.services.levelOf(site.name);
    const ua = req.headers['user-agent'];
    ctx.uaClass = uaClassifier.classify(ua);
    ctx.fingerprint = fingerprinter.fingerprint(req.rawHeaders, req.method ?? 'GET', req.httpVersion);
    const cookie = req.headers.cookie;
    if (cookie !== undefined && cookie.includes(CLEARANCE_COOKIE_NAME)) {
      const status = site.challenge.checkClearance(cookie, { address: client.address, prefix: ctx.prefix, userAgent: ua ?? '' }, ctx.level, ctx.startMs);
      ctx.clearance = status.status;
      ctx.cleared = status.status === 'valid';
    }
    if (ctx.uaClass === 'crawler') ctx.verifiedCrawler = ctx.runtime.services.challenge.crawlers.peek(client.address, ua).status === 'verified';
    if (ctx.cleared || ctx.verifiedCrawler) ctx.priority = PRIORITY_CLEARED;
    return CONTINUE;
  },
};
