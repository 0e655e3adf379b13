/**
 * The client-facing HTTP(S) server: node:http with strict limits, fed by the accept gate, running the
 * pipeline for each request and recording every exit exactly once.
 *
 * Sockets reach this server only through `handleConnection` (called by the listeners after the accept
 * gate admitted them), so a banned source never meets the HTTP parser.
 */
import type http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { ConnectionsConfig } from '../config/schema.ts';
import { hasRequestBody, RequestContext } from '../pipeline/context.ts';
import { ANSWERED_AT_HEAD, type Pipeline } from '../pipeline/runner.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import { isAcceptableRequestId } from './request-id.ts';
import { createIdleGuard } from './idle-guard.ts';
import { createNodeServer } from './node-server.ts';
import { attachRawSocketEvents } from './raw-socket-events.ts';
import { createRequestFinisher, kContext, type ContextualResponse } from './request-finish.ts';
import { createSlowBodyGuard, type SlowBodyGuard } from './slow-body-guard.ts';
import { armAfterAnswer, createWire, type Wire } from './wire/index.ts';
import { createHeadHook, type HeadHook } from './wire/head-hook.ts';

export interface ProxyServerDeps {
  readonly logger: Logger;
  readonly recorder: Recorder;
  readonly nextId: () => string;
  /** The phases every request runs (composed once at start; the same for every config generation). */
  readonly pipeline: Pipeline;
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
  /** Lane requests answered at their parsed head, before node:http's request objects (its counters for the stats). */
  readonly head: HeadHook;
  /** Stops taking requests on existing keep-alive connections and closes idle ones. */
  closeIdle(): void;
  destroyAll(): void;
  stop(): void;
}

/**
 * `tlsOptions` (https only) come from the HTTPS edge (edge/https-edge.ts): SNI, ALPN, TLS versions and
 * resumption; they take precedence over the defaults here.
 */
export function createProxyServer(deps: ProxyServerDeps, secure: boolean, initial: ConnectionsConfig, tlsOptions: TlsOptions = {}): ProxyServer {
  const { logger, recorder } = deps;
  let settings = initial;
  const sockets = new Set<Socket>();
  const server = createNodeServer(() => deps.getRuntime(), secure, initial, tlsOptions);
  const idle = createIdleGuard(initial.idle_timeout);

  // Cleared by closeIdle: from then on node:http answers every request (and closes the connection).
  let accepting = true;
  const wireDeps = { server, recorder, logger, nextId: deps.nextId, getRuntime: () => deps.getRuntime(), accepting: () => accepting };
  const wire = createWire(wireDeps);
  const { finish, onResponseClose } = createRequestFinisher(deps);
  const head = createHeadHook(wireDeps, wire, { pipeline: deps.pipeline, contextOf, afterAnswer, finish: (ctx) => finish(ctx) });

  const slowBodies = createSlowBodyGuard(() => ({ minRate: settings.min_body_rate, graceMs: settings.body_rate_grace }));

  /** Starts a request: its ID (an incoming one only from a trusted proxy), clocks, context and in-flight count. */
  function contextOf(req: IncomingMessage, res: ServerResponse): RequestContext {
    const runtime = deps.getRuntime();
    const incomingId = req.headers['x-request-id'];
    let id: string;
    if (typeof incomingId === 'string' && isAcceptableRequestId(incomingId) && runtime.isTrustedProxy(req.socket.remoteAddress ?? '')) id = incomingId;
    else id = deps.nextId();
    const ctx = new RequestContext(id, req, res, runtime, secure, Date.now(), performance.now());
    runtime.inFlight++;
    return ctx;
  }

  /**
   * After a phase answered a request at once (through node:http or at the request's head): records it
   * now — its outcome, status and bytes are final (socket.bytesWritten counts what is still being
   * flushed) — and lets the connection's next requests skip what they can: exact repeats of a lane
   * refusal or a fresh hit on the wire, everything else at its parsed head.
   */
  function afterAnswer(ctx: RequestContext): void {
    finish(ctx, true);
    armAfterAnswer(wire, ctx);
    head.attach(ctx);
  }

  /**
   * What follows the pipeline's run for a request with node:http's objects. An answer written before
   * run() returned to a request without a body is recorded at once (afterAnswer). Only the connection's
   * current response qualifies: a pipelined one still queued in node:http has not reached the socket's
   * counters. Everything else is recorded when the response closes ('close' comes on the next tick at
   * the earliest, so attaching after run() misses nothing; `on` spares the per-request wrapper `once`
   * allocates).
   */
  function settle(ctx: RequestContext, answered: boolean, body: boolean): void {
    const res = ctx.res;
    if (answered && !body && res.writableEnded && !res.destroyed && res.socket !== null) afterAnswer(ctx);
    else res.on('close', onResponseClose);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    // A request started at its head (edge/wire/head-hook.ts) goes on with node:http's objects.
    const handed = head.claim(req);
    if (handed !== null) {
      const ctx = handed.ctx;
      ctx.handOver(req, res);
      (res as ContextualResponse)[kContext] = ctx;
      handed.exchange.replayOnto(res);
      settle(ctx, handed.at === ANSWERED_AT_HEAD || deps.pipeline.resume(ctx, handed.at), false);
      return;
    }
    const ctx = contextOf(req, res);
    (res as ContextualResponse)[kContext] = ctx;
    const body = hasRequestBody(req);
    if (body) slowBodies.track(req, ctx.startMs);
    settle(ctx, deps.pipeline.run(ctx), body);
  }

  server.on('request', onRequest);
  // An Expect node:http does not know (anything but 100-continue) would get its bare 417; parse refuses
  // it with a page, a record and escalation like any other invalid head.
  server.on('checkExpectation', onRequest);
  attachRawSocketEvents(server, secure, { recorder, nextId: deps.nextId, pipeline: deps.pipeline, getRuntime: () => deps.getRuntime(), finish });

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
    head,
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
