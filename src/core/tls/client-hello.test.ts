import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import tls from 'node:tls';
import { ecdsaScheme, readClientHello } from './client-hello.ts';

/** A real ClientHello from node:tls, written into an in-memory stream (no socket, no port). */
function hello(options: tls.ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve) => {
    let bytes = Buffer.alloc(0);
    let client: tls.TLSSocket;
    const wire = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        bytes = Buffer.concat([bytes, chunk]);
        done();
        if (readClientHello(bytes).kind !== 'incomplete') {
          resolve(bytes);
          setImmediate(() => client.destroy());
        }
      },
    });
    client = tls.connect({ socket: wire, rejectUnauthorized: false, ...options });
    client.on('error', () => {});
  });
}

describe('ClientHello', () => {
  it('reads the server name and the signature algorithms of a real ClientHello', async () => {
    const bytes = await hello({ servername: 'Alpha.Test' });
    const r = readClientHello(bytes);
    assert.equal(r.kind, 'hello');
    if (r.kind !== 'hello') return;
    assert.equal(r.info.serverName, 'alpha.test');
    assert.ok(r.info.signatureAlgorithms.includes(0x0403), 'ECDSA P-256 offered');
    assert.ok(r.info.signatureAlgorithms.includes(0x0804), 'RSA-PSS offered');
  });

  it('no SNI: null; a client that limits its algorithms is read as such', async () => {
    const r = readClientHello(await hello({ sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256' }));
    assert.equal(r.kind, 'hello');
    if (r.kind !== 'hello') return;
    assert.equal(r.info.serverName, null);
    assert.deepEqual(r.info.signatureAlgorithms, [0x0804, 0x0401]);
  });

  it('incomplete until every byte of the message arrived, however it is cut', async () => {
    const bytes = await hello({ servername: 'beta.test' });
    for (let cut = 0; cut < bytes.length; cut += 7) assert.equal(readClientHello(bytes.subarray(0, cut)).kind, 'incomplete', `cut at ${cut}`);
    assert.equal(readClientHello(bytes).kind, 'hello');
  });

  it('a ClientHello split over two TLS records is reassembled', async () => {
    const bytes = await hello({ servername: 'split.test' });
    const body = bytes.subarray(5, 5 + bytes.readUInt16BE(3));
    const record = (part: Buffer) => Buffer.concat([Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 0xff]), part]);
    const two = Buffer.concat([record(body.subarray(0, 40)), record(body.subarray(40))]);
    const r = readClientHello(two);
    assert.equal(r.kind === 'hello' ? r.info.serverName : null, 'split.test');
  });

  it('anything else is invalid: plain HTTP, another record type, a truncated extension block', () => {
    assert.equal(readClientHello(Buffer.from('GET / HTTP/1.1\r\n\r\n')).kind, 'invalid');
    assert.equal(readClientHello(Buffer.from([0x17, 0x03, 0x03, 0x00, 0x01, 0x00])).kind, 'invalid');
    const msg = Buffer.concat([Buffer.from([0x03, 0x03]), Buffer.alloc(32), Buffer.from([0, 0, 2, 0x13, 0x01, 1, 0, 0x00, 0x40])]);
    const hs = Buffer.concat([Buffer.from([1, 0, 0, msg.length]), msg]);
    assert.equal(readClientHello(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0, hs.length]), hs])).kind, 'invalid');
  });

  it('maps EC curves to their TLS 1.3 signature schemes', () => {
    assert.equal(ecdsaScheme('prime256v1'), 0x0403);
    assert.equal(ecdsaScheme('secp384r1'), 0x0503);
    assert.equal(ecdsaScheme(undefined), null);
  });
});
