/**
 * WebSocket (and any HTTP/1.1 `Upgrade`) pass-through. The upgrade request runs the
 * same pipeline as any request — routed, identified, decided, enforced — with a ServerResponse bound to
 * the raw socket so refusals are normal pages. When it reaches `forward`, undici's `upgrade` opens the
 * tunnel to the origin; on 101 Bulwark relays the handshake and splices the two sockets. A tunnel that
 * is silent in both directions for `idle_timeout` is closed.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import type { RequestContext } from '../context.ts';
import type { Upstream } from '../../runtime/origin-pools.ts';
import { classifyOriginError } from './origin-errors.ts';
import { sendPage } from '../pages/pages.ts';
import { VIA_VALUE } from './proxy-headers.ts';
import { ORIGIN_RETRY_AFTER_S, originHeadersFor } from './forward-to-origin.ts';

/** Serialises the origin's 101 response head for the client socket. */
function switchingProtocolsHead(headers: Record<string, string | string[] | undefined>, requestId: string): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (const name in headers) {
    const lower = name.toLowerCase();
    if (lower === 'x-request-id' || lower === 'via') continue;
    const value = headers[name];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  return `${head}x-request-id: ${requestId}\r\nvia: ${VIA_VALUE}\r\n\r\n`;
}

function splice(client: Socket, origin: Duplex, idleMs: number): void {
  const destroyBoth = () => {
    client.destroy();
    origin.destroy();
  };
  client.on('error', destroyBoth);
  origin.on('error', destroyBoth);
  client.on('close', () => origin.destroy());
  origin.on('close', () => client.destroy());
  client.setTimeout(idleMs, destroyBoth);
  origin.pipe(client);
  client.pipe(origin);
}

/** Opens the upgraded tunnel to the origin for a request that passed every phase. */
export function forwardUpgrade(ctx: RequestContext, upstream: Upstream, idleMs: number): void {
  const req = ctx.req;
  const client = req.socket;
  const head = ctx.upgradeHead ?? Buffer.alloc(0);
  const headers = originHeadersFor(ctx, upstream);
  const controller = new AbortController();
  ctx.abortOrigin = () => controller.abort();
  ctx.originSentMono = performance.now();
  upstream.pool
    .upgrade({ path: ctx.path, method: 'GET', headers, protocol: req.headers.upgrade ?? 'websocket', signal: controller.signal })
    .then(({ headers: originHeaders, socket: originSocket }) => {
      ctx.originLatencyMs = performance.now() - ctx.originSentMono;
      if (client.destroyed) {
        originSocket.destroy();
        return;
      }
      ctx.abortOrigin = null;
      ctx.end('forwarded');
      ctx.statusOverride = 101;
      ctx.res.detachSocket(client);
      client.write(switchingProtocolsHead(originHeaders, ctx.id));
      if (head.length > 0) originSocket.write(head);
      splice(client, originSocket, idleMs);
    })
    .catch((err: unknown) => {
      if (client.destroyed) return;
      const failure = classifyOriginError(err);
      ctx.errorCode = failure.code;
      ctx.end('failed');
      sendPage(ctx.res, failure.page, ctx.id, req.headers.accept, undefined, { close: true, retryAfterS: failure.page.status >= 500 ? ORIGIN_RETRY_AFTER_S : undefined });
    });
}
