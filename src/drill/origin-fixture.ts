/**
 * The origin fixture: a real node:http server standing in for the protected origin in tests and drills.
 * Its latency, capacity (maximum concurrent requests — beyond it, an immediate 503 that is counted),
 * failure mode and response size can be changed while it runs, as can per-path Cache-Control / Vary /
 * Set-Cookie; it counts everything it receives (see {@link OriginFixtureStats}); `kill()`/`revive()`
 * simulate an origin that dies and comes back on the same port.
 *
 * Routes: `/echo`, `POST /upload`, `GET /download?bytes=N`, WebSocket echo on `/ws`, any other path a
 * page (see origin-fixture-routes.ts).
 */
import http, { type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { createOriginFixtureCounters, type OriginFixtureStats } from './origin-fixture-counters.ts';
import { createFixtureHandlers, type FixtureSettings } from './origin-fixture-handler.ts';
import type { RatePoint } from './stats.ts';
import { DrillError } from './errors.ts';

export type { OriginFixtureStats } from './origin-fixture-counters.ts';

/**
 * How the fixture misbehaves: `error_500` answers 500; `reset` destroys the connection with a TCP RST;
 * `hang` never answers (until the client or `stop()` closes the socket); `slow_body` sends the headers then
 * the body a few bytes at a time (see `slowBody`).
 */
export type FailureMode = 'none' | 'error_500' | 'reset' | 'hang' | 'slow_body';

/** Latency added before answering: fixed milliseconds, or chosen per path (e.g. a slow `/search`). */
export type LatencySetting = number | ((path: string) => number);

/** Per-path behaviour; every field overrides the fixture-wide setting for that path. */
export interface PathBehaviour {
  readonly status?: number;
  readonly cacheControl?: string;
  readonly vary?: string;
  readonly setCookie?: string | readonly string[];
  readonly contentType?: string;
  readonly bodyBytes?: number;
  readonly latencyMs?: number;
  readonly failure?: FailureMode;
  /** Any other response headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link startOriginFixture}; all can be changed later except host, port and caps. */
export interface OriginFixtureOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0 (any free port). */
  readonly port?: number;
  /** Default 0. */
  readonly latencyMs?: LatencySetting;
  /** Maximum concurrent requests. Default Infinity. */
  readonly capacity?: number;
  /** Default 'none'. */
  readonly failure?: FailureMode;
  /** Size of pages. Default 2048 bytes. */
  readonly bodyBytes?: number;
  /** Behaviour by exact path (`/search`) or prefix (`/assets/*`; the longest prefix wins). */
  readonly paths?: Readonly<Record<string, PathBehaviour>>;
  /** Status of pages whose path is not in `paths` (set 404 to model random-path storms). Default 200. */
  readonly unknownPathStatus?: number;
  /** `slow_body` pacing. Default 16 bytes every 250 ms. */
  readonly slowBody?: { readonly chunkBytes: number; readonly intervalMs: number };
  /** Labels each request (e.g. 'attack' / 'visitor' from its address) for `byClass` counts. */
  readonly classify?: (req: IncomingMessage) => string;
  /** Socket cap (server.maxConnections). Default 20 000. */
  readonly maxConnections?: number;
  /** Caps of per-path / per-source / per-class tables. Default 10 000 keys. */
  readonly maxTrackedKeys?: number;
  /** Number of X-Forwarded-For / X-Request-Id values remembered. Default 10 000. */
  readonly maxRecorded?: number;
  /** Wall clock for the per-second series. Default Date.now. */
  readonly now?: () => number;
}

/** A running origin fixture. */
export interface OriginFixture {
  /** `http://host:port` (no trailing slash). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  setLatency(latency: LatencySetting): void;
  setCapacity(capacity: number): void;
  setFailure(mode: FailureMode): void;
  setBodyBytes(bytes: number): void;
  /** Sets (or with `undefined` removes) the behaviour of one path or prefix. */
  setPath(path: string, behaviour: PathBehaviour | undefined): void;
  stats(): OriginFixtureStats;
  /** Requests per second over the last 10 minutes, up to now. */
  rateSeries(): RatePoint[];
  /** Zeroes every counter (in-flight requests stay counted as concurrent). */
  resetStats(): void;
  /** Open TCP sockets (≤ maxConnections). */
  openSockets(): number;
  /** Stops listening and destroys every connection; the port stays reserved for {@link revive}. */
  kill(): Promise<void>;
  /** Listens again on the same host and port after {@link kill}. */
  revive(): Promise<void>;
  /** Closes the server and every socket for good. Idempotent. */
  stop(): Promise<void>;
}

/** Starts an origin fixture and resolves once it listens. */
export async function startOriginFixture(options: OriginFixtureOptions = {}): Promise<OriginFixture> {
  const now = options.now ?? Date.now;
  const s: FixtureSettings & { state: 'running' | 'dead' | 'stopped' } = {
    latency: options.latencyMs ?? 0,
    capacity: options.capacity ?? Infinity,
    failure: options.failure ?? 'none',
    bodyBytes: options.bodyBytes ?? 2048,
    paths: new Map(Object.entries(options.paths ?? {})),
    state: 'running',
  };
  const counters = createOriginFixtureCounters(options);
  const sockets = new Set<Socket>();
  const server = http.createServer({ keepAliveTimeout: 5000, requestTimeout: 0, headersTimeout: 60_000 });
  server.maxConnections = options.maxConnections ?? 20_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const handlers = createFixtureHandlers(s, counters, { slowBody: options.slowBody, unknownPathStatus: options.unknownPathStatus, now });
  server.on('request', handlers.onRequest);
  server.on('upgrade', handlers.onUpgrade);
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  async function listen(port: number): Promise<void> {
    server.listen(port, options.host ?? '127.0.0.1');
    await once(server, 'listening');
  }

  async function close(): Promise<void> {
    const closed = server.listening ? new Promise((r) => server.close(r)) : Promise.resolve();
    const gone = [...sockets].map((socket) => once(socket, 'close')); // still in the set: not closed yet
    for (const socket of sockets) socket.destroy();
    await Promise.all([closed, ...gone]);
  }

  await listen(options.port ?? 0);
  const address = server.address();
  if (address === null || typeof address === 'string') throw new DrillError('BULWARK_ERR_DRILL_FIXTURE_STATE', 'no TCP address');
  const host = address.address;
  const port = address.port;
  return {
    url: `http://${address.family === 'IPv6' ? `[${host}]` : host}:${port}`,
    host,
    port,
    setLatency: (latency) => void (s.latency = latency),
    setCapacity: (capacity) => void (s.capacity = capacity),
    setFailure: (mode) => void (s.failure = mode),
    setBodyBytes: (bytes) => void (s.bodyBytes = bytes),
    setPath: (path, behaviour) => void (behaviour === undefined ? s.paths.delete(path) : s.paths.set(path, behaviour)),
    stats: () => counters.snapshot(),
    rateSeries: () => counters.rateSeries(now()),
    resetStats: () => counters.reset(),
    openSockets: () => sockets.size,
    async kill() {
      if (s.state !== 'running') throw stateError(`kill() while ${s.state}`);
      s.state = 'dead';
      await close();
    },
    async revive() {
      if (s.state !== 'dead') throw stateError(`revive() while ${s.state}`);
      await listen(port);
      s.state = 'running';
    },
    async stop() {
      if (s.state === 'stopped') return;
      s.state = 'stopped';
      await close();
    },
  };
}

function stateError(message: string): DrillError {
  return new DrillError('BULWARK_ERR_DRILL_FIXTURE_STATE', message);
}
