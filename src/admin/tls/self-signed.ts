/**
 * A self-signed certificate for the admin listener when the operator has none (`admin.tls:
 * self_signed`): an ECDSA P-256 key and an X.509 v3 certificate (RFC 5280) for the listener's addresses
 * and names, kept under `<state_dir>/admin-tls/` (key mode 0600) so its fingerprint stays the same from
 * one start to the next. Operators pin that fingerprint (it is logged at every start); a browser shows a
 * warning once. Renewed when it expires within 30 days or no longer names an address or name it must.
 */
import { X509Certificate, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIpInto } from '../../core/net/ip-parse.ts';
import { bits, boolTrue, explicit, implicit, integer, octets, oid, seq, set, time, utf8 } from './der.ts';

/** What the certificate must name. */
export interface SelfSignedSubject {
  /** IP addresses (v4 or v6) the listener is reached at. */
  readonly addresses: readonly string[];
  /** DNS names (`admin.hosts`, `localhost`). */
  readonly names: readonly string[];
}

/** A certificate and key in PEM, with the certificate's SHA-256 fingerprint (`AB:CD:...`). */
export interface AdminCertificate {
  readonly cert: string;
  readonly key: string;
  readonly fingerprint256: string;
  readonly validToMs: number;
  /** True when this call generated it (a new fingerprint to tell operators). */
  readonly generated: boolean;
}

const DAY = 86_400_000;
/** Lifetime of a generated certificate: 397 days (the longest browsers accept for a server certificate). */
export const SELF_SIGNED_LIFETIME_MS = 397 * DAY;
/** A stored certificate closer than this to its end is replaced. */
const RENEW_BEFORE_MS = 30 * DAY;

function ipBytes(address: string): Buffer | null {
  const w = new Uint32Array(4);
  const fam = parseIpInto(address, w);
  if (fam === 4) return Buffer.from([w[0]! >>> 24, (w[0]! >>> 16) & 255, (w[0]! >>> 8) & 255, w[0]! & 255]);
  if (fam === 6) {
    const b = Buffer.alloc(16);
    for (let i = 0; i < 4; i++) b.writeUInt32BE(w[i]!, i * 4);
    return b;
  }
  return null;
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [boolTrue()] : []), octets(value));
}

/** Builds a self-signed certificate for the subject, valid from `nowMs` (minus an hour of clock skew). */
export function generateSelfSigned(subject: SelfSignedSubject, nowMs: number): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), utf8('Bulwark admin (self-signed)'))));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  const altNames = [
    ...subject.names.map((n) => implicit(2, Buffer.from(n, 'ascii'))),
    ...subject.addresses.flatMap((a) => {
      const b = ipBytes(a);
      return b === null ? [] : [implicit(7, b)];
    }),
  ];
  const extensions = seq(
    extension('2.5.29.19', true, seq()), // basicConstraints: not a CA
    extension('2.5.29.15', true, bits(Buffer.from([0x80]))), // keyUsage: digitalSignature
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))), // extKeyUsage: serverAuth
    extension('2.5.29.17', false, seq(...altNames)), // subjectAltName
  );
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    ecdsaSha256,
    name,
    seq(time(nowMs - 3_600_000), time(nowMs + SELF_SIGNED_LIFETIME_MS)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, ecdsaSha256, bits(signature));
  const cert = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').trimEnd()}\n-----END CERTIFICATE-----\n`;
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

/** True when a stored certificate still serves: names everything it must and is not about to expire. */
function stillGood(x: X509Certificate, subject: SelfSignedSubject, nowMs: number): boolean {
  if (Date.parse(x.validTo) - nowMs < RENEW_BEFORE_MS || Date.parse(x.validFrom) > nowMs) return false;
  return subject.addresses.every((a) => x.checkIP(a) !== undefined) && subject.names.every((n) => x.checkHost(n) !== undefined);
}

/**
 * The admin listener's self-signed certificate from `<stateDir>/admin-tls/`: the stored one while it
 * serves, else a new one (written with the key at mode 0600).
 */
export function loadOrCreateSelfSigned(stateDir: string, subject: SelfSignedSubject, nowMs: number = Date.now()): AdminCertificate {
  const dir = join(stateDir, 'admin-tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile, 'utf8');
    const key = readFileSync(keyFile, 'utf8');
    try {
      const x = new X509Certificate(cert);
      if (stillGood(x, subject, nowMs)) return { cert, key, fingerprint256: x.fingerprint256, validToMs: Date.parse(x.validTo), generated: false };
    } catch {
      // unreadable: replaced below
    }
  }
  const made = generateSelfSigned(subject, nowMs);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, made.key, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, made.cert, { mode: 0o644 });
  const x = new X509Certificate(made.cert);
  return { ...made, fingerprint256: x.fingerprint256, validToMs: Date.parse(x.validTo), generated: true };
}
