import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { statSync } from 'node:fs';
import { tempStateDir } from '../../stores/test-support.ts';
import { generateSelfSigned, loadOrCreateSelfSigned } from './self-signed.ts';

const subject = { addresses: ['127.0.0.1', '::1', '192.0.2.7'], names: ['localhost', 'admin.example.org'] };

test('a generated certificate parses, verifies with its own key, and names the addresses and names', () => {
  const now = Date.UTC(2026, 11, 4);
  const { cert, key } = generateSelfSigned(subject, now);
  const x = new X509Certificate(cert);
  assert.equal(x.verify(createPublicKey(createPrivateKey(key))), true, 'self-signed: signature checks with its own key');
  assert.equal(x.ca, false);
  for (const a of subject.addresses) assert.equal(x.checkIP(a), a, a);
  for (const n of subject.names) assert.equal(x.checkHost(n), n, n);
  assert.equal(x.checkIP('192.0.2.8'), undefined);
  assert.equal(x.checkHost('evil.example'), undefined);
  assert.ok(Date.parse(x.validFrom) <= now && Date.parse(x.validTo) > now + 396 * 86_400_000);
  assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extended key usage: serverAuth');
  // A far-future time uses GeneralizedTime and still parses.
  assert.doesNotThrow(() => new X509Certificate(generateSelfSigned(subject, Date.UTC(2049, 6, 1)).cert));
});

test('stored under state_dir/admin-tls: same fingerprint on the next start, renewed when a name is missing or it nears expiry', () => {
  const dir = tempStateDir();
  const now = Date.UTC(2026, 11, 4);
  const a = loadOrCreateSelfSigned(dir, subject, now);
  assert.equal(a.generated, true);
  assert.equal(statSync(`${dir}/admin-tls/key.pem`).mode & 0o777, 0o600);
  const b = loadOrCreateSelfSigned(dir, subject, now + 86_400_000);
  assert.deepEqual([b.generated, b.fingerprint256], [false, a.fingerprint256]);
  const c = loadOrCreateSelfSigned(dir, { ...subject, names: [...subject.names, 'new.example.org'] }, now);
  assert.equal(c.generated, true);
  const d = loadOrCreateSelfSigned(dir, { ...subject, names: [...subject.names, 'new.example.org'] }, now + 380 * 86_400_000);
  assert.equal(d.generated, true, 'renewed within 30 days of its end');
  assert.notEqual(d.fingerprint256, c.fingerprint256);
});
