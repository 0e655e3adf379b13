/**
 * Remote admin: a non-loopback admin listener only with TLS (or an explicit trusted cleartext network)
 * and only once a token exists; over TLS the session cookie is `Secure` with the `__Host-` prefix.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { validateConfig, ConfigError } from '../../src/config/load.ts';
import { createBulwark } from '../../src/main.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { startBulwark, testConfig } from '../helpers/bulwark.ts';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';

const site = [{ name: 'a', hosts: ['*'], origins: ['http://127.0.0.1:9'] }];

test('config: a non-loopback admin listener needs TLS or an explicit trusted cleartext network', () => {
  for (const listen of ['0.0.0.0:9901', '[::]:9901', '192.0.2.1:9901']) {
    assert.throws(
      () => validateConfig({ admin: { listen }, sites: site }, 'test'),
      (e: ConfigError) => e.problems.some((p) => p.path === 'admin.listen' && /admin\.tls/.test(p.message)),
      listen,
    );
    assert.doesNotThrow(() => validateConfig({ admin: { listen, tls: 'self_signed' }, sites: site }, 'test'));
    assert.doesNotThrow(() => validateConfig({ admin: { listen, tls: { cert: 'c.pem', key: 'k.pem' } }, sites: site }, 'test'));
    assert.doesNotThrow(() => validateConfig({ admin: { listen, cleartext_on_trusted_network: true }, sites: site }, 'test'));
  }
  assert.doesNotThrow(() => validateConfig({ admin: { listen: '127.0.0.1:9901' }, sites: site }, 'test'), 'loopback needs nothing more');
});

test('remote admin without any token is refused at start (nobody could log in; the listener would only be a target)', async () => {
  const config = testConfig({ admin: { listen: '0.0.0.0:0', cleartext_on_trusted_network: true } });
  const bulwark = createBulwark({ config, logger: createLogger('silent') });
  await assert.rejects(bulwark.start(), (e: Error & { code?: string; source?: string }) => e.code === 'BULWARK_ERR_ADMIN_NO_TOKENS' && e.source === 'config');
  assert.equal(bulwark.admin, null, 'the admin listener was never bound');
});

function httpsCall(url: string, ca: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const u = new URL(url);
  return new Promise<{ status: number; headers: Record<string, unknown>; text: string; fingerprint: string }>((resolve, reject) => {
    const req = https.request({ host: u.hostname, port: u.port, path, method: init.method ?? 'GET', ca, agent: false, headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers } }, (res) => {
      const fingerprint = (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate()!.fingerprint256;
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, fingerprint }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

test('admin over TLS with a generated self-signed certificate: fingerprint logged and stable, Secure __Host- session cookie, no cleartext', async () => {
  const origin = await startSimpleOrigin();
  const b = await startBulwark({ origin: origin.url, admin: { listen: '127.0.0.1:0', tls: 'self_signed' } });
  try {
    assert.match(b.adminUrl, /^https:\/\//);
    const cert = readFileSync(`${b.stateDir}/admin-tls/cert.pem`, 'utf8');
    const fingerprint = b.bulwark.admin!.fingerprint256!;
    assert.equal(new X509Certificate(cert).fingerprint256, fingerprint);
    const token = b.adminHeaders.authorization!.slice('Bearer '.length);
    const stats = await httpsCall(b.adminUrl, cert, '/stats', { headers: b.adminHeaders });
    assert.equal(stats.status, 200);
    assert.equal(stats.fingerprint, fingerprint, 'the certificate served is the one whose fingerprint was logged');
    const login = await httpsCall(b.adminUrl, cert, '/login', { method: 'POST', body: JSON.stringify({ token }) });
    assert.equal(login.status, 200);
    const setCookie = String(login.headers['set-cookie']);
    assert.match(setCookie, new RegExp(`^__Host-bulwark_admin_${b.bulwark.admin!.port}=`));
    assert.match(setCookie, /; Secure/);
    assert.match(setCookie, /; HttpOnly/);
    assert.match(setCookie, /; SameSite=Strict/);
    // Plain HTTP to the TLS port gets no admin answer.
    const plain = await new Promise<string>((resolve) => {
      const s = net.connect(b.bulwark.admin!.port, '127.0.0.1', () => s.write(`GET /stats HTTP/1.1\r\nHost: ${new URL(b.adminUrl).host}\r\nAuthorization: ${b.adminHeaders.authorization}\r\n\r\n`));
      let got = '';
      s.on('data', (d) => (got += d.toString('latin1')));
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
      setTimeout(() => s.destroy(), 3000).unref();
    });
    assert.doesNotMatch(plain, /"sites"/);
    // The next start reuses the certificate: the pinned fingerprint stays valid.
    const stateDir = b.stateDir;
    await b.stop();
    const again = await startBulwark({ origin: origin.url, state_dir: stateDir, admin: { listen: '127.0.0.1:0', tls: 'self_signed' } });
    assert.equal(again.bulwark.admin!.fingerprint256, fingerprint);
    await again.stop();
  } finally {
    await b.stop();
    await origin.close();
  }
});
