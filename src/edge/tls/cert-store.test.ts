import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Logger } from 'pino';
import type { SiteConfig } from '../../config/schema.ts';
import type { Runtime } from '../../runtime/runtime.ts';
import { loadSiteCertificate, type SiteCertificate } from '../../runtime/site-certificates.ts';
import { certificateCovers, createCertStore, pickContext } from './cert-store.ts';

const dir = fileURLToPath(new URL('../../../test/fixtures/tls/', import.meta.url));
const OPTIONS = { minVersion: 'TLSv1.2', tickets: true, sessionTimeoutS: 3600 } as const;
const DAY = 86_400_000;

function site(name: string, hosts: string[], files: string[]): SiteConfig {
  const [first, ...rest] = files;
  return { name, hosts, tls: { cert: `${dir}${first}.crt`, key: `${dir}${first}.key`, additional: rest.map((f) => ({ cert: `${dir}${f}.crt`, key: `${dir}${f}.key` })) } } as unknown as SiteConfig;
}

/** A store over a runtime stub with the given sites, a fake clock and a logger that keeps its warnings. */
function store(sites: SiteConfig[], nowMs: () => number) {
  const certs = new Map<string, SiteCertificate>(sites.map((s) => [s.name, loadSiteCertificate(s, OPTIONS)]));
  const runtime = {
    sites: sites.map((s) => ({ name: s.name, config: s, certificate: certs.get(s.name)! })),
    config: { sites, tls: { expiry_warning: 14 * DAY } },
    route: (host: string) => sites.map((s) => ({ name: s.name, config: s })).find((s) => s.config.hosts.some((h) => certificateCovers(h, host))) ?? null,
  } as unknown as Runtime;
  const warnings: Record<string, unknown>[] = [];
  const logger = { warn: (o: Record<string, unknown>) => warnings.push(o), info: () => {} } as unknown as Logger;
  const s = createCertStore({ logger, getRuntime: () => runtime, load: (c) => loadSiteCertificate(c, OPTIONS), onDefault: () => {}, onContexts: () => {}, now: nowMs });
  s.adopt(runtime);
  return { s, warnings, certs };
}

describe('certificate store', () => {
  it('a certificate expiring within expiry_warning is logged once a day and flagged; others are not', () => {
    const alphaEnd = loadSiteCertificate(site('a', ['alpha.test'], ['alpha.test']), OPTIONS).pairs[0]!.notAfterMs;
    let now = alphaEnd - 20 * DAY;
    const { s, warnings } = store([site('alpha', ['alpha.test'], ['alpha.test']), site('wild', ['*.wild.test'], ['wild.test'])], () => now);
    assert.equal(warnings.filter((w) => w.code === 'BULWARK_WARN_TLS_EXPIRY').length, 0, '20 days left: nothing');
    now = alphaEnd - 10 * DAY;
    s.checkExpiry();
    s.checkExpiry();
    const expiry = () => warnings.filter((w) => w.code === 'BULWARK_WARN_TLS_EXPIRY');
    assert.equal(expiry().length, 1, 'once');
    assert.deepEqual([expiry()[0]!.site, expiry()[0]!.days_left], ['alpha', 10]);
    now += DAY - 1;
    s.checkExpiry();
    assert.equal(expiry().length, 1, 'not again within the day');
    now += 1;
    s.checkExpiry();
    assert.equal(expiry().length, 2, 'again the next day');
    const view = s.view();
    assert.deepEqual(view.map((v) => [v.site, v.expiring_soon]), [['alpha', true], ['wild', false]]);
  });

  it('site hosts its certificate does not name are logged', () => {
    const { warnings } = store([site('alpha', ['alpha.test', 'other.test'], ['alpha.test'])], () => Date.now());
    assert.deepEqual(warnings.find((w) => w.code === 'BULWARK_WARN_TLS_NAMES')?.hosts, ['other.test']);
  });

  it('picks ECDSA for a client that accepts it, RSA for one that does not or says nothing', () => {
    const cert = loadSiteCertificate(site('alpha', ['alpha.test'], ['alpha.test', 'alpha.test-ecdsa']), OPTIONS);
    const type = (sigalgs: number[] | null) => pickContext(cert.contexts, sigalgs === null ? null : { serverName: 'alpha.test', signatureAlgorithms: sigalgs }).pair.keyType;
    assert.equal(type([0x0403, 0x0804]), 'ec');
    assert.equal(type([0x0804, 0x0401]), 'rsa');
    assert.equal(type(null), 'rsa');
  });

  it('certificate names cover hosts as RFC 6125 wildcards do (one label)', () => {
    const table: [string, string, boolean][] = [
      ['alpha.test', 'alpha.test', true],
      ['*.wild.test', 'a.wild.test', true],
      ['*.wild.test', 'a.b.wild.test', false],
      ['*.wild.test', 'wild.test', false],
      ['*.wild.test', '*.wild.test', true],
      ['alpha.test', 'beta.test', false],
    ];
    for (const [name, host, want] of table) assert.equal(certificateCovers(name, host), want, `${name} ${host}`);
  });
});
