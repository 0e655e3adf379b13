/**
 * A site's certificates, loaded from its PEM files: the certificate and key of `tls.cert` / `tls.key`,
 * plus `tls.additional` pairs of other key types (an ECDSA pair beside an RSA one). Each pair gets its
 * own TLS context, and the https edge picks one per connection from the client's ClientHello — ECDSA
 * when the client accepts it (its handshake signature costs a fraction of RSA's), RSA otherwise — since
 * node:tls cannot switch between two pairs of one context by SNI (its SNI callback replaces a single
 * certificate slot, leaving the others as they were).
 *
 * Loading checks what would otherwise fail later or silently: each key must belong to its certificate
 * (the error names the site and both files), and two pairs of one key type would replace each other
 * in the context. What was loaded — key types, names, expiry, and the files' identity for change
 * detection — is kept beside the context for the stats, the expiry log and the renewal watch.
 */
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { statSync } from 'node:fs';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { SiteConfig } from '../config/schema.ts';
import { readRegularFileSync } from '../config/read-file.ts';
import { BulwarkError } from '../core/errors.ts';

/** A certificate chain or key file larger than this is not one. */
const MAX_PEM_BYTES = 1024 * 1024;

/** How the contexts are built (from the `tls:` config block). */
export interface CertificateOptions {
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** Session tickets offered (resumption); false disables them. */
  readonly tickets: boolean;
  /** Lifetime of a session ticket, in seconds. */
  readonly sessionTimeoutS: number;
}

/** One loaded certificate/key pair. */
export interface CertificatePair {
  readonly certFile: string;
  readonly keyFile: string;
  /** `rsa`, `ec`, `ed25519`… (node:crypto's asymmetricKeyType). */
  readonly keyType: string;
  /** The named curve of an EC key (`prime256v1`…), undefined otherwise. */
  readonly curve: string | undefined;
  readonly subject: string;
  /** DNS names of the certificate (subjectAltName), e.g. `*.example.org`. */
  readonly names: readonly string[];
  readonly notAfterMs: number;
  readonly fingerprint256: string;
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
}

/** One pair's TLS context. */
export interface PairContext {
  readonly pair: CertificatePair;
  readonly context: SecureContext;
}

/** A site's loaded certificates and a context for each pair, ECDSA pairs first. */
export interface SiteCertificate {
  readonly site: string;
  /** The context of the first pair (ECDSA when there is one): for clients that say nothing of what they accept. */
  readonly context: SecureContext;
  readonly pairs: readonly CertificatePair[];
  readonly contexts: readonly PairContext[];
  /** Identity of the files it was read from (see {@link certificateStamp}): a different stamp means renewed files. */
  readonly stamp: string;
}

/**
 * The secure-context options of one pair (site contexts and the server's default one). The session ID
 * context is the site's, so a session resumes only on the site that issued it.
 */
export function contextOptions(site: string, pair: CertificatePair, options: CertificateOptions): Parameters<typeof createSecureContext>[0] {
  return {
    cert: pair.certPem,
    key: pair.keyPem,
    minVersion: options.minVersion,
    honorCipherOrder: true,
    sessionTimeout: options.sessionTimeoutS,
    sessionIdContext: createHash('sha256').update(`bulwark site ${site}`).digest('hex').slice(0, 32),
    secureOptions: options.tickets ? 0 : SSL_OP_NO_TICKET,
  };
}

/** OpenSSL's SSL_OP_NO_TICKET (node:crypto's constants carry it). */
const SSL_OP_NO_TICKET = 0x4000;

function files(site: SiteConfig): { cert: string; key: string }[] {
  const tls = site.tls;
  return tls === undefined ? [] : [{ cert: tls.cert, key: tls.key }, ...tls.additional];
}

/**
 * The identity of a site's certificate files (path, inode, size and modification time of each): a
 * renewal — certbot switching a symlink, or a file rewritten in place — changes it.
 */
export function certificateStamp(site: SiteConfig): string {
  return files(site)
    .flatMap((f) => [f.cert, f.key])
    .map((path) => {
      try {
        const s = statSync(path);
        return `${path}:${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return `${path}:missing`;
      }
    })
    .join('|');
}

function fail(code: string, site: string, message: string, cause?: unknown): never {
  throw new BulwarkError(code, `site "${site}": ${message}`, { source: 'config', cause });
}

function loadPair(site: string, certFile: string, keyFile: string): CertificatePair {
  // A FIFO, a device or an oversized file is refused without blocking (config/read-file.ts).
  const read = (path: string): Buffer => {
    try {
      return Buffer.from(readRegularFileSync(path, MAX_PEM_BYTES), 'utf8');
    } catch (err) {
      fail('BULWARK_ERR_TLS_UNREADABLE', site, `cannot read ${path}: ${(err as Error).message}`, err);
    }
  };
  const certPem = read(certFile);
  const keyPem = read(keyFile);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    fail('BULWARK_ERR_TLS_INVALID_CERT', site, `${certFile} is not a PEM certificate (${(err as Error).message})`, err);
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    fail('BULWARK_ERR_TLS_INVALID_KEY', site, `${keyFile} is not a PEM private key (${(err as Error).message})`, err);
  }
  if (!cert.checkPrivateKey(key)) {
    fail('BULWARK_ERR_TLS_KEY_MISMATCH', site, `the private key in ${keyFile} does not match the certificate in ${certFile}`);
  }
  const names = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4).toLowerCase());
  return {
    certFile, keyFile, certPem, keyPem, names,
    keyType: key.asymmetricKeyType ?? 'unknown',
    curve: key.asymmetricKeyDetails?.namedCurve,
    subject: cert.subject.replace(/\n/g, ', '),
    notAfterMs: Date.parse(cert.validTo),
    fingerprint256: cert.fingerprint256,
  };
}

/**
 * Loads a site's certificates (the site must have `tls`). Throws a BulwarkError naming the site:
 * `BULWARK_ERR_TLS_UNREADABLE`, `_INVALID_CERT`, `_INVALID_KEY`, `_KEY_MISMATCH` (a key that is not
 * its certificate's), `_DUPLICATE_KEY_TYPE` (two pairs of one key type).
 */
export function loadSiteCertificate(site: SiteConfig, options: CertificateOptions): SiteCertificate {
  const stamp = certificateStamp(site);
  const loaded = files(site).map((f) => loadPair(site.name, f.cert, f.key));
  const pairs = [...loaded.filter((p) => p.keyType === 'ec'), ...loaded.filter((p) => p.keyType !== 'ec')];
  const seen = new Map<string, string>();
  for (const p of pairs) {
    const other = seen.get(p.keyType);
    if (other !== undefined) fail('BULWARK_ERR_TLS_DUPLICATE_KEY_TYPE', site.name, `${other} and ${p.certFile} both have ${p.keyType} keys: pairs must be of different key types`);
    seen.set(p.keyType, p.certFile);
  }
  const contexts = pairs.map((pair) => {
    try {
      return { pair, context: createSecureContext(contextOptions(site.name, pair, options)) };
    } catch (err) {
      fail('BULWARK_ERR_TLS_CONTEXT', site.name, `cannot use the certificate in ${pair.certFile}: ${(err as Error).message}`, err);
    }
  });
  return { site: site.name, context: contexts[0]!.context, pairs, contexts, stamp };
}

/** Days left until a pair expires at `nowMs` (negative once expired). */
export function daysLeft(pair: CertificatePair, nowMs: number): number {
  return Math.floor((pair.notAfterMs - nowMs) / 86_400_000);
}
