/**
 * `parse` — the request head has been parsed by node:http under strict limits (header size and timeouts,
 * ambiguous framing refused before this runs: see edge/client-errors.ts). This phase routes the request
 * to its site by `Host` and refuses what no site should see:
 * - unknown host → 421 (RFC 9110 §15.5.20), costs nothing upstream;
 * - declared body larger than the site's `max_body_bytes` → 413 before any byte is forwarded;
 * - framing node:http lets through but we will not forward: more than one `Host` (RFC 9112 §3.2), or a
 *   `Transfer-Encoding` other than plain `chunked` (RFC 9112 §6.1: no other coding is worth the
 *   smuggling risk) → 400.
 */
import { PAGES, sendPage } from '../../edge/pages.ts';
import { normalizeHost } from '../../runtime/site-router.ts';
import type { Socket } from 'node:net';
import type { SiteStats } from '../../telemetry/site-stats.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, DONE, type Phase } from '../phase.ts';

const kSite = Symbol('bulwark.site');

/** True for a second Host field or a Transfer-Encoding that is not exactly `chunked`. */
function hasAmbiguousFraming(raw: readonly string[], te: string | undefined): boolean {
  if (te !== undefined && te.trim().toLowerCase() !== 'chunked') return true;
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host' && ++hosts > 1) return true;
  }
  return false;
}

/** Counts a connection as open for the site of its first request, until it closes. */
function attributeConnection(socket: Socket, stats: SiteStats): void {
  const s = socket as Socket & { [kSite]?: SiteStats };
  if (s[kSite] !== undefined) return;
  s[kSite] = stats;
  stats.connectionOpened();
  socket.once('close', () => stats.connectionClosed());
}

export const parsePhase: Phase = {
  name: 'parse',
  run(ctx: RequestContext) {
    const req = ctx.req;
    if (hasAmbiguousFraming(req.rawHeaders, req.headers['transfer-encoding'])) {
      ctx.errorCode = 'BULWARK_ERR_AMBIGUOUS_FRAMING';
      ctx.end('rejected');
      sendPage(ctx.res, PAGES.badRequest, ctx.id, req.headers.accept, undefined, { close: true });
      return DONE;
    }
    ctx.host = normalizeHost(req.headers.host);
    const site = ctx.runtime.route(ctx.host);
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
