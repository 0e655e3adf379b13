/**
 * An in-process Bulwark with an https listener (HTTP/2 and HTTP/1.1 on one port) in front of a test
 * origin, for the HTTPS edge tests: the site `alpha` (alpha.test, RSA + ECDSA certificates from
 * test/fixtures/tls), every record kept, and clients for both protocols.
 */
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TicketKeySource } from '../../src/core/tls/ticket-keys.ts';
import { createBulwark } from '../../src/main.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';
import { createTestToken, testConfig, type TestBulwark } from './bulwark.ts';

export const TLS_DIR = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

/** The `tls:` block of a site serving `name` from the fixtures (`alpha.test`, `beta.test`, `wild.test`). */
export function fixtureTls(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { cert: `${TLS_DIR}${name}.crt`, key: `${TLS_DIR}${name}.key`, ...extra };
}

export interface HttpsBulwark extends TestBulwark {
  /** Port of the https listener. */
  readonly httpsPort: number;
  /** `https://127.0.0.1:PORT`. */
  readonly httpsUrl: string;
  /** Every request record since start. */
  readonly records: RequestRecord[];
  /** `/stats` → `https`. */
  httpsStats(): { http2: { goaway_by_reason: Record<string, number>; connections_open: number; streams_total: number; [k: string]: unknown }; handshakes: Record<string, number>; [k: string]: unknown };
}

/**
 * Starts Bulwark with one https listener (and the usual http one); `sites` default to `alpha` in front of
 * `origin`. `ticketKeys` replaces the session ticket key source (tests that rotate keys).
 */
export async function startHttpsBulwark(input: Record<string, unknown> & { origin: string; ticketKeys?: TicketKeySource }): Promise<HttpsBulwark> {
  const { origin, ticketKeys, ...rest } = input;
  const config = testConfig({
    listen: { http: ['127.0.0.1:0'], https: ['127.0.0.1:0'] },
    sites: [{ name: 'alpha', hosts: ['alpha.test'], origins: [origin], tls: fixtureTls('alpha.test', { additional: [{ cert: `${TLS_DIR}alpha.test-ecdsa.crt`, key: `${TLS_DIR}alpha.test-ecdsa.key` }] }) }],
    ...rest,
  });
  const token = await createTestToken(config.state_dir, 'admin');
  const bulwark = createBulwark({ config, logger: createLogger(config.log.level), ticketKeys });
  await bulwark.start();
  const b: TestBulwark = {
    bulwark,
    config,
    url: bulwark.url(),
    port: bulwark.listeners.find((x) => !x.secure)!.port,
    adminUrl: bulwark.admin ? `${bulwark.admin.secure ? 'https' : 'http'}://${bulwark.admin.address}` : '',
    adminHeaders: token.headers,
    stateDir: config.state_dir,
    stop: () => bulwark.stop(),
  };
  const records: RequestRecord[] = [];
  b.bulwark.recorder.addSink('test-records', (r) => records.push(r));
  const l = b.bulwark.listeners.find((x) => x.secure)!;
  return {
    ...b,
    httpsPort: l.port,
    httpsUrl: `https://127.0.0.1:${l.port}`,
    records,
    httpsStats: () => (b.bulwark.stats() as { https: ReturnType<HttpsBulwark['httpsStats']> }).https,
  };
}

/** What a request got, the same shape for both protocols. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly protocol: string;
}

export interface Req {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

function flat(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (!k.startsWith(':') && v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return out;
}

/** One HTTP/1.1 request over TLS (ALPN http/1.1), on a fresh connection from `localAddress`. */
export function h1Request(port: number, r: Req, localAddress = '127.0.0.1', servername = 'alpha.test'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path: r.path, method: r.method ?? 'GET', headers: { host: servername, ...r.headers }, servername, rejectUnauthorized: false, localAddress, ALPNProtocols: ['http/1.1'], agent: false } as https.RequestOptions,
      (res) => {
        let body = '';
        res.setEncoding('latin1');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: flat(res.headers as Record<string, unknown>), body, protocol: res.httpVersion }));
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** An HTTP/2 session to the https listener (ALPN h2) from `localAddress`. */
export function h2Session(port: number, localAddress = '127.0.0.1', servername = 'alpha.test'): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, servername, localAddress } as http2.SecureClientSessionOptions);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** One request on an HTTP/2 session. */
export function h2Request(session: http2.ClientHttp2Session, r: Req, authority = 'alpha.test'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': r.method ?? 'GET', ':path': r.path, ':authority': authority, ...r.headers }, { endStream: r.body === undefined });
    let status = 0;
    let headers: Record<string, string> = {};
    req.on('response', (h) => {
      status = Number(h[':status']);
      headers = flat(h as Record<string, unknown>);
    });
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve({ status, headers, body, protocol: '2.0' }));
    req.on('error', reject);
    if (r.body !== undefined) req.end(r.body);
  });
}

/** Port of a listening server. */
export function portOf(server: { address(): AddressInfo | string | null }): number {
  return (server.address() as AddressInfo).port;
}

/** Waits until `check` holds (polling every 20 ms) or `ms` pass; returns whether it held. */
export async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
