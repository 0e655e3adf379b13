/**
 * The wire: a keep-alive connection that sends the same request head over and over gets its copies
 * answered from the bytes it reads, before node:http parses them — as 429s while its refusal lane is
 * open (refusal.ts), as cache hits while the page it asks for is fresh (hit.ts).
 *
 * Bulwark's own work for a repeat is already small (the refusal lane skips identify and decide; a hit
 * is one lookup); what is left is node:http's per-request work — parser callbacks, an IncomingMessage
 * and a ServerResponse, their events — which costs more than all of Bulwark's. So once the pipeline has
 * answered a request that arrived alone in its read (the read's bytes are exactly that request's head,
 * so node's parser is between requests afterwards), the connection's reads go through this module
 * first: a read that starts with one or more byte-for-byte copies of that head has them answered here,
 * in order, each by the answerer the arming request chose; anything after them, and any other read,
 * goes to node:http unchanged, and the wire stands aside until the pipeline arms it again.
 *
 * Byte-for-byte equality is what makes this exact: same method, target, version and every header (so
 * the same Host, client identity, cookies and fingerprint), no body, on the same socket (same peer).
 * What may change between copies — time, config generation, bans, limits, the threat level, the
 * cache — the answerer checks for every copy, and hands the copy to node:http (which runs the whole
 * pipeline for it) whenever it cannot prove the pipeline would answer exactly as it does. An answerer
 * gives each copy the record, counts and stats the pipeline would.
 *
 * What node:http keeps doing for such a connection: the socket (timeouts count the wire's reads and
 * writes as activity), its idle tracking (a drain closes it like any idle keep-alive connection) and
 * everything that is not an exact copy. Only HTTP/1.1 GET/HEAD without a body or `Expect`, over
 * connections node:http set up the usual way (its one 'data' listener, a parser that can show the read
 * it is parsing), are armed; anything else stays on node:http's path. Answers wait while the socket's
 * send buffer is full.
 *
 * Taking a connection swaps node's 'data' listener for the wire's; node:http then reads it through
 * JavaScript 'data' events instead of its native path (its own documented behaviour when a 'data'
 * listener is added), which costs it more per request than the wire saves on a copy. So the wire takes
 * a connection only once the pipeline has seen it repeat a request (same answerer source and target
 * twice), and gives it back — node's listener, parser and pause/resume handling as node set them up —
 * after a few reads in a row it could not answer. A flood that varies its requests never leaves
 * node:http's native path.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { connectionMemo, type ConnectionMemo } from '../../pipeline/connection-memo.ts';
import { hasRequestBody, type RequestContext } from '../../pipeline/context.ts';
import type { Runtime } from '../../runtime/runtime.ts';
import type { Recorder } from '../../telemetry/recorder.ts';
import type { PolicyStats } from '../../telemetry/policy-stats.ts';
import { answerTail, writeAnswer } from './answer-write.ts';
import { canonicalHead, fieldsTag, leadingCopies, onlyCopies, sameFieldsFromLast } from './head-match.ts';

export interface WireDeps {
  readonly server: Server;
  readonly recorder: Recorder;
  readonly logger: Logger;
  readonly nextId: () => string;
  getRuntime(): Runtime;
  /** False once the server drains: the wire stands aside and node:http answers (and closes). */
  accepting(): boolean;
}

/** What answers the copies of one head (chosen by the request that armed the wire). */
export interface WireAnswerer {
  /**
   * Answers one copy — writes it with `out.write` and accounts for it as the pipeline would — and
   * returns true; or writes nothing and returns false, and node:http answers the copy. Must not throw
   * after writing (the wire treats a throw as "nothing written").
   */
  answer(memo: ConnectionMemo, out: WireOut): boolean;
}

/** The socket side an answerer writes to. */
export interface WireOut {
  readonly deps: WireDeps;
  /** Bytes of the head being answered (the record's bytes in). */
  readonly headBytes: number;
  /** node:http's own tail for this server: Date (unless `hasDate`), keep-alive lines, the blank line. */
  tail(hasDate: boolean): string;
  /** Writes one answer (a latin1 head and an optional latin1 string or Buffer body); returns its bytes. */
  write(head: string, body?: Buffer | string): number;
  /** Counts a lane answer given this way in the site's policy stats (besides `laneAnswered`). */
  counted(stats: PolicyStats): void;
}

export interface WireStats {
  /** Connections the wire took from node:http's native read path, and gave back, since start. */
  readonly taken: number;
  readonly returned: number;
  /** Copies answered on the wire (429s and cache hits). */
  readonly answered: number;
}

export interface Wire {
  /**
   * Called after the pipeline answered `ctx` synchronously: if `source` (what stays the same across
   * the copies the answerer serves: the refusal lane, the cache entry) and the target repeat what the
   * connection's previous armed answer had, and the request arrived alone in its read, the copies that
   * follow are answered by the answerer `make` returns (made once per source and target).
   */
  arm<S extends object>(ctx: RequestContext, source: S, make: (ctx: RequestContext, source: S) => WireAnswerer | null): void;
  /**
   * Notes a request answered from `source` without the pipeline (head-hook.ts), as `arm` notes one that
   * does not repeat the one before: the next request the pipeline answers from that source, if it
   * repeats this one, arms the wire.
   */
  observe(socket: Socket, source: object, method: string, url: string, rawHeaders: readonly string[]): void;
  stats(): WireStats;
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

/** What the wire keeps about one connection (`ConnectionMemo.wire`). */
export class WireTap implements WireOut {
  /**
   * What the pipeline's last armed answer repeated: its source, method, target and header fields. The
   * sources are held weakly (a cache entry the cache evicted must not live on in idle connections).
   */
  source: WeakRef<object> | null = null;
  url = '';
  method = '';
  rawHeaders: readonly string[] = [];
  /** fieldsTag(rawHeaders): told apart from the next request's without reading the list above. */
  fieldsTag = -1;
  /** The answerer for `head`, and the source and header list (of the run's first request) it was made for. */
  answerer: WireAnswerer | null = null;
  answererSource: WeakRef<object> | null = null;
  answererFor: readonly string[] | null = null;
  head: Buffer = Buffer.alloc(0);
  /** node:http's parser is between requests and `head` is the answerer's: reads may be answered. */
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
  /** The wire's 'data' listener for this connection (set once, when the tap is made). */
  onData: (chunk: Buffer) => void = () => {};
  constructor(
    readonly deps: WireDeps,
    readonly memo: ConnectionMemo,
    readonly socket: NodeSocket,
    readonly parser: NodeParser,
    /** node:http's own 'data' listener: every read the wire does not answer goes to it. */
    readonly nodeOnData: (chunk: Buffer) => void,
  ) {}

  get headBytes(): number {
    return this.head.length;
  }

  tail(hasDate: boolean): string {
    return answerTail(this.deps.server, hasDate);
  }

  counted(stats: PolicyStats): void {
    stats.wireAnswered();
  }

  write(head: string, body?: Buffer | string): number {
    const bytes = writeAnswer(this.socket, this.memo, head, body);
    // A client that does not read its answers is not read from either (as node:http does).
    if (this.socket.writableNeedDrain) this.waitForDrain();
    return bytes;
  }

  private waitForDrain(): void {
    if (this.waitingDrain) return;
    this.waitingDrain = true;
    const socket = this.socket;
    socket.pause();
    socket.once('drain', () => {
      this.waitingDrain = false;
      // node:http may hold the socket paused for its own queued responses: then it resumes it.
      if (socket._paused !== true && !socket.destroyed) socket.resume();
    });
  }
}


/**
 * One WeakRef per source (a cache entry, a refusal lane), made the first time the source arms a
 * connection: comparing refs tells whether a request was answered by the same source as the one before
 * without `deref()` (which allocates: it keeps its target alive until the end of the current job).
 * Weakly keyed, so an entry lives exactly as long as its source; it holds the source weakly too.
 */
const sourceRefs = new WeakMap<object, WeakRef<object>>();

function weakRefOf(source: object): WeakRef<object> {
  let ref = sourceRefs.get(source);
  if (ref === undefined) sourceRefs.set(source, (ref = new WeakRef(source)));
  return ref;
}

export function createWire(deps: WireDeps): Wire {
  const { server, logger } = deps;
  let failureLogged = false;
  let taken = 0;
  let returned = 0;
  let answered = 0;

  function reportOnce(err: unknown): void {
    if (failureLogged) return;
    failureLogged = true;
    logger.error({ err, code: 'BULWARK_ERR_WIRE' }, 'answering on the wire failed; node:http answers instead (reported once)');
  }

  /** The wire's listener for one connection: answers copies of the head, hands the rest to node:http. */
  function onData(memo: ConnectionMemo, tap: WireTap, chunk: Buffer): void {
    const socket = tap.socket;
    if (socket.parser !== tap.parser) {
      // node:http let go of the connection (an upgrade took it over, or it closed): so does the wire.
      socket.removeListener('data', tap.onData);
      return;
    }
    let at = 0;
    const answerer = tap.answerer;
    if (tap.armed && answerer !== null && socket._httpMessage == null && deps.accepting()) {
      // Whole copies first, answered in order; whatever follows (another request, a partial copy) is
      // node:http's, and its parser is between requests when it gets it.
      const copies = leadingCopies(chunk, tap.head);
      try {
        for (let i = 0; i < copies && answerer.answer(memo, tap); i++) {
          at += tap.head.length;
          answered++;
          // The connection's byte marks move past this exchange (pipeline/context.ts, takeSocketBytes).
          memo.bytesRead += tap.head.length;
        }
      } catch (err) {
        // Thrown before that copy was written: it and the rest go to node:http.
        reportOnce(err);
      }
      if (at === chunk.length) {
        tap.misses = 0;
        return;
      }
      // The answerer declined a copy (or there was more than copies): what it was made from may be
      // out of date (a reload, a new threat level...), so the next arming makes a new one.
      if (at < copies * tap.head.length) tap.answererSource = null;
    }
    // node:http parses the rest; the pipeline arms the wire again if it answers a lone request.
    tap.armed = false;
    if (at > 0) tap.misses = 0;
    else if (++tap.misses >= MISSES_BEFORE_RETURN && !tap.returning) {
      // The connection stopped repeating itself: node:http gets it back, natively read.
      tap.returning = true;
      process.nextTick(giveBack, tap);
    }
    tap.nodeOnData(at === 0 ? chunk : chunk.subarray(at));
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
    if (memo.wire !== undefined) return memo.wire as WireTap | null;
    memo.wire = null;
    const parser = socket.parser;
    if (parser == null || typeof parser.getCurrentBuffer !== 'function') return null;
    const listeners = socket.listeners('data');
    const nodeOnData = listeners[0] as ((chunk: Buffer) => void) | undefined;
    if (listeners.length !== 1 || nodeOnData === undefined || nodeOnData.name !== NODE_ON_DATA) return null;
    const tap = new WireTap(deps, memo, socket, parser, nodeOnData);
    tap.onData = (chunk) => onData(memo, tap, chunk);
    return (memo.wire = tap);
  }

  /** What the connection's last answer from a source repeated (the next repeat of it arms the wire). */
  function remember(tap: WireTap, ref: WeakRef<object>, method: string, url: string, rawHeaders: readonly string[], tag: number): void {
    tap.source = ref;
    tap.url = url;
    tap.method = method;
    tap.rawHeaders = rawHeaders;
    tap.fieldsTag = tag;
    tap.armed = false;
  }

  return {
    observe(socket, source, method, url, rawHeaders) {
      const memo = connectionMemo(socket);
      if (memo.wire === null) return;
      const tap = tapOf(memo, socket as NodeSocket);
      if (tap !== null) remember(tap, weakRefOf(source), method, url, rawHeaders, fieldsTag(rawHeaders));
    },
    arm(ctx, source, make) {
      const req = ctx.req;
      const socket = req.socket as NodeSocket | null;
      if (socket === null || socket.destroyed) return;
      const method = req.method;
      // HTTP/1.1 GET/HEAD, kept alive (the rest of what the wire repeats is checked for a repeat only).
      if (req.httpVersion !== '1.1' || (method !== 'GET' && method !== 'HEAD') || !ctx.res.shouldKeepAlive) return;
      const memo = connectionMemo(socket);
      const tap = tapOf(memo, socket);
      if (tap === null || socket.parser !== tap.parser) return;
      const url = req.url ?? '';
      const rawHeaders = req.rawHeaders;
      const ref = weakRefOf(source);
      const tag = fieldsTag(rawHeaders);
      // Cheapest tells first: the header list (the part of a varied flood that varies), then the target.
      if (tap.fieldsTag !== tag || !sameFieldsFromLast(tap.rawHeaders, rawHeaders) || tap.url !== url || tap.method !== method || tap.source !== ref) {
        // The wire takes a connection only once it repeats a request (same answer source, method,
        // target and header fields as the one before): a flood that varies its requests never does,
        // and keeps node:http's native read path. A few string compares per answer, no more (no
        // allocation: the source's WeakRef is made once per source, weakRefOf).
        remember(tap, ref, method, url, rawHeaders, tag);
        return;
      }
      // A repeat. No body, no per-socket request cap, no `Expect` (node:http writes `100 Continue`
      // before the answer to such a request: not the wire's to repeat), and the server not draining.
      if ((server.maxRequestsPerSocket ?? 0) > 0 || req.headers.expect !== undefined || hasRequestBody(req) || !deps.accepting()) {
        tap.armed = false;
        return;
      }
      if (tap.answererSource !== tap.source || tap.answererFor !== tap.rawHeaders) {
        // Made once per run of repeats (keyed by the first request's header list).
        tap.answerer = make(ctx, source);
        tap.answererSource = tap.source;
        tap.answererFor = tap.rawHeaders;
        if (tap.answerer !== null) tap.head = canonicalHead(method, url, req.httpVersion, req.rawHeaders);
      }
      if (tap.answerer === null) {
        tap.armed = false;
        return;
      }
      // The read being parsed must be this head alone (or whole copies of it): then node's parser is
      // between requests once it returns.
      tap.armed = onlyCopies(tap.parser.getCurrentBuffer(), tap.head);
      if (tap.armed && !tap.installed) process.nextTick(install, memo, tap);
    },
    stats: () => ({ taken, returned, answered }),
  };
}
