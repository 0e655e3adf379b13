/**
 * `parse` — the request head has been parsed by node:http under strict limits (header size and timeouts,
 * ambiguous framing refused before this runs: see edge/client-errors.ts). This phase routes the request
 * to its site by `Host` and refuses what no site should see:
 * - unknown host → 421 (RFC 9110 §15.5.20), costs nothing upstream;
 * - declared body larger than the site's `max_body_bytes` → 413 before any byte is forwarded;
 * - heads node:http lets through but Bulwark will not forward (core/http/request-head.ts): duplicate,
 *   missing (HTTP/1.1) or invalid Host, Transfer-Encoding other than `chunked` or in HTTP/1.0, odd
 *   request targets, targets that cannot be normalised, HTTP versions other than 1.x → 400 / 505;
 * - methods the site refuses (`refused_methods`, by default TRACE and TRACK, which echo the request
 *   back: cross-site tracing) → 405 with `Allow` (RFC 9110 §15.5.6).
 *
 * It also fixes what every later phase and the origin share: the normalised target (`ctx.path`,
 * `ctx.originPath`; core/http/request-target.ts), the normalised authority (`ctx.host` for routing,
 * `ctx.authority` for the origin and the cache key; core/http/authority.ts), and the header fields
 * (those a client's `Connection` names are removed here, as forwarding removes them).
 * Every refusal here is recorded once and counts toward escalation (edge/request-finish.ts, `finish`).
 */
import { PAGES, sendPage, type PageSpec } from '../pages/pages.ts';
import { normalizeAuthority } from '../../core/http/authority.ts';
import { checkRequestHead } from '../../core/http/request-head.ts';
import { dropConnectionFields } from '../../core/http/forwarded-fields.ts';
import type { Socket } from 'node:net';
import type { SiteStats } from '../../telemetry/site-stats.ts';
import { connectionMemo } from '../connection-memo.ts';
import { isHttp2Request, type RequestContext } from '../context.ts';
import { CONTINUE, DONE, type Phase } from '../phase.ts';

const kSite = Symbol('bulwark.site');

/** Counts a connection as open for the site of its first request, until it closes. */
function attributeConnection(socket: Socket, stats: SiteStats): void {
  const s = socket as Socket & { [kSite]?: SiteStats };
  if (s[kSite] !== undefined) return;
  s[kSite] = stats;
  stats.connectionOpened();
  socket.once('close', () => stats.connectionClosed());
}

/**
 * The previous request's Host on a connection, found valid and routed (keep-alive clients repeat it):
 * the next request with the same Host and config generation skips its validation and routing.
 */
export interface LastRoute {
  readonly runtime: RequestContext['runtime'];
  readonly hostHeader: string;
  readonly host: string;
  readonly authority: string;
  readonly site: NonNullable<RequestContext['site']>;
}

/** The methods a 405 names as allowed (RFC 9110 §15.5.6 requires an `Allow` field). */
const ALLOW = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';

/** Ends the request as refused (`rejected`) with `page`; the record and escalation follow in finish. */
function refuse(ctx: RequestContext, page: PageSpec, code: string | null, close: boolean, headers?: Record<string, string>): typeof DONE {
  if (code !== null) ctx.errorCode = code;
  ctx.end('rejected');
  sendPage(ctx.res, page, ctx.id, ctx.req.headers.accept, headers, { close });
  return DONE;
}

export const parsePhase: Phase = {
  name: 'parse',
  run(ctx: RequestContext) {
    const req = ctx.req;
    const memo = connectionMemo(req.socket);
    const hostHeader = req.headers.host;
    const last = memo.route;
    const known = last !== null && last.runtime === ctx.runtime && last.hostHeader === hostHeader ? last : undefined;
    const head = checkRequestHead({
      method: req.method ?? '', url: ctx.path, httpVersionMajor: req.httpVersionMajor, httpVersionMinor: req.httpVersionMinor, rawHeaders: req.rawHeaders,
      knownHost: known?.hostHeader,
      http2: isHttp2Request(req),
    });
    if ('status' in head) return refuse(ctx, head.status === 505 ? PAGES.versionNotSupported : head.status === 417 ? PAGES.expectationFailed : PAGES.badRequest, head.code, true);
    ctx.path = ctx.originPath = head.path;
    // Fields the client's Connection names go for Bulwark as they go for the origin (forwarded-fields.ts).
    dropConnectionFields(req.headers, req.rawHeaders);
    let site: RequestContext['site'];
    if (head.authority === null && known !== undefined) {
      ctx.host = known.host;
      ctx.authority = known.authority;
      site = known.site;
    } else {
      const a = normalizeAuthority(head.authority ?? hostHeader, ctx.secure);
      if (a === null) return refuse(ctx, PAGES.badRequest, 'BULWARK_ERR_INVALID_HOST', true);
      ctx.host = a.host;
      ctx.authority = a.authority;
      site = ctx.runtime.route(ctx.host);
      if (site !== null && head.authority === null && hostHeader !== undefined) memo.route = { runtime: ctx.runtime, hostHeader, host: a.host, authority: a.authority, site };
    }
    if (site === null) return refuse(ctx, PAGES.unknownHost, 'BULWARK_ERR_UNKNOWN_HOST', false);
    ctx.site = site;
    site.stats.requestStarted();
    attributeConnection(req.socket, site.stats);
    if (site.refusedMethods.has(req.method ?? '')) return refuse(ctx, PAGES.methodNotAllowed, 'BULWARK_ERR_METHOD_REFUSED', false, { allow: ALLOW });
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > site.config.max_body_bytes) return refuse(ctx, PAGES.payloadTooLarge, 'BULWARK_ERR_BODY_TOO_LARGE', true);
    return CONTINUE;
  },
};
