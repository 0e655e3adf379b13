/**
 * The client-facing HTTP(S) server: node:http with strict limits, fed by the accept gate, running the
 * pipeline for each request and recording every exit exactly once.
 *
 * Sockets reach this server only through `handleConnection` (called by the listeners after the accept
 * gate admitted them), so a banned source never meets the HTTP parser.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { ConnectionsConfig } from '../config/schema.ts';
import { hasRequestBody, RequestContext, takeRequestBytes } from '../pipeline/context.ts';
import type { PhaseFailureHandler } from '../pipeline/runner.ts';
import { PAGES, sendPage } from './pages.ts';
import { ORIGIN_RETRY_AFTER_S } from './forward.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import { requestRecordOf } from './request-record-of.ts';
import { accountAnswer } from '../runtime/answer-accounting.ts';
import { identifyClient } from '../pipeline/phases/identify.ts';
import { recordUnparsedRefusal } from './unparsed-refusal.ts';
import { answerClientError, classifyClientError } from './client-errors.ts';
import { isAcceptableRequestId } from './request-id.ts';
import { createIdleGuard } from './idle-guard.ts';
import { BulwarkResponse } from './prepared-head.ts';
import { createSlowBodyGuard, type SlowBodyGuard } from './slow-body-guard.ts';
import { armAfterAnswer, createWire, type Wire } from './wire/index.ts';

/**
 * The pipeline's failure handler: a phase that throws gets the request answered with a 500 page (or the
 * connection aborted if the response already started) and one error log line with the request ID.
 */
export function createPhaseFailureHandler(logger: Logger): PhaseFailureHandler {
  return (ctx, phase, err) => {
    ctx.errorCode = 'BULWARK_ERR_INTERNAL';
    logger.error({ err, requestId: ctx.id, phase: phase.name, code: 'BULWARK_ERR_INTERNAL' }, 'a pipeline phase failed');
    ctx.end('error');
    if (!ctx.res.headersSent) sendPage(ctx.res, PAGES.internalError, ctx.id, ctx.req.headers.accept, undefined, { retryAfterS: ORIGIN_RETRY_AFTER_S });
    else ctx.res.destroy();
  };
}

export interface ProxyServerDeps {
  readonly logger: Logger;
  readonly recorder: Recorder;
  readonly nextId: () => string;
  getRuntime(): Runtime;
  /** Called when a runtime's last in-flight request finishes (reload retires old generations). */
  onRuntimeIdle(runtime: Runtime): void;
}

export interface ProxyServer {
  readonly server: http.Server;
  readonly secure: boolean;
  handleConnection(socket: Socket): void;
  /**
   * Runs the pipeline for a request that did not come through node:http's parser — an HTTP/2 stream
   * (edge/http2) — exactly as for one that did: same context, phases, record and stats.
   */
  handleRequest(req: IncomingMessage | object, res: ServerResponse | object): void;
  /** Applies reloadable connection settings (timeouts); max_header_bytes needs a restart. */
  applySettings(c: ConnectionsConfig): void;
  readonly slowBodies: SlowBodyGuard;
  /** The wire: exact repeats answered before node:http parses them (its counters for the stats). */
  readonly wire: Wire;
  /** Stops taking requests on existing keep-alive connections and closes idle ones. */
  closeIdle(): void;
  destroyAll(): void;
  stop(): void;
}

const kContext = Symbol('bulwark.context');

/**
 * `tlsOptions` (https only) come from the HTTPS edge (edge/https-edge.ts): SNI, ALPN, TLS versions and
 * resumption; they take precedence over the defaults here.
 */
export function createProxyServer(deps: ProxyServerDeps, secure: boolean, initial: ConnectionsConfig, tlsOptions: TlsOptions = {}): ProxyServer {
  const { logger, recorder } = deps;
  let settings = initial;
  const sockets = new Set<Socket>();

  const serverOptions: http.ServerOptions = {
    maxHeaderSize: initial.max_header_bytes,
    requestTimeout: initial.request_timeout,
    headersTimeout: initial.header_timeout,
    keepAliveTimeout: initial.keep_alive_timeout,
    connectionsCheckingInterval: 500,
    // A missing Host is refused by parse (core/http/request-head.ts) with a page, a record and
    // escalation, not by node:http's bare 400.
    requireHostHeader: false,
    joinDuplicateHeaders: false,
    insecureHTTPParser: false,
    // Accepts prepared heads (prepared-head.ts) for pages and cache hits.
    ServerResponse: BulwarkResponse as unknown as typeof http.ServerResponse,
  };
  const server: http.Server = secure
    ? https.createServer({
        ...serverOptions,
        SNICallback: (name, cb) => cb(null, deps.getRuntime().secureContextFor(name) ?? undefined),
        // A handshake that does not finish in time is dropped (slow TLS clients count as slowloris).
        handshakeTimeout: initial.header_timeout,
        ...tlsOptions,
      } as https.ServerOptions)
    : http.createServer(serverOptions);
  // Idle connections are swept (idle-guard.ts) rather than timed per request by node:http.
  server.timeout = 0;
  const idle = createIdleGuard(initial.idle_timeout);
  // The server never listens itself (listeners hand it admitted sockets), but node:http starts its
  // connection tracking — header/request timeouts, closeIdleConnections — on 'listening'.
  server.emit('listening');

  // Cleared by closeIdle: from then on node:http answers every request (and closes the connection).
  let accepting = true;
  const wire = createWire({ server, recorder, logger, nextId: deps.nextId, getRuntime: () => deps.getRuntime(), accepting: () => accepting });

  const slowBodies = createSlowBodyGuard(() => ({ minRate: settings.min_body_rate, graceMs: settings.body_rate_grace }));

  /**
   * Records the request (once). `answered`: the pipeline ended the response before it returned, so it is
   * complete from Bulwark's side even though the socket may still be flushing it (see onRequest).
   */
  function finish(ctx: RequestContext, answered = false): void {
    if (ctx.recorded) return;
    ctx.recorded = true;
    const { res, req } = ctx;
    const complete = answered || res.writableFinished || ctx.statusOverride !== 0;
    if (!complete && ctx.abortOrigin !== null) ctx.abortOrigin();
    // Backstop: whatever happened on the way, the shield's slot and flight are released (idempotent).
    ctx.forwardHooks?.onSettled?.(ctx, { kind: 'client_gone' });
    const runtime = ctx.runtime;
    if (--runtime.inFlight === 0) deps.onRuntimeIdle(runtime);
    let outcome = ctx.outcome;
    let status = ctx.statusOverride !== 0 ? ctx.statusOverride : res.headersSent ? res.statusCode : 0;
    if (outcome === null) {
      if (complete) outcome = 'error';
      else {
        outcome = 'abandoned';
        status = 499; // nginx's "client closed request"
      }
    } else if (!complete && outcome === 'forwarded') {
      outcome = ctx.errorCode === null ? 'abandoned' : outcome;
    }
    const bytes = takeRequestBytes(req);
    // One clock read: the end's wall time is the start's plus the monotonic duration (a clock read is
    // a system call here, ~70 ns, a measurable share of a cache hit).
    const durationMs = performance.now() - ctx.startMono;
    const timeMs = Math.floor(ctx.startMs + durationMs);
    const site = ctx.site;
    // A request refused before identify ran (parse) is still recorded and escalated under its client.
    if (outcome === 'rejected' && ctx.clientAddress === '') identifyClient(ctx);
    if (site !== null) site.stats.requestEnded();
    const record = requestRecordOf(ctx, { outcome, status, bytesIn: bytes.bytesIn, bytesOut: bytes.bytesOut, durationMs, timeMs });
    // The 404 budget and escalation, as every answer path feeds them (runtime/answer-accounting.ts).
    accountAnswer(runtime, record, ctx.priority);
    recorder.record(record);
  }

  /** One shared listener (no closure per request): the context hangs on the response. */
  function onResponseClose(this: ServerResponse): void {
    const ctx = (this as ServerResponse & { [kContext]?: RequestContext })[kContext];
    if (ctx !== undefined) finish(ctx);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const runtime = deps.getRuntime();
    const incomingId = req.headers['x-request-id'];
    let id: string;
    if (typeof incomingId === 'string' && isAcceptableRequestId(incomingId) && runtime.isTrustedProxy(req.socket.remoteAddress ?? '')) id = incomingId;
    else id = deps.nextId();
    const ctx = new RequestContext(id, req, res, runtime, secure, Date.now(), performance.now());
    (res as ServerResponse & { [kContext]?: RequestContext })[kContext] = ctx;
    runtime.inFlight++;
    const body = hasRequestBody(req);
    if (body) slowBodies.track(req, ctx.startMs);
    // An answer written before run() returns (cache hit, 429, page) to a request without a body is
    // recorded at once: its outcome, status and bytes are final (socket.bytesWritten counts what is
    // still being flushed). Only the connection's current response qualifies: a pipelined one still
    // queued in node:http has not reached the socket's counters. Everything else is recorded when the
    // response closes ('close' comes on the next tick at the earliest, so attaching after run() misses
    // nothing; `on` spares the per-request wrapper `once` allocates).
    if (runtime.pipeline.run(ctx) && !body && res.writableEnded && !res.destroyed && res.socket !== null) {
      finish(ctx, true);
      // A refusal from the connection's lane or a fresh hit: its next copies may be answered on the wire.
      armAfterAnswer(wire, ctx);
    } else res.on('close', onResponseClose);
  }

  /** One record for a request refused before it became a request (parse errors, CONNECT); it counts toward escalation. */
  function recordRefusal(socket: Socket, id: string, status: number, code: string, method: string): void {
    recordUnparsedRefusal(deps.getRuntime(), recorder, socket, id, status, code, method);
  }

  server.on('request', onRequest);
  // An Expect node:http does not know (anything but 100-continue) would get its bare 417; parse refuses
  // it with a page, a record and escalation like any other invalid head.
  server.on('checkExpectation', onRequest);
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
    socket.once('close', () => finish(ctx));
    socket.on('error', () => socket.destroy());
    runtime.pipeline.run(ctx);
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
    const verdict = classifyClientError(err);
    const pending = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (pending !== undefined && pending !== null) {
      // The head was fine and a request is running; its body broke the framing (e.g. bad chunking).
      // That request's record accounts for it.
      const ctx = (pending as ServerResponse & { [kContext]?: RequestContext })[kContext];
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

  return {
    server,
    secure,
    handleRequest: (req, res) => onRequest(req as IncomingMessage, res as ServerResponse),
    handleConnection(socket) {
      sockets.add(socket);
      // node:http's header timeout starts with the first byte; a connection that sends nothing at all
      // gets the same allowance (silent slowloris).
      const firstByte = setTimeout(() => {
        if (socket.bytesRead === 0) socket.destroy();
      }, settings.header_timeout);
      firstByte.unref();
      idle.track(socket);
      socket.once('close', () => {
        clearTimeout(firstByte);
        sockets.delete(socket);
        idle.forget(socket);
      });
      server.emit('connection', socket);
    },
    applySettings(c) {
      settings = c;
      server.requestTimeout = c.request_timeout;
      server.headersTimeout = c.header_timeout;
      server.keepAliveTimeout = c.keep_alive_timeout;
      idle.setTimeout(c.idle_timeout);
    },
    slowBodies,
    wire,
    closeIdle() {
      accepting = false;
      server.closeIdleConnections();
    },
    destroyAll() {
      for (const s of sockets) s.destroy();
    },
    stop() {
      slowBodies.stop();
      idle.stop();
      server.close();
    },
  };
}
