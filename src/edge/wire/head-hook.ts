/**
 * Requests answered at the parsed head: as soon as node's parser has read a request's head, before
 * node:http makes an IncomingMessage and a ServerResponse of it.
 *
 * A flood that varies its requests — a new cookie, Referer, extension header, query string or
 * browser's user agent each time — gets answers Bulwark writes at once: a 429 from the refusal lane,
 * a challenge page, a cached page. Bulwark's own work for such an answer is a few microseconds; what
 * node:http adds per request is as much again: two stream objects, the 'request' event, the
 * response's head and end, its 'finish'. Measured on this machine's loopback, a node:http server
 * answering at the parsed head spends ~7 µs per 429 against ~11.5 µs through those objects. The wire
 * (wire.ts) skips them too, but only for byte-for-byte copies.
 *
 * How: node:http's parser calls one function when a head is complete (`parserOnHeadersComplete` in
 * lib/_http_common.js, Node 18–24), with the method, target, version, header list and whether the
 * connection stays open. Once Bulwark answered a request on a connection at once (through node:http),
 * its parser's slot gets this module's function instead (found by the function's name on the first
 * parser; when not found, nothing changes), and gets node's back when the connection closes: parsers
 * are pooled, and a connection whose requests all go to the origin pays nothing. For each request the
 * function tries, in order:
 * 1. a lane answer, when the connection's refusal lane serves the request by the lane's own
 *    conditions (`laneServes`: config generation, time, method, HTTP/1.1, target in normal form,
 *    header fields, ban) and its answerer exists (refusal.ts `laneHeadAnswerOf`: no body framing,
 *    `Expect`, `Upgrade` or request ID in the lane's field names), unless the request is an exact repeat
 *    of the one before while the wire can take the connection (the wire answers those from the bytes
 *    read, cheaper still). The answer is the lane's: the same page, fields, escalation count, stats and
 *    record as the lane phase gives (refusal.ts `RefusalAnswer`), with the request's own target,
 *    Referer and User-Agent in its record;
 * 2. the pipeline (head-run.ts), for a GET or HEAD without body framing, `Expect` or `Upgrade`: the
 *    phases run on stand-ins for node:http's request and response (head-exchange.ts) for as long as
 *    each can run there (`Phase.atHead`: everything that answers at once — refusals, challenges,
 *    fresh hits, pages — but not what waits or reaches the origin). An answer is written by the
 *    stand-in, byte for byte node:http's, and recorded and followed up as the proxy server does every
 *    immediate answer (`HeadRunDeps.afterAnswer`). When a phase needs node:http's objects, or an answer takes a shape
 *    only node:http writes (a closing answer, say), the request is handed over: node's function makes
 *    the request and response and emits 'request', and the proxy server's handler claims the started
 *    request (`claim`), gives it node's objects and resumes the pipeline (or replays the answer). The
 *    connection's parser then gets node's callback back until node:http's path answers one of its
 *    requests at once again: a connection whose requests go to the origin would otherwise pay for a
 *    start and a hand-over with each.
 * Both only when the connection stays open, no response of node:http's is still being written on it
 * (answers leave in order), the server is not draining and has no per-connection request cap, the head
 * came in one piece (node hands over a head split across reads differently) and under the header-count
 * cap, and its method's number is known (learnt from node:http's own requests: the process's first
 * request with a method goes through node:http). Everything else calls node's function with the same
 * arguments, so node:http's path runs exactly as without the hook. After an answer at the head,
 * node:http finishes reading the (body-less) request and finds no message to end.
 *
 * Backpressure is node:http's own: when the socket's send buffer is full, the socket is paused the
 * way node:http pauses it for its own queued responses, and node:http resumes it on 'drain'.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { scanTarget, TARGET_CLEAN } from '../../core/http/request-target.ts';
import { connectionMemo, connectionMemoIfAny, type ConnectionMemo } from '../../pipeline/connection-memo.ts';
import type { RequestContext } from '../../pipeline/context.ts';
import { laneServes } from '../../pipeline/lane/refusal-lane.ts';
import type { PolicyStats } from '../../telemetry/policy-stats.ts';
import { laneHeadAnswerOf } from './refusal.ts';
import { sameFieldsFromLast } from './head-match.ts';
import { answerTail, writeAnswer } from './answer-write.ts';
import type { Wire, WireDeps, WireOut } from './wire.ts';
import { HEADERS_OF_RAW } from '../request-headers.ts';
import { runAtHead, type HandOver, type HeadRunDeps, type HeadRunTap } from './head-run.ts';

/** node:http's parser as far as this module uses it (internal API, probed before use). */
interface HeadParser {
  socket: Socket | null | undefined;
  incoming: unknown;
  maxHeaderPairs: number;
  [slot: number]: unknown;
}
type HookedSocket = Socket & { parser?: HeadParser | null; _httpMessage?: unknown; _paused?: boolean };

/** node:http's head-complete callback (its arguments as lib/_http_common.js receives them). */
type OnHeadersComplete = (
  this: HeadParser,
  versionMajor: number,
  versionMinor: number,
  headers: string[] | undefined,
  method: number | undefined,
  url: string | undefined,
  statusCode: unknown,
  statusMessage: unknown,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => unknown;

/** The name of node:http's callback, by which its slot in the parser is found. */
const NODE_HEADERS_COMPLETE = 'parserOnHeadersComplete';

/** The parser slot holding node:http's callback, and the callback; null when this Node has none such. */
let nodeCallback: { slot: number; original: OnHeadersComplete } | null | undefined;

/**
 * Method names by the parser's method number, learnt from node:http's own requests (the first request
 * with a method goes through node:http, which names it): never a copy of the parser's table.
 */
const methodNames: Array<string | undefined> = [];

export interface HeadHookStats {
  /** Lane requests answered at their parsed head since start. */
  readonly answered: number;
  /** Requests whose pipeline ran at their parsed head and answered there. */
  readonly ran: number;
  /** Requests whose pipeline started at their parsed head and went on with node:http's objects. */
  readonly handedOver: number;
}

export interface HeadHook {
  /**
   * After node:http's pipeline answered `ctx` at once, attaches to its connection (once; the request
   * becomes the one exact repeats are told from): the connection's next requests are run at their
   * head. No-op for a connection without node:http's parser (HTTP/2).
   */
  attach(ctx: RequestContext): void;
  /**
   * The request the hook handed to node:http for this request object, if any (taken once): the proxy
   * server's request handler goes on with it instead of starting a new one.
   */
  claim(req: IncomingMessage): HandOver | null;
  stats(): HeadHookStats;
}

/** What the hook keeps about one connection (`ConnectionMemo.head`); the answer's socket side. */
class HeadTap implements WireOut, HeadRunTap {
  /** Bytes read for the request being answered (the record's bytes in). */
  headBytes = 0;
  /** The connection's previous request as parsed (to leave its exact repeats to the wire). */
  lastUrl = '';
  lastHeaders: readonly string[] | null = null;
  constructor(
    readonly deps: WireDeps,
    readonly memo: ConnectionMemo,
    readonly socket: HookedSocket,
    readonly parser: HeadParser,
    readonly wire: Wire,
    readonly counts: HeadCounts,
    readonly runner: HeadRunDeps,
  ) {}

  /** A request started here and handed to node:http, until the proxy server's handler claims it. */
  pending: HandOver | null = null;

  tail(hasDate: boolean): string {
    return answerTail(this.deps.server, hasDate);
  }

  /** node:http's own backpressure: it reads no further request until its 'drain' listener resumes. */
  holdIfFull(): void {
    const socket = this.socket;
    if (socket.writableNeedDrain && socket._paused !== true) {
      socket._paused = true;
      socket.pause();
    }
  }

  write(head: string, body?: Buffer | string): number {
    const bytes = writeAnswer(this.socket, this.memo, head, body);
    this.holdIfFull();
    return bytes;
  }

  counted(stats: PolicyStats): void {
    stats.headAnswered();
  }

  /** Answers the request if the lane serves it (see the module comment); false: node:http's path. */
  answer(parser: HeadParser, headers: string[], method: number, url: string): boolean {
    const memo = this.memo;
    const lastUrl = this.lastUrl;
    const lastHeaders = this.lastHeaders;
    this.lastUrl = url;
    this.lastHeaders = headers;
    const lane = memo.lane;
    if (lane === null) return false;
    // An exact repeat is the wire's (unless the wire cannot take this connection).
    if (memo.wire !== null && url === lastUrl && lastHeaders !== null && sameFieldsFromLast(headers, lastHeaders)) return false;
    const socket = this.socket;
    const deps = this.deps;
    if (socket._httpMessage != null || !socket.writable || !deps.accepting() || (deps.server.maxRequestsPerSocket ?? 0) > 0) return false;
    if (parser.maxHeaderPairs > 0 && headers.length > parser.maxHeaderPairs) return false;
    const answer = laneHeadAnswerOf(lane);
    if (answer === null) return false;
    const startMono = performance.now();
    const nowMs = Date.now();
    const runtime = deps.getRuntime();
    if (scanTarget(url) !== TARGET_CLEAN || !laneServes(lane, runtime, nowMs, methodNames[method], '1.1', url, headers)) return false;
    // What the connection read since its previous record is this request's (pipeline/context.ts, takeSocketBytes).
    const read = socket.bytesRead;
    this.headBytes = Math.max(0, read - memo.bytesRead);
    // The lane's field names are the request's, in order: its Referer and User-Agent sit where the lane's do.
    const referer = answer.refererAt < 0 ? undefined : headers[answer.refererAt + 1];
    const userAgent = answer.agentAt < 0 ? undefined : headers[answer.agentAt + 1];
    if (!answer.respond(this, runtime, nowMs, startMono, url, referer, userAgent)) return false;
    // Answered: the read mark moves past it (the write moved the written mark).
    memo.bytesRead = read;
    memo.laneMisses = 0;
    this.counts.answered++;
    // Should the next request repeat this one exactly, node:http's lane answer to it arms the wire.
    this.wire.observe(socket, lane, lane.method, url, headers);
    return true;
  }

  /** The pipeline for the request at its head (head-run.ts); false: node:http's callback must run. */
  run(parser: HeadParser, headers: string[], methodNumber: number, url: string): boolean {
    return runAtHead(this, methodNames[methodNumber], headers, url, parser.maxHeaderPairs);
  }

  /** Gives the parser's slot back to node:http's callback (the connection stays known: `attach` takes it again). */
  rest(): void {
    const node = nodeCallback;
    if (node != null && this.parser.socket === this.socket && this.parser[node.slot] === onHeadersComplete) this.parser[node.slot] = node.original;
  }

  /** Takes the parser's slot again after `rest`, unless the parser now belongs to another connection. */
  wake(): void {
    const node = nodeCallback;
    if (node != null && this.parser.socket === this.socket && this.parser[node.slot] === node.original) this.parser[node.slot] = onHeadersComplete;
  }

  /** `tail` bound once, for the head run's responses. */
  readonly tailOf = (hasDate: boolean): string => this.tail(hasDate);
}

/**
 * The function put in the proxy's parsers instead of node:http's. Parsers are pooled and shared with
 * every other node:http server and client in the process, so it serves any parser: one whose socket has
 * no head tap (or any request it does not answer) goes to node:http's callback unchanged.
 */
const onHeadersComplete: OnHeadersComplete = function onHeadersComplete(versionMajor, versionMinor, headers, method, url, statusCode, statusMessage, upgrade, shouldKeepAlive) {
  const socket = this.socket;
  if (socket != null && headers !== undefined && url !== undefined && typeof method === 'number' && versionMajor === 1 && versionMinor === 1 && !upgrade && shouldKeepAlive) {
    const tap = connectionMemoIfAny(socket)?.head;
    if (tap instanceof HeadTap && tap.socket === socket) {
      let answered = false;
      try {
        answered = tap.answer(this, headers, method, url) || tap.run(this, headers, method, url);
      } catch (err) {
        // Thrown before anything was written or started (RefusalAnswer.respond catches what follows a
        // write; the pipeline's failure handler what a phase throws).
        if (!tap.counts.failureLogged) {
          tap.counts.failureLogged = true;
          tap.deps.logger.error({ err, code: 'BULWARK_ERR_WIRE' }, 'answering a request at its head failed; node:http answers instead (reported once)');
        }
      }
      if (answered) {
        // No message for node:http to end when the parser reaches the end of this one.
        this.incoming = null;
        return 0;
      }
      if (tap.pending !== null) return handOver(tap, this, versionMajor, versionMinor, headers, method, url, statusCode, statusMessage, upgrade, shouldKeepAlive);
    }
  }
  const result = nodeCallback!.original.call(this, versionMajor, versionMinor, headers, method, url, statusCode, statusMessage, upgrade, shouldKeepAlive);
  if (typeof method === 'number' && methodNames[method] === undefined) {
    const name = (this.incoming as { method?: unknown } | null)?.method;
    if (typeof name === 'string') methodNames[method] = name;
  }
  return result;
};

/**
 * Lets node:http make its request and response for a request started at the head: node's callback
 * emits 'request' at once, and the proxy server's handler claims the started request (`claim`) and
 * resumes it. Should it not (no handler took it), the request is recorded as it stands.
 */
function handOver(tap: HeadTap, parser: HeadParser, ...args: Parameters<OnHeadersComplete>): unknown {
  const pending = tap.pending!;
  try {
    return nodeCallback!.original.apply(parser, args);
  } finally {
    if (tap.pending === pending) {
      tap.pending = null;
      tap.runner.finish(pending.ctx);
    }
  }
}

/** Finds node:http's callback in a parser (once per process); null when this Node has none by that name. */
function probe(parser: HeadParser): { slot: number; original: OnHeadersComplete } | null {
  if (nodeCallback !== undefined) return nodeCallback;
  nodeCallback = null;
  for (let slot = 0; slot < 16; slot++) {
    const f = parser[slot];
    if (typeof f === 'function' && f.name === NODE_HEADERS_COMPLETE) {
      nodeCallback = { slot, original: f as OnHeadersComplete };
      break;
    }
  }
  return nodeCallback;
}

/** A closed connection's parser gets node:http's callback back, unless another connection has it by now. */
function detach(this: HookedSocket): void {
  const tap = connectionMemoIfAny(this)?.head;
  if (!(tap instanceof HeadTap) || nodeCallback == null) return;
  const parser = tap.parser;
  if ((parser.socket == null || parser.socket === this) && parser[nodeCallback.slot] === onHeadersComplete) parser[nodeCallback.slot] = nodeCallback.original;
}

interface HeadCounts {
  answered: number;
  ran: number;
  handedOver: number;
  failureLogged: boolean;
}

export function createHeadHook(deps: WireDeps, wire: Wire, runner: HeadRunDeps): HeadHook {
  const counts: HeadCounts = { answered: 0, ran: 0, handedOver: 0, failureLogged: false };
  return {
    attach(ctx) {
      const req = ctx.req;
      const socket = req.socket as HookedSocket | null;
      if (!HEADERS_OF_RAW || socket == null || socket.destroyed) return;
      const memo = connectionMemo(socket);
      if (memo.head !== null) {
        // Answered at once again (through node:http) after a hand-over: its next request is tried at its head.
        if (memo.head instanceof HeadTap) memo.head.wake();
        return;
      }
      const parser = socket.parser;
      if (parser == null || parser.socket !== socket) return;
      const node = probe(parser);
      if (node === null) return;
      const current = parser[node.slot];
      if (current !== node.original && current !== onHeadersComplete) return;
      parser[node.slot] = onHeadersComplete;
      const tap = new HeadTap(deps, memo, socket, parser, wire, counts, runner);
      tap.lastUrl = req.url ?? '';
      tap.lastHeaders = req.rawHeaders;
      memo.head = tap;
      socket.once('close', detach);
    },
    claim(req) {
      const tap = connectionMemoIfAny(req.socket)?.head;
      if (!(tap instanceof HeadTap) || tap.pending === null) return null;
      const pending = tap.pending;
      tap.pending = null;
      return pending;
    },
    stats: () => ({ answered: counts.answered, ran: counts.ran, handedOver: counts.handedOver }),
  };
}
