/**
 * The pipeline run for a request at its parsed head (head-hook.ts calls it from node:http's
 * head-complete callback): a GET or HEAD without body framing, `Expect` or `Upgrade`, on a connection
 * with no response of node:http's still being written, runs its phases on the stand-ins of
 * head-exchange.ts for as long as each can run there (`Phase.atHead`). An answer given there is written
 * by the stand-in and followed up as the proxy server follows up every immediate answer; a request
 * that needs node:http's objects is left as a HandOver for the proxy server's request handler, which
 * node's callback reaches next.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestContext } from '../../pipeline/context.ts';
import { ANSWERED_AT_HEAD, type Pipeline } from '../../pipeline/runner.ts';
import { HeadRequest, HeadResponse } from './head-exchange.ts';
import type { WireDeps } from './wire.ts';

/** What the proxy server lends the hook to run its pipeline for a request at the head. */
export interface HeadRunDeps {
  readonly pipeline: Pipeline;
  /** The request's context, started as the proxy server starts every request (ID, clocks, in-flight count). */
  contextOf(req: IncomingMessage, res: ServerResponse): RequestContext;
  /** What the proxy server does after a phase answered a request at once: record it, arm the wire. */
  afterAnswer(ctx: RequestContext): void;
  /** Records a request that ended without an answer written (dropped: the connection is gone). */
  finish(ctx: RequestContext): void;
}

/** A request started at its head that goes on with node:http's request and response. */
export interface HandOver {
  readonly ctx: RequestContext;
  /** The phase the pipeline resumes with; ANSWERED_AT_HEAD when a phase answered and `exchange` replays it. */
  readonly at: number;
  readonly exchange: HeadResponse;
}

/** What the run needs of a connection's head tap (head-hook.ts). */
export interface HeadRunTap {
  readonly socket: Socket & { _httpMessage?: unknown };
  readonly deps: WireDeps;
  readonly runner: HeadRunDeps;
  readonly counts: { ran: number; handedOver: number };
  /** Where a started request waits for the proxy server's handler to claim it. */
  pending: HandOver | null;
  /** node:http's head tail for an answer (Date unless the fields have one, keep-alive lines). */
  readonly tailOf: (hasDate: boolean) => string;
  /** Pauses reading as node:http does when the socket's send buffer is full. */
  holdIfFull(): void;
  /** Gives the parser's slot back to node:http until an answer given at once brings the head back. */
  rest(): void;
}

/** A request with a body, an Expect or an Upgrade is node:http's from the start. */
function hasFraming(raw: readonly string[]): boolean {
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const n = name.length;
    if (n !== 14 && n !== 17 && n !== 6 && n !== 7) continue;
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'expect' || lower === 'upgrade') return true;
  }
  return false;
}

/**
 * Runs the pipeline for the request at its head (see the module comment): true when a phase answered
 * (written and recorded); false when node:http's callback must run — from the start, or with a
 * HandOver left in `tap.pending` when the started request needs node:http's objects.
 */
export function runAtHead(tap: HeadRunTap, method: string | undefined, headers: string[], url: string, maxHeaderPairs: number): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  const socket = tap.socket;
  const deps = tap.deps;
  if (socket._httpMessage != null || !socket.writable || !deps.accepting() || (deps.server.maxRequestsPerSocket ?? 0) > 0) return false;
  if ((maxHeaderPairs > 0 && headers.length > maxHeaderPairs) || hasFraming(headers)) return false;
  const req = new HeadRequest(socket, method, url, headers);
  const res = new HeadResponse(req, socket, tap.tailOf);
  const runner = tap.runner;
  const ctx = runner.contextOf(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  const at = runner.pipeline.runAtHead(ctx);
  if (at !== ANSWERED_AT_HEAD || res.replaying) {
    tap.pending = { ctx, at, exchange: res };
    tap.counts.handedOver++;
    // A connection whose requests go to the origin would pay for starting each at its head and handing
    // it over (~2 µs a request, measured): its parser gets node:http's callback back until node:http's
    // path answers one of its requests at once again (head-hook.ts `attach`).
    tap.rest();
    return false;
  }
  tap.counts.ran++;
  // Answered (or dropped): whatever fails from here on must not let node:http answer it again.
  try {
    if (res.writableEnded && !res.destroyed) {
      tap.holdIfFull();
      runner.afterAnswer(ctx);
    } else runner.finish(ctx);
  } catch (err) {
    deps.logger.error({ err, requestId: ctx.id, code: 'BULWARK_ERR_INTERNAL' }, 'recording a request answered at its head failed');
  }
  return true;
}
