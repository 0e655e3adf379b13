/**
 * `identify` — who is the client? Its address (socket peer, or from `X-Forwarded-For` when the peer is a
 * trusted proxy, rightmost untrusted hop), normalised; its prefix (IPv4 /24, IPv6 /64 by default) that
 * groups one subscriber's addresses; its ASN and country from offline data (loopback and private
 * ranges labelled instead); its header fingerprint (order and presence of header names, stable across
 * values: bots rotating user agents still group together); its user-agent class; its clearance (what it proves, and whether
 * it makes the client a cleared visitor at this level: core/challenge/proof.ts) or whether it is a
 * verified search-engine crawler. Cleared visitors and verified crawlers go first in the origin queue; a
 * no-JS clearance or one weaker than the level's challenge does not.
 */
import { resolveClientAddress } from '../../core/identify/client-address.ts';
import { parseIp, prefixKeyOf, type ParsedIp } from '../../core/net/ip.ts';
import type { GeoData } from '../../runtime/geo-data.ts';
import { CLEARANCE_COOKIE_NAME } from '../../core/challenge/index.ts';
import { createUaClassifier } from '../../core/identify/ua-class.ts';
import { createHeaderFingerprinter } from '../../core/identify/fingerprint.ts';
import { PRIORITY_CLEARED, type ClientClass } from '../../core/vocabulary.ts';
import { connectionMemo, type ConnectionMemo } from '../connection-memo.ts';
import { challengeClientOf } from '../challenge-client.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, type Phase } from '../phase.ts';

/** User agents repeat: a bounded memo makes classification ~0.1 µs. */
const uaClassifier = createUaClassifier();

/** What a user agent says it is, by identify's own (remembering) classifier. */
export function userAgentClass(userAgent: string | undefined): ClientClass {
  return uaClassifier.classify(userAgent);
}
/** Headers a trusted proxy adds are not the client's habits: left out of the fingerprint. */
const fingerprinter = createHeaderFingerprinter({ ignore: ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'forwarded', 'via', 'x-request-id'] });

/**
 * What identify learns from a connection's peer, kept on the socket for the next requests of a
 * keep-alive connection (a flood's connections send thousands): the peer, whether it is a trusted
 * proxy, and — when the client is the peer itself — its parsed address, prefix and geo data. Valid for
 * one runtime (prefix lengths and trusted proxies are config) and one geo dataset (loaded later).
 */
export interface PeerIdentity {
  readonly runtime: RequestContext['runtime'];
  readonly geo: GeoData | null;
  readonly trusted: boolean;
  readonly address: string;
  readonly ip: ParsedIp | null;
  readonly prefix: string;
  readonly asn: number | null;
  readonly country: string | null;
  readonly label: string;
}

/** The client's address, prefix and geo facts from a fresh resolution (see PeerIdentity). */
function resolveIdentity(ctx: RequestContext, remote: string, xff: string | undefined, geo: GeoData | null): PeerIdentity {
  const runtime = ctx.runtime;
  const client = resolveClientAddress(remote, xff, runtime.isTrustedProxy);
  ctx.forwardedFor = client.forwardedFor;
  const id = runtime.config.identify;
  // Parsed once here; the prefix, the geo lookup and decide's lists all use it.
  const ip = parseIp(client.address);
  const prefix = ip === null ? client.address : prefixKeyOf(ip, ip.family === 6 ? id.prefix_v6 : id.prefix_v4);
  const info = geo !== null && ip !== null ? geo.lookupIp(ip) : null;
  return {
    runtime, geo,
    trusted: runtime.isTrustedProxy(client.peer),
    address: client.address, ip, prefix,
    asn: info === null ? null : info.asn,
    country: info === null ? null : info.country,
    label: info === null ? 'public' : info.label,
  };
}

/** The last request's header names and fingerprint on a connection (clients repeat their habits). */
export interface LastFingerprint {
  readonly method: string;
  readonly version: string;
  readonly names: readonly string[];
  readonly fingerprint: string;
}

/**
 * The header fingerprint, reused from the previous request of the same connection when method, version
 * and header names (in order) are the same — the fingerprint is a function of exactly those.
 */
function fingerprintOf(memo: ConnectionMemo, raw: readonly string[], method: string, version: string): string {
  const last = memo.fingerprint;
  if (last !== null && last.method === method && last.version === version && last.names.length * 2 === raw.length) {
    const names = last.names;
    let same = true;
    for (let i = 0; i < names.length; i++) {
      if (names[i] !== raw[2 * i]) {
        same = false;
        break;
      }
    }
    if (same) return last.fingerprint;
  }
  const fingerprint = fingerprinter.fingerprint(raw, method, version);
  const names: string[] = [];
  for (let i = 0; i < raw.length; i += 2) names.push(raw[i]!);
  memo.fingerprint = { method, version, names, fingerprint };
  return fingerprint;
}

/**
 * The client's address, prefix and geo facts (the part of identify that needs nothing but the
 * connection and the forwarding headers): set on `ctx`. Also used for requests refused before
 * identify runs (parse refusals), so their record and escalation name the client.
 */
export function identifyClient(ctx: RequestContext): void {
  const req = ctx.req;
  const raw = req.headers['x-forwarded-for'];
  const xff = Array.isArray(raw) ? raw.join(',') : raw;
  const socket = req.socket;
  const memo = connectionMemo(socket);
  const geo = ctx.runtime.services.geo;
  let who = memo.peer;
  // A connection's peer never changes: the memo lives on the socket, so only config, geo data and a
  // forwarded client can make it stale.
  if (who === null || who.runtime !== ctx.runtime || who.geo !== geo || (who.trusted && xff !== undefined && xff !== '')) {
    who = resolveIdentity(ctx, socket.remoteAddress ?? '', xff, geo);
    // Only the peer's own identity is kept: a forwarded client changes with every request.
    if (ctx.forwardedFor === '') memo.peer = who;
  }
  ctx.clientAddress = who.address;
  ctx.ip = who.ip;
  ctx.prefix = who.prefix;
  ctx.asn = who.asn;
  ctx.country = who.country;
  ctx.addressLabel = who.label;
}

export const identifyPhase: Phase = {
  name: 'identify',
  run(ctx: RequestContext) {
    const req = ctx.req;
    identifyClient(ctx);
    const memo = connectionMemo(req.socket);
    const site = ctx.site!;
    ctx.level = ctx.runtime.services.levelOf(site.name);
    const ua = req.headers['user-agent'];
    ctx.uaClass = uaClassifier.classify(ua);
    ctx.fingerprint = fingerprintOf(memo, req.rawHeaders, req.method ?? 'GET', req.httpVersion);
    const cookie = req.headers.cookie;
    if (cookie !== undefined && cookie.includes(CLEARANCE_COOKIE_NAME)) {
      const status = site.challenge.checkClearance(cookie, challengeClientOf(ctx), ctx.level, ctx.startMs);
      ctx.clearance = status.status;
      ctx.cleared = status.status === 'valid';
      ctx.clearanceClaims = status.status === 'none' || status.status === 'invalid' ? null : status.claims;
    }
    if (ctx.uaClass === 'crawler') ctx.verifiedCrawler = ctx.runtime.services.challenge.crawlers.peek(ctx.clientAddress, ua).status === 'verified';
    if (ctx.cleared || ctx.verifiedCrawler) ctx.priority = PRIORITY_CLEARED;
    return CONTINUE;
  },
};
