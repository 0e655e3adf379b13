/**
 * `parse` — the request head has been parsed by node:http under strict limits (header size and timeouts,
 * ambiguous framing refused before this runs: see edge/client-errors.ts). This phase routes the request
 * to its site by `Host` and refuses what no site should see:
 * - unknown host → 421 (RFC 9110 §15.5.20), costs nothing upstream;
 * - declared body larger than the site's `max_body_bytes` → 413 before any byte is forwarded;
 * - heads node:http lets through but Bulwark will not forward (core/http/request-head.ts): duplicate
 *   or invalid Host, Transfer-Encoding other than `chunked` or in HTTP/1.0, odd request targets,
 *   HTTP versions other than 1.x → 400 / 505.
 */
import { PAGES, sendPage } from '../../edge/pages.ts';
import { checkRequestHead } from '../../core/http/request-head.ts';
import { normalizeHost } from '../../runtime/site-router.ts';
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
  readonly site: NonNullable<RequestContext['site']>;
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
    if ('status' in head) {
      ctx.errorCode = head.code;
      ctx.end('rejected');
      sendPage(ctx.res, head.status === 505 ? PAGES.versionNotSupported : PAGES.badRequest, ctx.id, req.headers.accept, undefined, { close: true });
      return DONE;
    }
    if (head.authority !== null) ctx.path = ctx.originPath = head.path;
    let site: RequestContext['site'];
    if (head.authority === null && known !== undefined) {
      ctx.host = known.host;
      site = known.site;
    } else {
      ctx.host = normalizeHost(head.authority ?? hostHeader);
      site = ctx.runtime.route(ctx.host);
      if (site !== null && head.authority === null && hostHeader !== undefined) memo.route = { runtime: ctx.runtime, hostHeader, host: ctx.host, site };
    }
    if (site === null) {
      ctx.end('rejected');
      sendPage(ctx.res, PAGES.unknownHost, ctx.id, req.headers.accept);
      return DONE;
    }
    ctx.site = site;
    site.stats.requestStarted();
    attributeConnection(req.socket, site.stats);
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > site.config.max_body_bytes) {
      ctx.end('rejected');
      sendPage(ctx.res, PAGES.payloadTooLarge, ctx.id, req.headers.accept, undefined, { close: true });
      return DONE;
    }
    return CONTINUE;
  },
};
