/**
 * The origin fixture's request handling: the capacity check (an immediate, counted 503 beyond it), the
 * configured latency, the failure mode, then the route; and the WebSocket upgrade. Settings are read on
 * every request, so changing them takes effect at once.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FailureMode, LatencySetting, PathBehaviour } from './origin-fixture.ts';
import type { OriginFixtureCounters } from './origin-fixture-counters.ts';
import { patternChunk, serveDownload, serveEcho, servePage, serveUpload } from './origin-fixture-routes.ts';
import { acceptWebSocketEcho } from './websocket-echo.ts';

/** The settings a running fixture can change. */
export interface FixtureSettings {
  latency: LatencySetting;
  capacity: number;
  failure: FailureMode;
  bodyBytes: number;
  paths: Map<string, PathBehaviour>;
}

/** Fixed options of the handlers. */
export interface HandlerOptions {
  readonly slowBody?: { readonly chunkBytes: number; readonly intervalMs: number };
  readonly unknownPathStatus?: number;
  readonly now: () => number;
}

interface RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly path: string;
  /** Records how the request ended (first call wins). */
  readonly note: (status: number | 'reset' | 'hang' | 'aborted') => void;
}

type PageSpec = Parameters<typeof servePage>[2];

/** Creates the `request` and `upgrade` listeners of the fixture's server. */
export function createFixtureHandlers(
  s: FixtureSettings,
  counters: OriginFixtureCounters,
  options: HandlerOptions,
): { onRequest: (req: IncomingMessage, res: ServerResponse) => void; onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void } {
  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    counters.arrive(req, path, options.now());
    if (counters.concurrent() >= s.capacity) return refuse(res);
    const finish = counters.admit();
    let noted = false;
    const note = (status: number | 'reset' | 'hang' | 'aborted'): void => {
      if (!noted) counters.status(status);
      noted = true;
    };
    res.once('finish', () => note(res.statusCode));
    res.once('close', () => {
      note('aborted');
      finish();
    });
    const behaviour = behaviourFor(s.paths, path);
    const latency = behaviour?.latencyMs ?? (typeof s.latency === 'function' ? s.latency(path) : s.latency);
    const run = (): void => dispatch({ req, res, path, note }, behaviour, behaviour?.failure ?? s.failure);
    if (latency <= 0) return run();
    const timer = setTimeout(run, latency);
    res.once('close', () => clearTimeout(timer));
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    counters.arrive(req, path, options.now());
    if (path !== '/ws') return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    if (acceptWebSocketEcho(req, socket, head, { onFrame: () => counters.websocketFrame() })) counters.websocketUpgrade();
  }

  function refuse(res: ServerResponse): void {
    counters.refuseOverCapacity();
    res.once('finish', () => counters.status(503));
    res.writeHead(503, { 'content-type': 'text/plain', 'content-length': 13, 'retry-after': '1' });
    res.end('over capacity');
  }

  function dispatch(ctx: RequestContext, b: PathBehaviour | undefined, failure: FailureMode): void {
    const { req, res, path } = ctx;
    if (failure !== 'none') counters.failure(failure);
    if (failure === 'reset') {
      ctx.note('reset');
      return void req.socket.resetAndDestroy();
    }
    if (failure === 'hang') {
      ctx.note('hang');
      return void req.resume();
    }
    if (failure === 'error_500') {
      req.resume();
      res.writeHead(500, { 'content-type': 'text/plain', 'content-length': 13 });
      return void res.end('origin failed');
    }
    if (failure === 'slow_body') return slowBody(req, res, b);
    if (path === '/echo') return serveEcho(req, res, counters);
    if (path === '/upload' && (req.method === 'POST' || req.method === 'PUT')) return serveUpload(req, res, counters);
    if (path === '/download') return serveDownload(req, res, counters);
    servePage(req, res, pageOf(b), counters);
  }

  function slowBody(req: IncomingMessage, res: ServerResponse, b: PathBehaviour | undefined): void {
    const pace = options.slowBody ?? { chunkBytes: 16, intervalMs: 250 };
    const total = b?.bodyBytes ?? s.bodyBytes;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
    let sent = 0;
    const timer = setInterval(() => {
      const n = Math.min(pace.chunkBytes, total - sent);
      counters.bodyOut(n);
      res.write(patternChunk(sent, n));
      sent += n;
      if (sent >= total) {
        clearInterval(timer);
        res.end();
      }
    }, pace.intervalMs);
    res.once('close', () => clearInterval(timer));
  }

  function pageOf(b: PathBehaviour | undefined): PageSpec {
    const headers: Record<string, string | string[]> = { ...b?.headers };
    if (b?.cacheControl !== undefined) headers['cache-control'] = b.cacheControl;
    if (b?.vary !== undefined) headers.vary = b.vary;
    if (b?.setCookie !== undefined) headers['set-cookie'] = typeof b.setCookie === 'string' ? b.setCookie : [...b.setCookie];
    const status = b?.status ?? (b === undefined ? (options.unknownPathStatus ?? 200) : 200);
    return { status, bodyBytes: b?.bodyBytes ?? s.bodyBytes, headers, contentType: b?.contentType };
  }

  return { onRequest, onUpgrade };
}

/** The behaviour for a path: exact entry first, then the longest `prefix*` entry. */
export function behaviourFor(paths: ReadonlyMap<string, PathBehaviour>, path: string): PathBehaviour | undefined {
  const exact = paths.get(path);
  if (exact) return exact;
  let best: [string, PathBehaviour] | undefined;
  for (const [key, b] of paths) {
    if (key.endsWith('*') && path.startsWith(key.slice(0, -1)) && (!best || key.length > best[0].length)) best = [key, b];
  }
  return best?.[1];
}
