/**
 * The certificates the https listeners present, kept live: SNI picks a site's current context; a
 * renewal on disk (certbot and the like replace the files, or switch a symlink) is picked up within
 * `tls.cert_check_interval` without a restart, and SIGHUP re-reads every site's files with the rest
 * of the config. Either way only new handshakes see the new certificate: open connections keep theirs,
 * so nothing is dropped.
 *
 * A renewal that does not load (a key written before its certificate, a half-written file) keeps the
 * current certificate, logs why, and is tried again at the next check while the files differ from
 * what was loaded. Certificates expiring within `tls.expiry_warning` are logged once a day each and
 * flagged in `/stats`.
 */
import type { SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { SiteConfig } from '../../config/schema.ts';
import type { Runtime } from '../../runtime/runtime.ts';
import { ecdsaScheme, type ClientHelloInfo } from '../../core/tls/client-hello.ts';
import { certificateStamp, daysLeft, type PairContext, type SiteCertificate } from '../../runtime/site-certificates.ts';

const DAY_MS = 86_400_000;

/**
 * Whether a certificate name covers a site host: the same name, or a wildcard `*.example.org` for one
 * label in its place (RFC 6125 §6.4.3); a wildcard host is covered by the same wildcard.
 */
export function certificateCovers(name: string, host: string): boolean {
  if (name === host) return true;
  if (!name.startsWith('*.')) return false;
  const suffix = name.slice(1);
  return host.length > suffix.length && host.endsWith(suffix) && !host.slice(0, host.length - suffix.length).includes('.');
}

export interface CertStoreDeps {
  readonly logger: Logger;
  getRuntime(): Runtime;
  /** Loads a site's certificates with the current config's options (throws a BulwarkError naming the site). */
  load(site: SiteConfig): SiteCertificate;
  /** The certificate for clients without SNI changed (the server's default context must follow). */
  onDefault(cert: SiteCertificate | null): void;
  /** New contexts are in use (they need the current session ticket key). */
  onContexts(cert: SiteCertificate): void;
  now(): number;
}

/** One certificate as `/stats` shows it. */
export interface CertificateView {
  readonly site: string;
  readonly subject: string;
  readonly names: readonly string[];
  readonly key_type: string;
  readonly not_after: string;
  readonly days_left: number;
  readonly expiring_soon: boolean;
  readonly cert_file: string;
  readonly loaded_at: string;
}

export interface CertStore {
  /** Takes a new config generation's certificates (start, SIGHUP): they were just read from disk. */
  adopt(runtime: Runtime): void;
  /**
   * The context for a connection: its site by SNI (else the default site), and of that site's pairs the
   * first the client accepts by its signature algorithms (ECDSA first); RSA when the ClientHello could
   * not be read.
   */
  contextFor(hello: ClientHelloInfo | null): SecureContext | undefined;
  /** Every context in use (for the session ticket key). */
  contexts(): SecureContext[];
  /** Reloads the certificates whose files changed since they were loaded. */
  checkFiles(): void;
  /** Logs each certificate expiring within `expiry_warning` (at most once a day per certificate). */
  checkExpiry(): void;
  /** Reloads done and failed since start. */
  readonly reloads: { done: number; failed: number };
  view(): CertificateView[];
}

interface Live {
  readonly cert: SiteCertificate;
  readonly loadedAtMs: number;
  /** Stamp of files that failed to load (not retried until they change again), '' when none. */
  failedStamp: string;
}

/** Signature scheme a pair signs with, when it must be in the client's list (null: RSA, accepted by any TLS 1.2+ client). */
function schemeOf(p: PairContext): number | null {
  if (p.pair.keyType === 'ec') return ecdsaScheme(p.pair.curve) ?? -1;
  if (p.pair.keyType === 'ed25519') return 0x0807;
  return null;
}

/** The first pair (ECDSA first) the client accepts; RSA when nothing is known of the client. */
export function pickContext(contexts: readonly PairContext[], hello: ClientHelloInfo | null): PairContext {
  for (const c of contexts) {
    const scheme = schemeOf(c);
    if (scheme === null) return c;
    if (hello !== null && hello.signatureAlgorithms.includes(scheme)) return c;
  }
  return contexts[0]!;
}

export function createCertStore(deps: CertStoreDeps): CertStore {
  const live = new Map<string, Live>();
  /** Last expiry warning per certificate fingerprint (bounded by the certificates loaded). */
  const warned = new Map<string, number>();
  const reloads = { done: 0, failed: 0 };
  let defaultSite: string | null = null;

  function warnNames(site: SiteConfig, cert: SiteCertificate): void {
    const names = cert.pairs.flatMap((p) => p.names);
    const uncovered = site.hosts.filter((h) => h !== '*' && !names.some((n) => certificateCovers(n, h)));
    if (uncovered.length > 0) deps.logger.warn({ code: 'BULWARK_WARN_TLS_NAMES', site: site.name, hosts: uncovered, names }, 'site hosts not covered by its certificate');
  }

  function setDefault(runtime: Runtime): void {
    const first = runtime.sites.find((s) => s.certificate !== null);
    defaultSite = first?.name ?? null;
    deps.onDefault(defaultSite === null ? null : live.get(defaultSite)?.cert ?? null);
  }

  function reloadSite(site: SiteConfig, entry: Live): void {
    const stamp = certificateStamp(site);
    if (stamp === entry.cert.stamp || stamp === entry.failedStamp) return;
    try {
      const cert = deps.load(site);
      live.set(site.name, { cert, loadedAtMs: deps.now(), failedStamp: '' });
      deps.onContexts(cert);
      reloads.done++;
      const p = cert.pairs[0]!;
      deps.logger.info({ code: 'BULWARK_TLS_RELOADED', site: site.name, subject: p.subject, not_after: new Date(p.notAfterMs).toISOString() }, 'certificate files changed: new handshakes use the new certificate');
      if (site.name === defaultSite) deps.onDefault(cert);
      warnNames(site, cert);
    } catch (err) {
      entry.failedStamp = stamp;
      reloads.failed++;
      deps.logger.warn({ code: (err as { code?: string }).code ?? 'BULWARK_ERR_TLS', site: site.name, err: (err as Error).message }, 'certificate files changed but cannot be used: keeping the current certificate');
    }
  }

  return {
    adopt(runtime) {
      const now = deps.now();
      const keep = new Set<string>();
      for (const site of runtime.sites) {
        if (site.certificate === null) continue;
        keep.add(site.name);
        if (live.get(site.name)?.cert !== site.certificate) {
          live.set(site.name, { cert: site.certificate, loadedAtMs: now, failedStamp: '' });
          deps.onContexts(site.certificate);
          warnNames(site.config, site.certificate);
        }
      }
      for (const name of [...live.keys()]) if (!keep.has(name)) live.delete(name);
      setDefault(runtime);
      this.checkExpiry();
    },
    contextFor(hello) {
      const site = hello?.serverName != null ? deps.getRuntime().route(hello.serverName) : null;
      const entry = (site !== null ? live.get(site.name) : undefined) ?? (defaultSite !== null ? live.get(defaultSite) : undefined);
      return entry === undefined ? undefined : pickContext(entry.cert.contexts, hello).context;
    },
    contexts: () => [...live.values()].flatMap((e) => e.cert.contexts.map((c) => c.context)),
    checkFiles() {
      for (const site of deps.getRuntime().config.sites) {
        const entry = live.get(site.name);
        if (site.tls !== undefined && entry !== undefined) reloadSite(site, entry);
      }
    },
    checkExpiry() {
      const now = deps.now();
      const within = deps.getRuntime().config.tls.expiry_warning;
      const seen = new Set<string>();
      for (const [site, entry] of live) {
        for (const p of entry.cert.pairs) {
          seen.add(p.fingerprint256);
          if (p.notAfterMs - now > within) continue;
          const last = warned.get(p.fingerprint256);
          if (last !== undefined && now - last < DAY_MS) continue;
          warned.set(p.fingerprint256, now);
          deps.logger.warn(
            { code: 'BULWARK_WARN_TLS_EXPIRY', site, subject: p.subject, cert_file: p.certFile, not_after: new Date(p.notAfterMs).toISOString(), days_left: daysLeft(p, now) },
            p.notAfterMs <= now ? 'certificate has expired' : 'certificate expires soon',
          );
        }
      }
      for (const fp of [...warned.keys()]) if (!seen.has(fp)) warned.delete(fp);
    },
    reloads,
    view() {
      const now = deps.now();
      const within = deps.getRuntime().config.tls.expiry_warning;
      return [...live.entries()].flatMap(([site, entry]) =>
        entry.cert.pairs.map((p) => ({
          site,
          subject: p.subject,
          names: p.names,
          key_type: p.keyType,
          not_after: new Date(p.notAfterMs).toISOString(),
          days_left: daysLeft(p, now),
          expiring_soon: p.notAfterMs - now <= within,
          cert_file: p.certFile,
          loaded_at: new Date(entry.loadedAtMs).toISOString(),
        })),
      );
    },
  };
}
