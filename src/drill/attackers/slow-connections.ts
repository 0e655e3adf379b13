/**
 * The engine under the connection-holding attacks (slowloris, slow POST, slow read): holds up to
 * `connections` raw sockets open at once, opened at `connectRatePerS` from the given sources, calls the
 * attack's `open` hook on connect and its `tick` hook every `tickMs` for every open socket (one shared
 * timer, however many sockets), and records which sockets the server closed, when, and with what answer.
 * With `reopen`, a socket the server closed is replaced (as real slowloris does), up to `maxRequests`
 * connections in total. Stops by itself at its bounds and destroys every socket.
 */
import type { Socket } from 'node:net';
import { resolveLoopbackTarget } from '../loopback-guard.ts';
import { connectRaw, requireIPv4Target, sourceAddress, type SourceRange } from '../source-pool.ts';
import { createKeyedCounter, createLatencyRecorder, createRateSeries, type LatencySummary, type RatePoint } from '../stats.ts';
import { checkBounds, type AttackBounds, type StoppedBy } from './bounds.ts';
import { runPaced } from './paced-runner.ts';
import { errorCode } from './attack-result.ts';
import { statusesIn } from '../raw-client.ts';

/** Options shared by the connection attacks. */
export interface SlowConnectionOptions {
  /** Loopback URL of the target; its path is used by the attacks that need one. */
  readonly target: string;
  /** Sockets held open at once. Default 100; never above `bounds.maxSockets`. */
  readonly connections?: number;
  /** Count of sources (from `sourceRange`) or exact addresses; sockets spread round-robin. Default 1. */
  readonly sources?: number | readonly string[];
  readonly sourceRange?: SourceRange;
  /** Opening rate. Default 500 connections/s. */
  readonly connectRatePerS?: number;
  /** Interval of the drip (one tick per socket). Default 1000 ms. */
  readonly tickMs?: number;
  /** Replace sockets the server closed (up to maxRequests connections in total). Default false. */
  readonly reopen?: boolean;
  /** `Host` header. Default the target's host. */
  readonly hostHeader?: string;
  /** `maxRequests` counts connections opened. */
  readonly bounds: AttackBounds;
  readonly signal?: AbortSignal;
}

/** What a connection attack reports. */
export interface SlowAttackResult {
  readonly attack: string;
  readonly attempted: number;
  readonly opened: number;
  readonly connectFailed: number;
  /** Sockets the server closed (FIN or RST) before the attack ended. */
  readonly closedByServer: number;
  /** Among those, how many were reset (RST) rather than closed (FIN). */
  readonly resetByServer: number;
  /** Statuses the server answered before closing (e.g. 408, 400, 413), by status. */
  readonly answers: Readonly<Record<string, number>>;
  /** Time from connect to the server's close, for the sockets it closed. */
  readonly closedAfter: LatencySummary;
  /** Server closes per second, from the attack's start. */
  readonly closesPerSecond: readonly RatePoint[];
  /** Sockets still open when the attack ended (then destroyed by the attack). */
  readonly openAtEnd: number;
  readonly peakOpen: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly connectErrors: Readonly<Record<string, number>>;
  readonly durationMs: number;
  readonly stoppedBy: StoppedBy;
  readonly sources: number;
}

/** What an attack does with each socket. */
export interface SlowConnectionHooks {
  /** Called once connected: send the opening bytes (and e.g. pause reading). */
  open(ctx: SlowSocketContext): void;
  /** Called every tick while open; `k` counts this socket's ticks from 1. */
  tick(ctx: SlowSocketContext, k: number): void;
  /** Whether the engine reads the socket to spot answers (false for slow read, which reads itself). */
  readonly watchAnswers: boolean;
}

/** One socket as the hooks see it. */
export interface SlowSocketContext {
  readonly socket: Socket;
  readonly index: number;
  /** Host header value to send. */
  readonly host: string;
  /** Target path with query. */
  readonly path: string;
  /** Writes bytes, counting them; skips when the socket's buffer is already full. */
  write(bytes: Buffer | string): void;
  /** Reports bytes read by the hook itself (for answers and byte counts). */
  noteRead(bytes: Buffer): void;
}

/** Runs a connection attack until its bounds stop it. */
export async function runSlowConnections(attack: string, options: SlowConnectionOptions, hooks: SlowConnectionHooks): Promise<SlowAttackResult> {
  const bounds = checkBounds(options.bounds);
  const target = await resolveLoopbackTarget(options.target);
  requireIPv4Target(target);
  const held = Math.min(options.connections ?? 100, bounds.maxSockets);
  const sources = typeof options.sources === 'object' ? [...options.sources] : Array.from({ length: options.sources ?? 1 }, (_, i) => sourceAddress(i, options.sourceRange));
  const shared = {
    host: options.hostHeader ?? target.host,
    path: target.pathname + target.search,
    hostIp: target.hostname.replace(/^\[|\]$/g, ''),
    port: Number(target.port || 80),
  };
  const state = createSlowState();
  const open = new Map<Socket, { ctx: SlowSocketContext; ticks: number }>();
  const started = performance.now();
  const ticker = setInterval(() => {
    for (const entry of open.values()) hooks.tick(entry.ctx, ++entry.ticks);
  }, options.tickMs ?? 1000);
  const send = (i: number, signal: AbortSignal): Promise<void> =>
    holdOne({ i, signal, source: sources[i % sources.length], shared, hooks, state, open, started });
  try {
    const run = await runPaced({
      bounds: { ...bounds, maxRequests: options.reopen ? bounds.maxRequests : Math.min(held, bounds.maxRequests) },
      signal: options.signal,
      ratePerS: options.connectRatePerS ?? 500,
      concurrency: held,
      send,
    });
    return state.result(attack, { durationMs: run.durationMs, stoppedBy: run.stoppedBy, sources: sources.length });
  } finally {
    clearInterval(ticker);
    for (const socket of open.keys()) socket.destroy();
  }
}

interface HoldArgs {
  readonly i: number;
  readonly signal: AbortSignal;
  readonly source: string;
  readonly shared: { host: string; path: string; hostIp: string; port: number };
  readonly hooks: SlowConnectionHooks;
  readonly state: SlowState;
  readonly open: Map<Socket, { ctx: SlowSocketContext; ticks: number }>;
  readonly started: number;
}

/** Opens one socket and resolves when it closed (by the server, or by us at the end). */
async function holdOne(a: HoldArgs): Promise<void> {
  a.state.attempted++;
  let socket: Socket;
  try {
    socket = await connectRaw({ host: a.shared.hostIp, port: a.shared.port, localAddress: a.source, readableHighWaterMark: 1024, signal: a.signal });
  } catch (err) {
    if (!a.signal.aborted) a.state.connectFailed(err);
    return;
  }
  if (a.signal.aborted) return void socket.destroy();
  const openedAt = performance.now();
  a.state.opened(a.open.size + 1);
  let head = Buffer.alloc(0);
  const noteRead = (bytes: Buffer): void => {
    a.state.bytesReceived += bytes.length;
    if (head.length < 1024) head = Buffer.concat([head, bytes]).subarray(0, 1024);
  };
  const ctx: SlowSocketContext = {
    socket,
    index: a.i,
    host: a.shared.host,
    path: a.shared.path,
    write(bytes) {
      if (socket.destroyed || socket.writableNeedDrain) return;
      a.state.bytesSent += Buffer.byteLength(bytes);
      socket.write(bytes);
    },
    noteRead,
  };
  if (a.hooks.watchAnswers) socket.on('data', noteRead);
  let reset = false;
  socket.on('error', (err: NodeJS.ErrnoException) => void (reset = err.code === 'ECONNRESET' || reset));
  a.open.set(socket, { ctx, ticks: 0 });
  a.hooks.open(ctx);
  await new Promise<void>((resolve) => {
    const onAbort = (): void => void socket.destroy();
    a.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => {
      a.signal.removeEventListener('abort', onAbort);
      a.open.delete(socket);
      if (!a.signal.aborted) a.state.serverClosed(performance.now() - openedAt, reset, statusesIn(head)[0], performance.now() - a.started);
      resolve();
    });
  });
}

interface SlowState {
  attempted: number;
  bytesSent: number;
  bytesReceived: number;
  opened(openNow: number): void;
  connectFailed(err: unknown): void;
  serverClosed(afterMs: number, reset: boolean, status: number | undefined, sinceStartMs: number): void;
  result(attack: string, run: { durationMs: number; stoppedBy: StoppedBy; sources: number }): SlowAttackResult;
}

function createSlowState(): SlowState {
  const answers = createKeyedCounter(64);
  const connectErrors = createKeyedCounter(32);
  const closedAfter = createLatencyRecorder();
  const closes = createRateSeries(1800);
  let opened = 0;
  let failed = 0;
  let closed = 0;
  let resets = 0;
  let peak = 0;
  return {
    attempted: 0,
    bytesSent: 0,
    bytesReceived: 0,
    opened(openNow) {
      opened++;
      peak = Math.max(peak, openNow);
    },
    connectFailed(err) {
      failed++;
      connectErrors.add(errorCode(err));
    },
    serverClosed(afterMs, reset, status, sinceStartMs) {
      closed++;
      if (reset) resets++;
      if (status !== undefined) answers.add(status);
      closedAfter.record(afterMs);
      closes.add(sinceStartMs);
    },
    result(attack, run) {
      const series = closes.series(run.durationMs).filter((p) => p.second >= 0);
      return {
        attack,
        attempted: this.attempted,
        opened,
        connectFailed: failed,
        closedByServer: closed,
        resetByServer: resets,
        answers: answers.snapshot(),
        closedAfter: closedAfter.summary(),
        closesPerSecond: series,
        openAtEnd: opened - closed,
        peakOpen: peak,
        bytesSent: this.bytesSent,
        bytesReceived: this.bytesReceived,
        connectErrors: connectErrors.snapshot(),
        durationMs: Math.round(run.durationMs),
        stoppedBy: run.stoppedBy,
        sources: run.sources,
      };
    },
  };
}
