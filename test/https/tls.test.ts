/**
 * TLS on the https listeners over real sockets: SNI for several sites and a wildcard certificate, ECDSA
 * preferred when a site has both key types, a clear error naming the site for a key that does not match
 * its certificate, session resumption (and a rotated ticket key ending it), the handshake cap per
 * address and per prefix at accept, and certificates renewed on disk — by SIGHUP and by the file watch —
 * under load with zero failed requests. Also: a TLS socket that fails at any stage never crashes the
 * process (CVE-2025-59465).
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { validateConfig } from '../../src/config/load.ts';
import { encodeFrame, PREFACE_BYTES } from '../../src/core/http2/frame-encode.ts';
import { FLAG, FRAME } from '../../src/core/http2/frame-scanner.ts';
import { createDerivedTicketKeys } from '../../src/core/tls/ticket-keys.ts';
import { createBulwark } from '../../src/main.ts';
import { createLogger } from '../../src/telemetry/logger.ts';
import { fixtureTls, h1Request, h2Request, h2Session, startHttpsBulwark, TLS_DIR, until, type HttpsBulwark } from '../helpers/https.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

let origin: SimpleOrigin;
before(async () => {
  origin = await startSimpleOrigin((req, res) => res.end(`ok ${req.headers.host}`));
});
after(async () => {
  await origin.close();
});

interface Handshake {
  readonly keyType: string | undefined;
  readonly names: string;
  readonly reused: boolean;
  readonly session: Buffer | undefined;
  readonly alpn: string | false | null;
}

/** One TLS handshake to `port` (no HTTP): what the server presented. */
function handshake(port: number, o: { servername?: string; session?: Buffer; sigalgs?: string; localAddress?: string; alpn?: string[] } = {}): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const tcp = net.connect({ host: '127.0.0.1', port, localAddress: o.localAddress });
    tcp.on('error', () => {});
    const s = tls.connect({ socket: tcp, servername: o.servername, session: o.session, sigalgs: o.sigalgs, ALPNProtocols: o.alpn, rejectUnauthorized: false });
    let session: Buffer | undefined;
    s.on('session', (x: Buffer) => (session = x));
    s.once('secureConnect', () => {
      const cert = s.getPeerX509Certificate();
      const result = { keyType: cert?.publicKey.asymmetricKeyType, names: cert?.subjectAltName ?? '', reused: s.isSessionReused(), alpn: s.alpnProtocol };
      // TLS 1.3 tickets arrive after the handshake.
      setTimeout(() => {
        s.end();
        resolve({ ...result, session });
      }, 30);
    });
    s.once('error', reject);
  });
}

describe('certificates', () => {
  let b: HttpsBulwark;
  before(async () => {
    b = await startHttpsBulwark({
      origin: origin.url,
      sites: [
        { name: 'alpha', hosts: ['alpha.test'], origins: [origin.url], tls: fixtureTls('alpha.test', { additional: [{ cert: `${TLS_DIR}alpha.test-ecdsa.crt`, key: `${TLS_DIR}alpha.test-ecdsa.key` }] }) },
        { name: 'beta', hosts: ['beta.test'], origins: [origin.url], tls: fixtureTls('beta.test') },
        { name: 'wild', hosts: ['*.wild.test', 'wild.test'], origins: [origin.url], tls: fixtureTls('wild.test') },
      ],
    });
  });
  after(() => b.stop());

  it('SNI picks each site\'s certificate; a wildcard certificate serves its names; no SNI gets the first site\'s', async () => {
    assert.match((await handshake(b.httpsPort, { servername: 'beta.test' })).names, /DNS:beta\.test/);
    assert.match((await handshake(b.httpsPort, { servername: 'news.wild.test' })).names, /DNS:\*\.wild\.test/);
    assert.match((await handshake(b.httpsPort, { servername: 'wild.test' })).names, /DNS:\*\.wild\.test/);
    assert.match((await handshake(b.httpsPort, {})).names, /DNS:alpha\.test/);
    const session = await h2Session(b.httpsPort, '127.0.0.1', 'x.wild.test');
    const a = await h2Request(session, { path: '/' }, 'x.wild.test');
    session.close();
    assert.equal(a.body, 'ok x.wild.test');
  });

  it('ECDSA is preferred when a site has both; a client that only accepts RSA gets RSA', async () => {
    const both = await handshake(b.httpsPort, { servername: 'alpha.test' });
    assert.deepEqual([both.keyType, both.names], ['ec', 'DNS:alpha.test']);
    const rsaOnly = await handshake(b.httpsPort, { servername: 'alpha.test', sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256' });
    assert.deepEqual([rsaOnly.keyType, rsaOnly.names], ['rsa', 'DNS:alpha.test']);
    // A site with RSA only never lends another site's ECDSA certificate (node:tls's SNI swap would).
    const beta = await handshake(b.httpsPort, { servername: 'beta.test' });
    assert.deepEqual([beta.keyType, beta.names], ['rsa', 'DNS:beta.test']);
  });

  it('ALPN: h2 when offered, http/1.1 otherwise, on the same port', async () => {
    assert.equal((await handshake(b.httpsPort, { servername: 'alpha.test', alpn: ['h2', 'http/1.1'] })).alpn, 'h2');
    assert.equal((await handshake(b.httpsPort, { servername: 'alpha.test', alpn: ['http/1.1'] })).alpn, 'http/1.1');
    assert.equal((await handshake(b.httpsPort, { servername: 'alpha.test' })).alpn, false);
  });

  it('/stats lists each certificate with its key type, names and expiry', () => {
    const certs = (b.httpsStats() as unknown as { certificates: { site: string; key_type: string; names: string[]; days_left: number; expiring_soon: boolean }[] }).certificates;
    assert.deepEqual(certs.map((c) => `${c.site}:${c.key_type}`).sort(), ['alpha:ec', 'alpha:rsa', 'beta:rsa', 'wild:ec']);
    assert.ok(certs.every((c) => c.days_left > 30_000 && !c.expiring_soon));
  });
});

describe('a key that does not match its certificate', () => {
  it('refuses the config with an error naming the site and both files', () => {
    const config = validateConfig({
      listen: { http: [], https: ['127.0.0.1:0'] },
      state_dir: mkdtempSync(join(tmpdir(), 'bulwark-tls-')),
      log: { level: 'silent' },
      sites: [{ name: 'shop', hosts: ['shop.test'], origins: [origin.url], tls: { cert: `${TLS_DIR}alpha.test.crt`, key: `${TLS_DIR}beta.test.key` } }],
    });
    assert.throws(
      () => createBulwark({ config, logger: createLogger('silent') }),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'BULWARK_ERR_CONFIG_INVALID');
        assert.match(err.message, /sites\[0\]\.tls: site "shop": the private key in .*beta\.test\.key does not match the certificate in .*alpha\.test\.crt \(BULWARK_ERR_TLS_KEY_MISMATCH\)/);
        return true;
      },
    );
  });
});

describe('session resumption', () => {
  let b: HttpsBulwark;
  let generation = 1;
  before(async () => {
    // A key source the test turns: the schedule checks it every second (a period of 1 s).
    b = await startHttpsBulwark({
      origin: origin.url,
      ticketKeys: { periodMs: 1000, keyAt: () => ({ epoch: generation, key: Buffer.alloc(48, generation) }) },
    });
  });
  after(() => b.stop());

  it('a returning client resumes its session; /stats counts full and resumed handshakes', async () => {
    const first = await handshake(b.httpsPort, { servername: 'alpha.test' });
    assert.equal(first.reused, false);
    assert.ok(first.session, 'a session ticket was issued');
    const second = await handshake(b.httpsPort, { servername: 'alpha.test', session: first.session });
    assert.equal(second.reused, true);
    const hs = b.httpsStats().handshakes;
    assert.ok(hs.resumed! >= 1 && hs.full! >= 1, JSON.stringify(hs));
  });

  it('when the ticket key rotates, older tickets no longer resume (one full handshake, then a new ticket)', async () => {
    const first = await handshake(b.httpsPort, { servername: 'alpha.test' });
    assert.equal((await handshake(b.httpsPort, { servername: 'alpha.test', session: first.session })).reused, true);
    generation = 2;
    assert.ok(await until(() => (b.httpsStats() as unknown as { tickets: { epoch: number; rotations: number } }).tickets.epoch === 2, 3000), 'the new key is applied');
    const again = await handshake(b.httpsPort, { servername: 'alpha.test', session: first.session });
    assert.equal(again.reused, false);
    assert.equal((await handshake(b.httpsPort, { servername: 'alpha.test', session: again.session })).reused, true);
  });

  it('without SNI, and across sites, resumption works too', async () => {
    const first = await handshake(b.httpsPort, {});
    assert.equal((await handshake(b.httpsPort, { session: first.session })).reused, true);
  });
});

describe('session resumption across processes sharing a secret (workers, nodes)', () => {
  it('a ticket from one Bulwark resumes on another with ticket keys derived from the same secret', async () => {
    const secret = Buffer.alloc(32, 9);
    const keys = () => createDerivedTicketKeys(3_600_000, secret);
    const one = await startHttpsBulwark({ origin: origin.url, ticketKeys: keys() });
    const two = await startHttpsBulwark({ origin: origin.url, ticketKeys: keys() });
    const other = await startHttpsBulwark({ origin: origin.url, ticketKeys: createDerivedTicketKeys(3_600_000, Buffer.alloc(32, 1)) });
    try {
      const first = await handshake(one.httpsPort, { servername: 'alpha.test' });
      assert.equal((await handshake(two.httpsPort, { servername: 'alpha.test', session: first.session })).reused, true);
      assert.equal((await handshake(other.httpsPort, { servername: 'alpha.test', session: first.session })).reused, false);
    } finally {
      await Promise.all([one.stop(), two.stop(), other.stop()]);
    }
  });
});

function findHttpsServer(b: HttpsBulwark): tls.Server | null {
  return b.bulwark.httpsEdge()?.tlsServer() ?? null;
}

describe('the TLS handshake cap', () => {
  let b: HttpsBulwark;
  before(async () => {
    b = await startHttpsBulwark({ origin: origin.url, tls: { handshakes: { per_address: { rate: 1, burst: 5 }, per_prefix: { rate: 1, burst: 8 } } } });
  });
  after(() => b.stop());

  it('refuses new handshakes over the per-address burst at accept, before any TLS work', async () => {
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await handshake(b.httpsPort, { servername: 'alpha.test', localAddress: '127.0.31.1' }).then(() => 'ok', () => 'refused'));
    assert.deepEqual(results, ['ok', 'ok', 'ok', 'ok', 'ok', 'refused', 'refused', 'refused']);
    assert.ok(b.httpsStats().handshakes.refused_address! >= 3);
  });

  it('counts a prefix together: addresses of one /24 share its burst', async () => {
    const results = [];
    for (let i = 1; i <= 10; i++) results.push(await handshake(b.httpsPort, { servername: 'alpha.test', localAddress: `127.0.32.${i}` }).then(() => 'ok', () => 'refused'));
    assert.equal(results.filter((r) => r === 'ok').length, 8);
    assert.ok(b.httpsStats().handshakes.refused_prefix! >= 2);
    // Another prefix is untouched.
    assert.equal((await handshake(b.httpsPort, { servername: 'alpha.test', localAddress: '127.0.33.1' })).alpn, false);
  });

  it('refusals count toward the client\'s escalation', () => {
    const standing = b.bulwark.runtime().services.policy.escalation!.standing('address', '127.0.31.1', Date.now());
    assert.ok(standing.strikes > 0 || standing.level > 0, JSON.stringify(standing));
  });
});

describe('certificate renewal under load', () => {
  let b: HttpsBulwark;
  let dir: string;
  let failures = 0;
  let served = 0;
  let stop = false;
  let load: Promise<void>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-certs-'));
    copyFileSync(`${TLS_DIR}alpha.test.crt`, join(dir, 'site.crt'));
    copyFileSync(`${TLS_DIR}alpha.test.key`, join(dir, 'site.key'));
    b = await startHttpsBulwark({
      origin: origin.url,
      tls: { cert_check_interval: '200ms', handshakes: { per_address: null, per_prefix: null } },
      sites: [{ name: 'alpha', hosts: ['alpha.test'], origins: [origin.url], tls: { cert: join(dir, 'site.crt'), key: join(dir, 'site.key') } }],
    });
    // Load: new HTTP/1.1 and HTTP/2 connections (new handshakes) and requests on a kept HTTP/2 connection.
    const kept = await h2Session(b.httpsPort);
    const one = async (i: number) => {
      try {
        const a = i % 3 === 0 ? await h2Request(kept, { path: `/k${i}` }) : i % 3 === 1 ? await h1Request(b.httpsPort, { path: `/n${i}` }) : await (async () => {
          const s = await h2Session(b.httpsPort);
          const r = await h2Request(s, { path: `/s${i}` });
          s.close();
          return r;
        })();
        if (a.status === 200) served++;
        else failures++;
      } catch {
        failures++;
      }
    };
    load = (async () => {
      for (let i = 0; !stop && i < 20_000; i++) await Promise.all([one(3 * i), one(3 * i + 1), one(3 * i + 2)]);
      kept.close();
    })();
  });
  after(async () => {
    stop = true;
    await load;
    await b.stop();
  });

  it('a renewal written to disk is picked up by the file watch: new handshakes get it, no request fails', async () => {
    assert.equal((await handshake(b.httpsPort, { servername: 'alpha.test' })).keyType, 'rsa');
    const before = served;
    copyFileSync(`${TLS_DIR}alpha.test-ecdsa.key`, join(dir, 'site.key'));
    copyFileSync(`${TLS_DIR}alpha.test-ecdsa.crt`, join(dir, 'site.crt'));
    assert.ok(await until(async_(() => handshake(b.httpsPort, { servername: 'alpha.test' }).then((h) => h.keyType === 'ec')), 5000), 'the new certificate is presented');
    assert.ok(await until(() => served > before + 50, 10_000), 'load went on');
    assert.equal(failures, 0);
  });

  it('SIGHUP (a reload) re-reads the files: the renewed RSA certificate replaces it, no request fails', async () => {
    copyFileSync(`${TLS_DIR}alpha.test-renewed.key`, join(dir, 'site.key'));
    copyFileSync(`${TLS_DIR}alpha.test-renewed.crt`, join(dir, 'site.crt'));
    const before = served;
    b.bulwark.reload(b.config);
    const h = await handshake(b.httpsPort, { servername: 'alpha.test' });
    assert.equal(h.keyType, 'rsa');
    const certs = (b.httpsStats() as unknown as { certificates: { key_type: string }[] }).certificates;
    assert.deepEqual(certs.map((c) => c.key_type), ['rsa']);
    assert.ok(await until(() => served > before + 50, 10_000));
    assert.equal(failures, 0);
  });

  it('a half-written renewal (key of another certificate) keeps the current certificate and is logged', async () => {
    const reloads = (b.httpsStats() as unknown as { certificate_reloads: { failed: number } }).certificate_reloads.failed;
    copyFileSync(`${TLS_DIR}beta.test.key`, join(dir, 'site.key'));
    assert.ok(await until(() => (b.httpsStats() as unknown as { certificate_reloads: { failed: number } }).certificate_reloads.failed > reloads, 5000));
    assert.match((await handshake(b.httpsPort, { servername: 'alpha.test' })).names, /alpha\.test/);
    assert.equal(failures, 0);
  });
});

/** `until` for an asynchronous check: polls `check` until it resolves true. */
function async_(check: () => Promise<boolean>): () => boolean {
  let last = false;
  let running = false;
  return () => {
    if (!running) {
      running = true;
      void check().then((v) => {
        last = v;
        running = false;
      }, () => {
        running = false;
      });
    }
    return last;
  };
}

describe('CVE-2025-59465: a TLS socket that fails never crashes the process', () => {
  let b: HttpsBulwark;
  before(async () => {
    b = await startHttpsBulwark({ origin: origin.url });
  });
  after(() => b.stop());

  /** A TLS connection whose TCP socket we keep, to break it at will. */
  function open(alpn: string[]): Promise<{ tcp: net.Socket; tls: tls.TLSSocket }> {
    return new Promise((resolve, reject) => {
      const tcp = net.connect({ host: '127.0.0.1', port: b.httpsPort });
      tcp.on('error', () => {});
      const s = tls.connect({ socket: tcp, servername: 'alpha.test', ALPNProtocols: alpn, rejectUnauthorized: false }, () => resolve({ tcp, tls: s }));
      s.on('error', () => {});
      s.once('error', reject);
    });
  }

  it('every TLS socket handed to HTTP/2 has an error listener before anything can fail on it', async () => {
    const counts: number[] = [];
    const server = findHttpsServer(b)!;
    const probe = (s: tls.TLSSocket) => counts.push(s.listenerCount('error'));
    server.on('secureConnection', probe);
    const c = await open(['h2']);
    assert.ok(await until(() => counts.length > 0));
    server.off('secureConnection', probe);
    c.tls.destroy();
    assert.ok(counts.every((n) => n >= 1), `error listeners: ${counts.join(',')}`);
  });

  const breaks: [name: string, alpn: string[], act: (c: { tcp: net.Socket; tls: tls.TLSSocket }) => void][] = [
    ['garbage TLS records after an HTTP/2 handshake', ['h2'], (c) => c.tcp.write(Buffer.alloc(64, 0x17))],
    ['garbage TLS records after an HTTP/1.1 handshake', ['http/1.1'], (c) => c.tcp.write(Buffer.alloc(64, 0x17))],
    ['invalid HPACK, then a TCP reset', ['h2'], (c) => {
      c.tls.write(Buffer.concat([PREFACE_BYTES, encodeFrame(FRAME.SETTINGS, 0, 0), encodeFrame(FRAME.HEADERS, FLAG.END_HEADERS | FLAG.END_STREAM, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]))]));
      setImmediate(() => c.tcp.resetAndDestroy());
    }],
    ['a TCP reset in the middle of an HTTP/2 session', ['h2'], (c) => {
      c.tls.write(Buffer.concat([PREFACE_BYTES, encodeFrame(FRAME.SETTINGS, 0, 0)]));
      setTimeout(() => c.tcp.resetAndDestroy(), 20);
    }],
    ['a TCP reset right after the handshake', ['h2'], (c) => c.tcp.resetAndDestroy()],
  ];
  for (const [name, alpn, act] of breaks) {
    it(`${name}: the process goes on serving`, async () => {
      const c = await open(alpn);
      act(c);
      await new Promise((r) => setTimeout(r, 100));
      c.tls.destroy();
      const s = await h2Session(b.httpsPort);
      assert.equal((await h2Request(s, { path: '/' })).status, 200);
      s.close();
    });
  }

  it('a TCP reset in the middle of the TLS handshake', async () => {
    const tcp = net.connect({ host: '127.0.0.1', port: b.httpsPort });
    tcp.on('error', () => {});
    await new Promise((r) => tcp.once('connect', r));
    tcp.write(Buffer.from('160301', 'hex'));
    await new Promise((r) => setTimeout(r, 20));
    tcp.resetAndDestroy();
    assert.equal((await h1Request(b.httpsPort, { path: '/' })).status, 200);
  });
});
