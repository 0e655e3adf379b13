/**
 * The refusal lane on the wire: a flood's keep-alive connection that sends the same request head over
 * and over is answered 429 from the bytes it reads, before node:http parses them.
 *
 * The refusal lane (refusal-lane.ts) already spares a refused connection's repeats Bulwark's own
 * identify and decide; what is left is node:http's per-request work (parser callbacks, an
 * IncomingMessage and a ServerResponse, their events) and the request context — together more than a
 * bare node:http server spends answering 429 to everything. So once the lane has answered a request
 * that arrived alone in its read (the read's bytes are exactly that request's head, so node's parser
 * is between requests afterwards), the connection's reads go through this module first: a read that is
 * one or more byte-for-byte copies of that head is answered here, each copy with the page, fields,
 * record, escalation count and stats the lane gives it; any other read goes to node:http unchanged and
 * the wire stands aside until the lane arms it again.
 *
 * Byte-for-byte equality keeps it exact: same method, target, version and every header (so the same
 * Host, client identity, cookies and fingerprint as the request the lane served), no body, on the
 * same socket (same peer). The lane's own conditions are checked for every copy (same config
 * generation, before the limit admits again, the client not banned); when one fails the lane closes and
 * the copy goes to node:http, which runs the whole pipeline for it.
 *
 * What node:http keeps doing for such a connection: the socket (timeouts count the wire's reads and
 * writes as activity), its idle tracking (a drain closes it like any idle keep-alive connection) and
 * everything that is not an exact copy. Only HTTP/1.1 over connections node:http set up the usual way
 * (its one 'data' listener, a parser that can show the read it is parsing) are armed; anything else
 * simply stays on node:http's path. Answers wait while the socket's send buffer is full.
 *
 * Taking a connection swaps node's 'data' listener for the wire's; node:http then reads it through
 * JavaScript 'data' events instead of its native path (its own documented behaviour when a 'data'
 * listener is added), which costs it more per request than the wire saves on a copy. So the wire takes
 * a connection only once the lane has seen it repeat a request (same target twice), and gives it back —
 * node's listener, parser and pause/resume handling as node set them up — after a few reads in a row
 * it could not answer. A flood that varies its requests never leaves node:http's native path.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { connectionMemo, type ConnectionMemo } from '../pipeline/connection-memo.ts';
import type { RequestContext } from '../pipeline/context.ts';
import { recordRefusalOf } from '../runtime/escalate.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import { PAGES, pageFormat, renderedOf, type RenderedPage } from './pages.ts';
import { keepAliveTail, utcDateLine } from './prepared-head.ts';
import { laneRefusalFields, type Lane } from './refusal-lane.ts';

export interface WireLaneDeps {
  readonly server: Server;
  readonly recorder: Recorder;
  readonly logger: Logger;
  readonly nextId: () => string;
  getRuntime(): Runtime;
  /** False once the server drains: the wire stands aside and node:http answers (and closes). */
  accepting(): boolean;
}

export interface WireLaneStats {
  /** Connections the wire took from node:http's native read path, and gave back, since start. */
  readonly taken: number;
  readonly returned: number;
}

export interface WireLane {
  /**
   * Called after the pipeline answered `ctx` from (or by opening) its connection's refusal lane:
   * arms the wire for that lane's head when the request arrived alone in its read.
   */
  arm(ctx: RequestContext): void;
  stats(): WireLaneStats;
}

/** node:http's parser as far as the wire uses it (internal API, probed before use). */
interface NodeParser {
  getCurrentBuffer(): Buffer;
  consume(handle: unknown): void;
  _consumed?: boolean;
}
type NodeSocket = Socket & { parser?: NodeParser | null; _httpMessage?: unknown; _paused?: boolean; _handle?: unknown };
type Listener = (...args: unknown[]) => void;

/** Reads in a row the wire hands to node:http before it gives the connection back to node's native path. */
const MISSES_BEFORE_RETURN = 4;

/** The name node:http's bound per-connection 'data' listener has (lib/_http_server.js, Node 18–24). */
const NODE_ON_DATA = 'bound socketOnData';
const STATUS_LINE = 'HTTP/1.1 429 Too Many Requests\r\n';
const ASCII = /^[\x00-\x7f]*$/;

/** What the wire keeps about one connection (`ConnectionMemo.wire`). */
export class WireTap {
  /** The lane the head below was built for; the wire answers only while it is the connection's lane. */
  lane: Lane | null = null;
  /** The target of the lane's last request on this connection. */
  url = '';
  /** The lane and target `head` (and the record fields below) were built for. */
  headLane: Lane | null = null;
  headUrl = '';
  head: Buffer = Buffer.alloc(0);
  /** node:http's parser is between requests and the head is the lane's: reads may be answered. */
  armed = false;
  /** The wire's listener replaced node's (false until the next tick after arming). */
  installed = false;
  /** Reads handed to node:http in a row; a give-back is scheduled. */
  misses = 0;
  returning = false;
  /** Reading is paused until the socket's send buffer drains. */
  waitingDrain = false;
  /** node:http read this connection natively (its parser consumed the handle) before the wire took it. */
  native = false;
  /** node:http's 'pause' / 'resume' listeners of a natively read socket, put back with it. */
  nodeOnPause: Listener | null = null;
  nodeOnResume: Listener | null = null;
  page: RenderedPage | null = null;
  headOnly = false;
  path = '';
  userAgent: string | undefined = undefined;
  referer: string | undefined = undefined;
  /** The wire's 'data' listener for this connection (set once, when the tap is made). */
  onData: (chunk: Buffer) => void = () => {};
  constructor(
    readonly socket: NodeSocket,
    readonly parser: NodeParser,
    /** node:http's own 'data' listener: every read the wire does not answer goes to it. */
    readonly nodeOnData: (chunk: Buffer) => void,
  ) {}
}

/** The request head as a client writes it in canonical form: `Name: value` lines, CRLF, no extra space. */
export function canonicalHead(method: string, url: string, version: string, rawHeaders: readonly string[]): Buffer {
  let text = `${method} ${url} HTTP/${version}\r\n`;
  for (let i = 0; i < rawHeaders.length; i += 2) text += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  // node:http decodes the target and header values as latin1: encoding back gives the bytes it read.
  return Buffer.from(text + '\r\n', 'latin1');
}

/** How many whole copies of `head` `chunk` starts with (what follows them may be anything). */
export function leadingCopies(chunk: Buffer, head: Buffer): number {
  const n = head.length;
  if (n === 0) return 0;
  if (chunk.length === n) return chunk.equals(head) ? 1 : 0;
  let copies = 0;
  for (let at = 0; at + n <= chunk.length && chunk.compare(head, 0, n, at, at + n) === 0; at += n) copies++;
  return copies;
}

/** Whether `chunk` is one or more whole copies of `head` and nothing else. */
export function onlyCopies(chunk: Buffer, head: Buffer): boolean {
  return head.length > 0 && chunk.length > 0 && chunk.length % head.length === 0 && leadingCopies(chunk, head) === chunk.length / head.length;
}

export function createWireLane(deps: WireLaneDeps): WireLane {
  const { server, recorder, logger } = deps;
  let failureLogged = false;
  let taken = 0;
  let returned = 0;

  /** The wire's listener for one connection: answers copies of the head, hands the rest to node:http. */
  function onData(memo: ConnectionMemo, tap: WireTap, chunk: Buffer): void {
    const socket = tap.socket;
    if (socket.parser !== tap.parser) {
      // node:http let go of the connection (an upgrade took it over, or it closed): so does the wire.
      socket.removeListener('data', tap.onData);
      return;
    }
    let at = 0;
    if (tap.armed && memo.lane === tap.lane && socket._httpMessage == null && deps.accepting()) {
      // Whole copies first, answered in order; whatever follows (another request, a partial copy) is
      // node:http's, and its parser is between requests when it gets it.
      const copies = leadingCopies(chunk, tap.head);
      try {
        for (let i = 0; i < copies && answer(memo, tap); i++) at += tap.head.length;
      } catch (err) {
        // Thrown before a copy was written: that copy and the rest go to node:http.
        reportOnce(err);
      }
      if (at === chunk.length) {
        tap.misses = 0;
        return;
      }
    }
    // node:http parses the rest; the lane arms the wire again if it answers a lone request.
    tap.armed = false;
    if (at > 0) tap.misses = 0;
    else if (++tap.misses >= MISSES_BEFORE_RETURN && !tap.returning) {
      // The connection stopped repeating itself: node:http gets it back, natively read.
      tap.returning = true;
      process.nextTick(giveBack, tap);
    }
    tap.nodeOnData(at === 0 ? chunk : chunk.subarray(at));
  }

  /** Answers one copy of the head (true), or closes the lane and leaves it to node:http (false). */
  function answer(memo: ConnectionMemo, tap: WireTap): boolean {
    const lane = tap.lane!;
    const runtime = deps.getRuntime();
    if (lane.runtime !== runtime) return false;
    const startMono = performance.now();
    const nowMs = Date.now();
    const f = lane.facts;
    const services = runtime.services;
    const ban = services.decideState.ban;
    if (nowMs >= lane.untilMs || (ban !== undefined && ban(f.clientAddress, nowMs) != null)) {
      memo.lane = null;
      return false;
    }
    const socket = tap.socket;
    const page = tap.page!;
    const id = deps.nextId();
    const length = page.extra + id.length;
    let head = STATUS_LINE + page.head.block + 'content-length: ' + length + '\r\nx-request-id: ' + id + '\r\n';
    const fields = laneRefusalFields(lane, nowMs);
    for (let i = 0; i < fields.length; i += 2) head += fields[i] + ': ' + fields[i + 1] + '\r\n';
    // node:http's own tail for this server (prepared-head.ts builds the same for BulwarkResponse).
    head += utcDateLine() + keepAliveTail(server.keepAliveTimeout, 0, server.keepAliveTimeout > 0) + '\r\n';
    const out = tap.headOnly ? head : head + page.before + id + page.after;
    const flushed = socket.write(out, 'latin1');
    // The connection's byte marks move past this exchange (pipeline/context.ts, takeSocketBytes).
    memo.bytesRead += tap.head.length;
    memo.bytesWritten += out.length;
    // Written: from here on the copy is answered whatever happens (an error must not answer it twice).
    try {
      account(tap, lane, runtime, id, nowMs, startMono, out.length);
    } catch (err) {
      reportOnce(err);
    }
    // A client that does not read its answers is not read from either (as node:http does).
    if (!flushed) waitForDrain(tap);
    return true;
  }

  /** The answer's record, escalation count and stats, as the lane gives them (refusal-lane.ts). */
  function account(tap: WireTap, lane: Lane, runtime: Runtime, id: string, nowMs: number, startMono: number, bytesOut: number): void {
    const f = lane.facts;
    const services = runtime.services;
    const by = lane.decision.by;
    recordRefusalOf(services, f.clientAddress, f.prefix, by, nowMs);
    const site = lane.site;
    const stats = services.policyStatsOf(site.name);
    stats.decided(by);
    stats.laneAnswered();
    stats.wireAnswered();
    const durationMs = performance.now() - startMono;
    recorder.record({
      timeMs: Math.floor(nowMs + durationMs),
      site: site.name,
      requestId: id,
      outcome: 'limited',
      status: 429,
      method: lane.method,
      host: f.host,
      path: tap.path,
      httpVersion: lane.version,
      clientAddress: f.clientAddress,
      prefix: f.prefix,
      userAgent: tap.userAgent,
      referer: tap.referer,
      bytesIn: tap.head.length,
      bytesOut,
      durationMs,
      originLatencyMs: -1,
      decisionBy: by,
      cacheStatus: null,
      errorCode: null,
      cleared: f.cleared,
      asn: f.asn,
      country: f.country,
      fingerprint: f.fingerprint,
      uaClass: f.uaClass,
      challenge: null,
      level: services.levelOf(site.name),
    });
  }

  function reportOnce(err: unknown): void {
    if (failureLogged) return;
    failureLogged = true;
    logger.error({ err, code: 'BULWARK_ERR_WIRE_LANE' }, 'the refusal lane on the wire failed; node:http answers instead (reported once)');
  }

  /** Stops reading until the socket's send buffer drains (one wait at a time per connection). */
  function waitForDrain(tap: WireTap): void {
    if (tap.waitingDrain) return;
    tap.waitingDrain = true;
    const socket = tap.socket;
    socket.pause();
    socket.once('drain', () => {
      tap.waitingDrain = false;
      // node:http may hold the socket paused for its own queued responses: then it resumes it.
      if (socket._paused !== true && !socket.destroyed) socket.resume();
    });
  }

  /**
   * Swaps node:http's 'data' listener for the wire's, once the parse that armed it has returned (the
   * native read path must not change under a read in progress).
   */
  function install(memo: ConnectionMemo, tap: WireTap): void {
    const socket = tap.socket;
    if (tap.installed || socket.destroyed || socket.parser !== tap.parser) return;
    const listeners = socket.listeners('data');
    if (listeners.length !== 1 || listeners[0] !== tap.nodeOnData) return;
    // What node:http set up for native reading, to put it back in giveBack (lib/_http_server.js).
    tap.native = tap.parser._consumed === true;
    if (tap.native) {
      tap.nodeOnPause = (socket.listeners('pause') as Listener[]).find((f) => f.name === 'onSocketPause') ?? null;
      tap.nodeOnResume = (socket.listeners('resume') as Listener[]).find((f) => f.name === 'onSocketResume') ?? null;
      // Without them the connection could not go back: it would stay on the slower 'data' path.
      if (tap.nodeOnPause === null || tap.nodeOnResume === null || typeof tap.parser.consume !== 'function' || socket._handle == null) {
        memo.wire = null;
        return;
      }
    }
    // node:http's socket.on wrapper takes its parser off the native read path for a 'data' listener.
    socket.on('data', tap.onData);
    socket.removeListener('data', tap.nodeOnData);
    tap.installed = true;
    tap.misses = 0;
    taken++;
  }

  /**
   * Gives the connection back to node:http as it set it up: its own 'data' listener and, if it read
   * natively before, its parser on the socket's handle again with its pause/resume listeners. Only
   * between reads, with nothing buffered (a paused socket is retried on a later miss).
   */
  function giveBack(tap: WireTap): void {
    tap.returning = false;
    const socket = tap.socket;
    if (!tap.installed || socket.destroyed || socket.parser !== tap.parser) return;
    if (socket.readableFlowing !== true || socket.readableLength > 0) return;
    const listeners = socket.listeners('data');
    if (listeners.length !== 1 || listeners[0] !== tap.onData) return;
    socket.removeListener('data', tap.onData);
    socket.on('data', tap.nodeOnData);
    if (tap.native) {
      socket.on('resume', tap.nodeOnResume!);
      socket.on('pause', tap.nodeOnPause!);
      tap.parser._consumed = true;
      tap.parser.consume(socket._handle);
    }
    tap.installed = false;
    tap.armed = false;
    tap.misses = 0;
    returned++;
  }

  /** The connection's tap, created on first arming; null when this connection cannot have one. */
  function tapOf(memo: ConnectionMemo, socket: NodeSocket): WireTap | null {
    if (memo.wire !== undefined) return memo.wire;
    memo.wire = null;
    const parser = socket.parser;
    if (parser == null || typeof parser.getCurrentBuffer !== 'function') return null;
    const listeners = socket.listeners('data');
    const nodeOnData = listeners[0] as ((chunk: Buffer) => void) | undefined;
    if (listeners.length !== 1 || nodeOnData === undefined || nodeOnData.name !== NODE_ON_DATA) return null;
    const tap = new WireTap(socket, parser, nodeOnData);
    tap.onData = (chunk) => onData(memo, tap, chunk);
    return (memo.wire = tap);
  }

  return {
    arm(ctx) {
      const req = ctx.req;
      const socket = req.socket as NodeSocket | null;
      if (socket === null || socket.destroyed || !deps.accepting()) return;
      const memo = connectionMemo(socket);
      const lane = memo.lane;
      // Only the lane that answered this very request, over HTTP/1.1, with no per-socket request cap.
      if (lane === null || lane.decision !== ctx.decision || lane.version !== '1.1' || (server.maxRequestsPerSocket ?? 0) > 0) return;
      // node:http writes `100 Continue` before the answer to a request that expects it: not the wire's.
      if (req.headers.expect !== undefined) return;
      const tap = tapOf(memo, socket);
      if (tap === null || socket.parser !== tap.parser) return;
      const url = req.url ?? '';
      if (tap.lane !== lane || tap.url !== url) {
        // The wire takes a connection only once it repeats a request: a flood that varies its requests
        // never does, and keeps node:http's native read path (reads through a 'data' listener cost
        // node:http more than the wire saves on the few copies). A string compare per lane answer.
        tap.lane = lane;
        tap.url = url;
        tap.armed = false;
        return;
      }
      if (tap.headLane !== lane || tap.headUrl !== url) {
        const page = renderedOf(PAGES.tooManyRequests, pageFormat(req.headers.accept));
        // Written as latin1 and counted in characters: the page must be ASCII (it is; checked anyway).
        if (!ASCII.test(page.head.block) || !ASCII.test(page.before) || !ASCII.test(page.after)) return;
        tap.headLane = lane;
        tap.headUrl = url;
        tap.head = canonicalHead(lane.method, url, lane.version, lane.rawHeaders);
        tap.page = page;
        tap.headOnly = lane.method === 'HEAD';
        tap.path = ctx.path;
        tap.userAgent = req.headers['user-agent'];
        tap.referer = req.headers.referer;
      }
      // The read being parsed must be this head alone (or whole copies of it): then node's parser is
      // between requests once it returns.
      tap.armed = onlyCopies(tap.parser.getCurrentBuffer(), tap.head);
      if (tap.armed && !tap.installed) process.nextTick(install, memo, tap);
    },
    stats: () => ({ taken, returned }),
  };
}
