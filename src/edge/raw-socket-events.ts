/**
 * What the proxy server does with what never becomes an ordinary request: CONNECT (refused), a head
 * node:http's parser refuses (client errors), a body that breaks the framing of a running request, a
 * failed TLS handshake, and `Upgrade` requests (run through the same pipeline on the raw socket).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RequestContext } from '../pipeline/context.ts';
import { PAGES, sendPage } from '../pipeline/pages/pages.ts';
import type { Pipeline } from '../pipeline/runner.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import { answerClientError, classifyClientError } from './client-errors.ts';
import { kContext, type ContextualResponse } from './request-finish.ts';
import { recordUnparsedRefusal } from './unparsed-refusal.ts';

export interface RawSocketEventDeps {
  readonly recorder: Recorder;
  readonly nextId: () => string;
  readonly pipeline: Pipeline;
  getRuntime(): Runtime;
  /** Records a request once (request-finish.ts). */
  finish(ctx: RequestContext): void;
}

/**
 * Attaches the `connect`, `upgrade`, `clientError` and (when `secure`) `tlsClientError` listeners.
 * Every refusal is answered with a short page and recorded, so it counts toward escalation.
 */
export function attachRawSocketEvents(server: http.Server, secure: boolean, deps: RawSocketEventDeps): void {
  /** One record for a request refused before it became a request (parse errors, CONNECT); it counts toward escalation. */
  function recordRefusal(socket: Socket, id: string, status: number, code: string, method: string): void {
    recordUnparsedRefusal(deps.getRuntime(), deps.recorder, socket, id, status, code, method);
  }

  // CONNECT (tunnelling) is not something a reverse proxy offers: 501, then close.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const id = deps.nextId();
    socket.on('error', () => socket.destroy());
    answerClientError(socket, { page: PAGES.notImplemented, code: 'BULWARK_ERR_CONNECT_METHOD' }, id);
    recordRefusal(socket, id, PAGES.notImplemented.status, 'BULWARK_ERR_CONNECT_METHOD', req.method ?? 'CONNECT');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // Same pipeline, with a response bound to the raw socket so refusals are ordinary pages.
    const res = new http.ServerResponse(req);
    res.assignSocket(socket);
    res.shouldKeepAlive = false;
    res.once('finish', () => socket.end());
    const runtime = deps.getRuntime();
    const ctx = new RequestContext(deps.nextId(), req, res, runtime, secure, Date.now(), performance.now());
    // Only WebSocket is tunnelled; any other Upgrade (h2c...) is served as a plain request without it.
    ctx.upgrade = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (ctx.upgrade) ctx.upgradeHead = head;
    else if (head.length > 0) socket.unshift(head);
    runtime.inFlight++;
    socket.once('close', () => deps.finish(ctx));
    socket.on('error', () => socket.destroy());
    deps.pipeline.run(ctx);
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    const verdict = classifyClientError(err);
    const pending = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (pending !== undefined && pending !== null) {
      // The head was fine and a request is running; its body broke the framing (e.g. bad chunking).
      // That request's record accounts for it.
      const ctx = (pending as ContextualResponse)[kContext];
      if (ctx !== undefined && !pending.headersSent && verdict.page !== null) {
        ctx.errorCode = verdict.code;
        ctx.end('rejected');
        sendPage(pending, verdict.page, ctx.id, ctx.req.headers.accept, undefined, { close: true });
      }
      if (pending.writableEnded) {
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      } else socket.destroy();
      return;
    }
    const id = deps.nextId();
    answerClientError(socket, verdict, id);
    if (verdict.page === null) return;
    recordRefusal(socket, id, verdict.page.status, verdict.code, '');
  });
  if (secure) {
    server.on('tlsClientError', (_err: Error, socket: Socket) => socket.destroy());
  }
}
