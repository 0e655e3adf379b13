/**
 * The HTTPS edge: everything the https listeners do beyond node:https's HTTP/1.1 — composed once here
 * so the proxy server and the composition root only plug it in:
 * - the handshake cap at accept (tls/handshake-gate.ts), before any TLS work;
 * - certificates by SNI, renewed from disk without a restart, expiry watched (tls/cert-store.ts);
 * - session resumption with ticket keys on a schedule (tls/ticket-rotation.ts; the key source is
 *   injectable so workers can share keys);
 * - ALPN `h2` beside `http/1.1` on the same port, and HTTP/2 connections with their flood limits
 *   (http2/http2-edge.ts), fed to the proxy's request handler like HTTP/1.1 requests;
 * - one record and one escalation refusal for each HTTP/2 connection ended for a limit.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { SecureContext, Server as TlsServer, TLSSocket, TlsOptions } from 'node:tls';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import { h2ErrorName } from '../core/http2/frame-scanner.ts';
import { resolveClientAddress } from '../core/identify/client-address.ts';
import { parseIp, prefixKeyOf } from '../core/net/ip.ts';
import { createRandomTicketKeys, type TicketKeySource } from '../core/tls/ticket-keys.ts';
import { recordRefusalOf } from '../pipeline/escalate.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { certificateOptionsOf } from '../runtime/runtime.ts';
import { contextOptions, loadSiteCertificate, type SiteCertificate } from '../runtime/site-certificates.ts';
import { normalizeHost } from '../runtime/site-router.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import { UNROUTED_SITE } from '../telemetry/request-record.ts';
import { connectionRefusalRecord } from './connection-record.ts';
import type { H2Connection } from './http2/h2-connection.ts';
import { ALPN_WITH_H2, createHttp2Edge, type Http2Edge, type Http2EdgeStats } from './http2/http2-edge.ts';
import type { ProxyServer } from './proxy-server.ts';
import { createCertStore, pickContext, type CertificateView, type CertStore } from './tls/cert-store.ts';
import { peekClientHello } from './tls/hello-peek.ts';
import { createHandshakeGate, type HandshakeGate, type HandshakeGateStats } from './tls/handshake-gate.ts';
import { createTicketRotation, type TicketRotation } from './tls/ticket-rotation.ts';

export interface HttpsEdgeDeps {
  readonly logger: Logger;
  readonly recorder: Recorder;
  readonly nextId: () => string;
  getRuntime(): Runtime;
  /**
   * Where session ticket keys come from. Default: a random key per `tls.ticket_key_rotation`, in this
   * process. Several processes that must resume each other's sessions pass one shared source.
   */
  readonly ticketKeys?: TicketKeySource;
  readonly now?: () => number;
}

/** `/stats` → `https`. */
export interface HttpsStats {
  readonly http2: Http2EdgeStats | null;
  readonly handshakes: HandshakeGateStats & { readonly resumed: number; readonly full: number };
  readonly tickets: { readonly epoch: number | null; readonly rotations: number; readonly period_ms: number };
  readonly certificates: readonly CertificateView[];
  readonly certificate_reloads: { readonly done: number; readonly failed: number };
}

export interface HttpsEdge {
  /** node:tls options for the https proxy server: SNI, ALPN, versions, resumption. */
  serverOptions(): TlsOptions;
  /** Takes over the https proxy server (ALPN dispatch, default certificate, ticket keys, timers). */
  attach(proxy: ProxyServer): void;
  /**
   * An https listener's accept, before TLS: the handshake cap, then the ClientHello read to choose the
   * certificate (site by SNI, ECDSA or RSA by what the client accepts); `proceed` hands the socket to
   * the https server with that certificate.
   */
  secureAccept(socket: Socket, proceed: () => void): void;
  readonly handshakes: HandshakeGate;
  /** The https server once attached (tests and diagnostics: its TLS sockets, its ticket keys). */
  tlsServer(): TlsServer | null;
  /** A new config generation (SIGHUP): its certificates, HTTP/2 settings, timers. */
  reload(runtime: Runtime): void;
  stats(): HttpsStats;
  /** Graceful GOAWAY to every HTTP/2 connection (stopping). */
  closeIdle(): void;
  destroyAll(): void;
  stop(): void;
}

/** The TLS options of a config, for contexts and the server alike. */
function sessionTimeoutS(config: Config): number {
  return Math.round(config.tls.ticket_key_rotation / 1000);
}

export function createHttpsEdge(deps: HttpsEdgeDeps): HttpsEdge {
  const now = deps.now ?? Date.now;
  const logger = deps.logger;
  const config = () => deps.getRuntime().config;
  const initial = config();
  const keys = deps.ticketKeys ?? createRandomTicketKeys(initial.tls.ticket_key_rotation, (n) => randomBytes(n));
  let server: TlsServer | null = null;
  let http2: Http2Edge | null = null;
  const timers: NodeJS.Timeout[] = [];
  const handshakeKinds = { resumed: 0, full: 0 };

  const rotation: TicketRotation = createTicketRotation(
    keys,
    (key) => {
      // Tickets are sealed by the context a connection started with: the server's and every site's.
      server?.setTicketKeys(key);
      for (const c of certs.contexts()) c.context.setTicketKeys(key);
    },
    now,
  );

  function applyKey(cert: SiteCertificate): void {
    const key = rotation.current();
    if (key !== null) for (const c of cert.contexts) c.context.context.setTicketKeys(key);
  }

  const certs: CertStore = createCertStore({
    logger,
    getRuntime: deps.getRuntime,
    load: (site) => loadSiteCertificate(site, certificateOptionsOf(config())),
    now,
    onDefault(cert) {
      if (server === null || cert === null) return;
      // The server's own context serves connections whose ClientHello could not be read: the first TLS
      // site's certificate (RSA when it has one). Replacing it replaces its ticket key: put it back.
      server.setSecureContext(contextOptions(cert.site, pickContext(cert.contexts, null).pair, certificateOptionsOf(config())) as TlsOptions);
      const key = rotation.current();
      if (key !== null) server.setTicketKeys(key);
    },
    onContexts: applyKey,
  });

  const handshakes = createHandshakeGate({
    table: () => deps.getRuntime().services.policy.table,
    config: () => {
      const c = config();
      return { handshakes: c.tls.handshakes, prefixV4: c.identify.prefix_v4, prefixV6: c.identify.prefix_v6 };
    },
    exempt(address) {
      const r = deps.getRuntime();
      return r.isTrustedProxy(address) || r.lists.match(address)?.kind === 'allow';
    },
    refused(address, prefix, scope, nowMs) {
      recordRefusalOf(deps.getRuntime().services, address, prefix, `tls/handshake_${scope}`, nowMs);
    },
    now,
  });

  /** One record and one escalation refusal for an HTTP/2 connection ended for a limit. */
  function refused(conn: H2Connection, reason: string, code: number, detail: string): void {
    const runtime = deps.getRuntime();
    const t = now();
    const peer = conn.socket.remoteAddress ?? '';
    const client = resolveClientAddress(peer, undefined, runtime.isTrustedProxy);
    const ip = parseIp(client.address);
    const id = runtime.config.identify;
    const prefix = ip === null ? '' : prefixKeyOf(ip, ip.family === 6 ? id.prefix_v6 : id.prefix_v4);
    const host = normalizeHost(conn.servername !== '' ? conn.servername : conn.firstAuthority);
    const site = runtime.route(host);
    const by = `h2/${reason}`;
    deps.recorder.record(
      connectionRefusalRecord({
        timeMs: t,
        site: site?.name ?? UNROUTED_SITE,
        host,
        requestId: deps.nextId(),
        clientAddress: client.address,
        prefix,
        httpVersion: '2.0',
        decisionBy: by,
        errorCode: `BULWARK_ERR_H2_${reason.toUpperCase()}`,
        bytesIn: conn.tap.bytesIn,
        bytesOut: conn.tap.bytesOut,
        durationMs: t - conn.startMs,
        level: site === null ? 'normal' : runtime.services.levelOf(site.name),
      }),
    );
    if (!runtime.isTrustedProxy(peer)) recordRefusalOf(runtime.services, client.address, prefix, by, t);
    logger.debug({ code: 'BULWARK_H2_GOAWAY', reason, h2_error: h2ErrorName(code), client: client.address, detail, ...conn.guard.counts() }, 'HTTP/2 connection ended for a limit');
  }

  function startTimers(): void {
    for (const t of timers) clearInterval(t);
    timers.length = 0;
    const every = (ms: number, fn: () => void) => {
      const t = setInterval(() => {
        try {
          fn();
        } catch (err) {
          logger.error({ err, code: 'BULWARK_ERR_TLS_TIMER' }, 'TLS housekeeping failed');
        }
      }, ms);
      t.unref();
      timers.push(t);
    };
    const c = config().tls;
    every(Math.min(60_000, Math.max(1000, Math.floor(keys.periodMs / 4))), () => rotation.tick());
    if (c.cert_check_interval > 0) every(c.cert_check_interval, () => certs.checkFiles());
    every(3_600_000, () => certs.checkExpiry());
  }

  return {
    serverOptions() {
      const c = config();
      return {
        ALPNProtocols: c.http2.enabled ? [...ALPN_WITH_H2] : ['http/1.1'],
        // The certificate was chosen at accept from the ClientHello (secureAccept): SNI changes nothing.
        SNICallback: (_name: string, cb: (err: Error | null, ctx?: SecureContext) => void) => cb(null, undefined),
        minVersion: c.tls.min_version,
        honorCipherOrder: true,
        sessionTimeout: sessionTimeoutS(c),
        ...(c.tls.session_resumption ? {} : { secureOptions: 0x4000 /* SSL_OP_NO_TICKET */ }),
      };
    },
    attach(proxy) {
      const tlsServer = proxy.server as unknown as TlsServer;
      server = tlsServer;
      http2 = createHttp2Edge({
        config: () => ({ http2: config().http2, connections: config().connections }),
        handleRequest: (req, res) => proxy.handleRequest(req, res),
        refused,
      });
      const edge = http2;
      // ALPN decides per connection: `h2` here, anything else to node:https's HTTP/1.1 handler.
      const [h1] = tlsServer.listeners('secureConnection') as ((socket: TLSSocket) => void)[];
      if (h1 === undefined) throw new Error('the https server has no connection handler to dispatch to');
      tlsServer.removeListener('secureConnection', h1);
      tlsServer.on('secureConnection', (socket: TLSSocket) => {
        if (socket.isSessionReused()) handshakeKinds.resumed++;
        else handshakeKinds.full++;
        if (socket.alpnProtocol !== 'h2') {
          h1.call(tlsServer, socket);
          return;
        }
        try {
          edge.accept(socket);
        } catch (err) {
          logger.error({ err, code: 'BULWARK_ERR_H2_ACCEPT' }, 'an HTTP/2 connection could not be set up');
          socket.destroy();
        }
      });
      if ((tlsServer as TlsServer & { _sharedCreds?: unknown })._sharedCreds === undefined) {
        logger.warn({ code: 'BULWARK_WARN_TLS_CERT_CHOICE' }, 'this Node version does not expose the TLS server context: every connection gets the default certificate');
      }
      rotation.tick();
      certs.adopt(deps.getRuntime());
      startTimers();
    },
    secureAccept(socket, proceed) {
      if (!handshakes.admit(socket)) return;
      peekClientHello(socket, config().connections.header_timeout, (hello) => {
        if (socket.destroyed) return;
        const context = certs.contextFor(hello);
        // node:tls builds the connection's TLS socket from the server's context, synchronously inside
        // the 'connection' event that `proceed` emits: that context is this connection's for the call.
        const s = server as (TlsServer & { _sharedCreds?: SecureContext }) | null;
        const saved = s?._sharedCreds;
        if (s !== null && saved !== undefined && context !== undefined) s._sharedCreds = context;
        try {
          proceed();
        } finally {
          if (s !== null && saved !== undefined) s._sharedCreds = saved;
        }
      });
    },
    handshakes,
    tlsServer: () => server,
    reload(runtime) {
      certs.adopt(runtime);
      http2?.reconfigure();
      startTimers();
    },
    stats() {
      return {
        http2: http2?.stats() ?? null,
        handshakes: { ...handshakes.stats(), ...handshakeKinds },
        tickets: rotation.stats(),
        certificates: certs.view(),
        certificate_reloads: { ...certs.reloads },
      };
    },
    closeIdle() {
      http2?.closeAll();
    },
    destroyAll() {
      http2?.destroyAll();
    },
    stop() {
      for (const t of timers) clearInterval(t);
      timers.length = 0;
      http2?.stop();
    },
  };
}
