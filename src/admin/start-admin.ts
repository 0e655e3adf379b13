/**
 * Starts the admin plane from the `admin:` config: the remote-admin rule, TLS, then the listener.
 *
 * The rule: a loopback listener may run as it is (still authenticated). Any other address carries
 * tokens and session cookies over a network, so the config must give TLS (certificate files, or a
 * generated self-signed certificate whose fingerprint is logged) or say explicitly that a trusted
 * network carries it in the clear (`cleartext_on_trusted_network`, checked by the schema), and at least
 * one live token must exist — otherwise nobody could log in and the listener would only be a target.
 * Both refusals are config errors: Bulwark does not start (exit 2).
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { AdminConfig } from '../config/admin-schema.ts';
import { isLoopbackHost, parseListenAddress } from '../config/listen-address.ts';
import { BulwarkError } from '../core/errors.ts';
import type { StateStores } from '../stores/index.ts';
import type { AdminLogger } from './admin-handler.ts';
import { startAdminServer, type AdminServer } from './admin-server.ts';
import type { RouteTable } from './route-types.ts';
import type { Auditor } from './audit.ts';
import { loadOrCreateSelfSigned, type SelfSignedSubject } from './tls/self-signed.ts';

/** What {@link startAdminPlane} needs. */
export interface AdminPlaneOptions {
  readonly config: AdminConfig & { readonly listen: string };
  readonly stateDir: string;
  readonly stores: Pick<StateStores, 'tokens' | 'sessions' | 'audit'>;
  readonly logger: AdminLogger;
  readonly routes: RouteTable;
  readonly auditor?: Auditor;
  readonly now?: () => number;
}

/** The running admin plane: the listener, and the TLS fingerprint when it serves HTTPS. */
export interface AdminPlane extends AdminServer {
  readonly fingerprint256: string | null;
}

const WILDCARD = new Set(['0.0.0.0', '::']);

function configError(code: string, message: string, cause?: unknown): BulwarkError {
  return new BulwarkError(code, message, { source: 'config', ...(cause !== undefined ? { cause } : {}) });
}

/** The addresses and names a self-signed certificate must carry for a listener on `host`. */
export function certificateSubject(host: string, names: readonly string[]): SelfSignedSubject {
  let addresses = [host];
  if (WILDCARD.has(host)) {
    addresses = Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .filter((i) => host === '::' || i.family === 'IPv4')
      .map((i) => i.address.split('%')[0]!);
  }
  const local = WILDCARD.has(host) || isLoopbackHost(host);
  return { addresses: [...new Set(addresses)], names: [...new Set([...names, ...(local ? ['localhost'] : [])])] };
}

function tlsFor(o: AdminPlaneOptions, host: string): { cert: string; key: string; fingerprint256: string } | null {
  const tls = o.config.tls;
  if (tls === null) return null;
  if (tls === 'self_signed') {
    const c = loadOrCreateSelfSigned(o.stateDir, certificateSubject(host, o.config.hosts));
    o.logger.warn(
      { code: 'BULWARK_ADMIN_TLS_SELF_SIGNED', fingerprint256: c.fingerprint256, generated: c.generated, valid_to: new Date(c.validToMs).toISOString() },
      `admin listener: self-signed certificate${c.generated ? ' (new)' : ''}, SHA-256 fingerprint ${c.fingerprint256}`,
    );
    return c;
  }
  try {
    const cert = readFileSync(tls.cert, 'utf8');
    const key = readFileSync(tls.key, 'utf8');
    return { cert, key, fingerprint256: new X509Certificate(cert).fingerprint256 };
  } catch (err) {
    throw configError('BULWARK_ERR_ADMIN_TLS', `admin.tls: cannot use ${tls.cert} / ${tls.key}: ${(err as Error).message}`, err);
  }
}

/** Checks the remote-admin rule, prepares TLS and binds the listener (see the module comment). */
export async function startAdminPlane(o: AdminPlaneOptions): Promise<AdminPlane> {
  const parsed = parseListenAddress(o.config.listen);
  if (parsed === null) throw configError('BULWARK_ERR_ADMIN_LISTEN', `admin.listen: invalid address ${o.config.listen}`);
  const now = o.now ?? Date.now;
  if (!isLoopbackHost(parsed.host) && (await o.stores.tokens.countLive(now())) === 0) {
    throw configError(
      'BULWARK_ERR_ADMIN_NO_TOKENS',
      `admin.listen ${o.config.listen} is not a loopback address, and no admin token exists: create one first (bulwark tokens create NAME --role admin -c FILE)`,
    );
  }
  const tls = tlsFor(o, parsed.host);
  if (!isLoopbackHost(parsed.host) && tls === null) {
    o.logger.warn({ code: 'BULWARK_WARN_ADMIN_CLEARTEXT', listen: o.config.listen }, 'admin listener serves a non-loopback address without TLS (cleartext_on_trusted_network)');
  }
  const server = await startAdminServer({
    listen: o.config.listen,
    hosts: o.config.hosts,
    tls,
    stores: o.stores,
    logger: o.logger,
    session: { idleMs: o.config.session.idle, maxMs: o.config.session.max },
    login: { maxFailures: o.config.login.max_failures, windowMs: o.config.login.window },
    routes: o.routes,
    ...(o.auditor ? { auditor: o.auditor } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  return Object.assign(server, { fingerprint256: tls?.fingerprint256 ?? null });
}
