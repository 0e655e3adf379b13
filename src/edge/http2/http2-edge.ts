/**
 * HTTP/2 on the https listeners: one port, ALPN choosing `h2` or `http/1.1` (RFC 7301). The https
 * proxy server keeps every HTTP/1.1 connection as before; a connection that negotiated `h2` is taken
 * here and its streams are fed to the same request handler (H2Connection), so they run the same
 * pipeline and produce the same records, with `2.0` as their version. WebSocket stays HTTP/1.1:
 * extended CONNECT (RFC 8441) is not offered, so browsers open an HTTP/1.1 connection for it.
 *
 * node:http2 enforces what its settings express (SETTINGS_MAX_CONCURRENT_STREAMS, the header list size
 * and field count, the HPACK table, invalid frames and rejected streams as a backstop); the rest of the
 * limits are Bulwark's, frame by frame (connection-guard.ts). Once a second one sweep looks at every
 * connection: a header block left open longer than `connections.header_timeout` ends it
 * (ENHANCE_YOUR_CALM); a request body silent for `stream_idle_timeout`, or slower than
 * `connections.min_body_rate` after `body_rate_grace`, resets its stream (CANCEL); a connection without
 * streams for `idle_timeout` gets a graceful GOAWAY.
 */
import http2, { type Http2Server } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { ConnectionsConfig } from '../../config/schema.ts';
import type { Http2Config } from '../../config/http2-schema.ts';
import type { ConnectionLimits } from '../../core/http2/connection-guard.ts';
import { H2_ERROR } from '../../core/http2/frame-scanner.ts';
import { captureSessions, H2Connection, type H2ConnectionHost } from './h2-connection.ts';
import type { H2Request } from './h2-request.ts';
import type { H2Response } from './h2-response.ts';

/** The ALPN protocols of the https listeners, in the server's order of preference. */
export const ALPN_WITH_H2: readonly string[] = ['h2', 'http/1.1'];

/** Settings and limits of the node:http2 sessions, from the `http2:` block. */
export function sessionOptions(c: Http2Config): http2.ServerOptions {
  return {
    settings: {
      maxConcurrentStreams: c.max_concurrent_streams,
      maxHeaderListSize: c.max_header_list_size,
      headerTableSize: c.hpack_table_size,
      enablePush: false,
      enableConnectProtocol: false,
    },
    maxHeaderListPairs: c.max_header_fields,
    maxDeflateDynamicTableSize: c.hpack_table_size,
    // Backstops behind Bulwark's own limits (node's defaults).
    maxSessionInvalidFrames: 1000,
    maxSessionRejectedStreams: 100,
    maxOutstandingPings: 10,
    maxSettings: 32,
    maxSessionMemory: 10,
  };
}

/** The per-connection limits of the `http2:` block. */
export function connectionLimits(c: Http2Config): ConnectionLimits {
  const life = (b: Http2Config['client_resets']) => ({ rate: b.rate, burst: b.burst, perConnection: b.per_connection });
  return {
    maxConcurrentStreams: c.max_concurrent_streams,
    maxContinuations: c.max_continuation_frames,
    maxHeaderBlockBytes: 2 * c.max_header_list_size,
    clientResets: life(c.client_resets),
    provokedResets: life(c.provoked_resets),
    refusedStreams: c.refused_streams,
    settings: c.settings_frames,
    ping: c.ping_frames,
    priority: c.priority_frames,
    windowUpdate: c.window_update_frames,
    emptyFrames: c.empty_frames,
  };
}

/** What the HTTP/2 edge needs from around it. */
export interface Http2EdgeDeps {
  config(): { http2: Http2Config; connections: ConnectionsConfig };
  handleRequest(req: H2Request, res: H2Response): void;
  /** A connection ended for a limit or protocol error (record and escalation). */
  refused(conn: H2Connection, reason: string, code: number, detail: string): void;
}

/** Counters for `/stats` (`https.http2`). */
export interface Http2EdgeStats {
  readonly connections_open: number;
  readonly connections_total: number;
  readonly streams_total: number;
  readonly goaway_by_reason: Readonly<Record<string, number>>;
  readonly streams_cancelled_idle: number;
  readonly streams_cancelled_slow: number;
  readonly closed_idle: number;
  readonly closed_max_requests: number;
}

export interface Http2Edge {
  /** Takes a TLS connection that negotiated `h2`. */
  accept(socket: TLSSocket): void;
  /** Applies a reloaded `http2:` block (new connections get new settings). */
  reconfigure(): void;
  /** Graceful GOAWAY to every connection (stopping). */
  closeAll(): void;
  destroyAll(): void;
  stats(): Http2EdgeStats;
  stop(): void;
}

/** Counters of GOAWAY reasons: one entry per limit name (a handful), never per client. */
function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export function createHttp2Edge(deps: Http2EdgeDeps): Http2Edge {
  const connections = new Set<H2Connection>();
  const goaways = new Map<string, number>();
  const counters = { total: 0, streams: 0, cancelledIdle: 0, cancelledSlow: 0, closedIdle: 0, closedMax: 0 };
  let server = newServer();
  let limits = connectionLimits(deps.config().http2);

  function newServer(): Http2Server {
    const s = http2.createServer(sessionOptions(deps.config().http2));
    captureSessions(s);
    // A session error is handled by its connection; this keeps node:http2 from treating it as unhandled.
    s.on('sessionError', () => {});
    return s;
  }

  const host: H2ConnectionHost = {
    get server() {
      return server;
    },
    limits: () => limits,
    maxRequests: () => deps.config().http2.max_requests_per_connection,
    maxInProgress: () => deps.config().http2.max_streams_in_progress,
    handleRequest(req, res) {
      counters.streams++;
      deps.handleRequest(req, res);
    },
    refused(conn, reason, code, detail) {
      bump(goaways, reason);
      deps.refused(conn, reason, code, detail);
    },
    closing(why) {
      if (why === 'max_requests') counters.closedMax++;
      else if (why === 'idle') counters.closedIdle++;
    },
    closed(conn) {
      connections.delete(conn);
    },
  };

  function sweep(): void {
    const now = Date.now();
    const { http2: c, connections: cc } = deps.config();
    for (const conn of connections) {
      if (conn.ending !== null && conn.ending !== 'graceful') continue;
      if (conn.guard.blockSinceMs >= 0 && now - conn.guard.blockSinceMs > cc.header_timeout) {
        conn.condemn({ reason: 'header_block_timeout', code: H2_ERROR.ENHANCE_YOUR_CALM, detail: `a header block left open for more than ${cc.header_timeout} ms` });
        continue;
      }
      for (const u of conn.uploads) {
        if (u.req.complete) continue;
        // A body held back by Bulwark itself (the pipeline not reading yet) is never the client's fault.
        const ours = u.req.isPaused() || u.req.readableLength >= u.req.readableHighWaterMark;
        if (ours) continue;
        if (now - u.counts.lastBodyMs > c.stream_idle_timeout) {
          counters.cancelledIdle++;
          u.res.cancel();
          continue;
        }
        const elapsed = now - u.startMs;
        if (cc.min_body_rate > 0 && elapsed > cc.body_rate_grace && (u.counts.bodyBytes * 1000) / elapsed < cc.min_body_rate) {
          counters.cancelledSlow++;
          u.res.cancel();
        }
      }
      if (conn.active === 0 && conn.guard.openStreams === 0 && now - Math.max(conn.tap.lastReadMs, conn.lastStreamEndMs) > c.idle_timeout) {
        conn.close('idle');
      }
    }
  }
  const timer = setInterval(sweep, 1000);
  timer.unref();

  return {
    accept(socket) {
      counters.total++;
      connections.add(new H2Connection(socket, host));
    },
    reconfigure() {
      server = newServer();
      limits = connectionLimits(deps.config().http2);
    },
    closeAll() {
      for (const conn of connections) conn.close('stopping');
    },
    destroyAll() {
      for (const conn of connections) conn.destroy();
    },
    stats() {
      return {
        connections_open: connections.size,
        connections_total: counters.total,
        streams_total: counters.streams,
        goaway_by_reason: Object.fromEntries(goaways),
        streams_cancelled_idle: counters.cancelledIdle,
        streams_cancelled_slow: counters.cancelledSlow,
        closed_idle: counters.closedIdle,
        closed_max_requests: counters.closedMax,
      };
    },
    stop() {
      clearInterval(timer);
    },
  };
}
