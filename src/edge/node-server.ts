/**
 * The node:http (or node:https) server under the proxy, with Bulwark's strict settings: limits and
 * timeouts from `connections:`, no lenient parsing, duplicate headers kept apart, prepared response
 * heads, header objects built from remembered field names, request and response objects sized before
 * the first request (instance-size.ts). The server never listens itself: the listeners hand it sockets
 * the accept gate admitted.
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { Socket } from 'node:net';
import type { TlsOptions } from 'node:tls';
import type { ConnectionsConfig } from '../config/schema.ts';
import { BulwarkResponse } from '../pipeline/pages/prepared-head.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { BulwarkRequest } from './request-headers.ts';
import { settleInstanceSize } from './instance-size.ts';

/**
 * Creates the server. `secure` gives an https server whose certificate is chosen per SNI name from the
 * current runtime; `tlsOptions` (from the HTTPS edge: SNI, ALPN, TLS versions, resumption) take
 * precedence over the defaults here. `max_header_bytes` is fixed for the server's life (a restart
 * changes it); the timeouts can be changed later on the server object.
 */
export function createNodeServer(getRuntime: () => Runtime, secure: boolean, initial: ConnectionsConfig, tlsOptions: TlsOptions): http.Server {
  settleRequestObjects();
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
    // Builds each request's header object from remembered field-name rules (request-headers.ts).
    IncomingMessage: BulwarkRequest,
  };
  const server: http.Server = secure
    ? https.createServer({
        ...serverOptions,
        SNICallback: (name, cb) => cb(null, getRuntime().secureContextFor(name) ?? undefined),
        // A handshake that does not finish in time is dropped (slow TLS clients count as slowloris).
        handshakeTimeout: initial.header_timeout,
        ...tlsOptions,
      } as https.ServerOptions)
    : http.createServer(serverOptions);
  // Idle connections are swept (idle-guard.ts) rather than timed per request by node:http.
  server.timeout = 0;
  // The server never listens itself (listeners hand it admitted sockets), but node:http starts its
  // connection tracking — header/request timeouts, closeIdleConnections — on 'listening'.
  server.emit('listening');
  return server;
}

/**
 * Settles the size of the request and response objects (instance-size.ts) before the first request:
 * the response is given what node:http and a written head add to it (keep-alive fields, status, head).
 */
export function settleRequestObjects(): void {
  settleInstanceSize(
    BulwarkRequest,
    () => new BulwarkRequest(new Socket()),
    () => {},
  );
  const req = { method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as unknown as IncomingMessage;
  settleInstanceSize(
    BulwarkResponse,
    () => new BulwarkResponse(req),
    (res) => {
      const fields = res as unknown as { shouldKeepAlive: boolean; _maxRequestsPerSocket: number };
      fields.shouldKeepAlive = true;
      fields._maxRequestsPerSocket = 0;
      res.writeHead(200, ['content-length', '0']);
    },
  );
}
