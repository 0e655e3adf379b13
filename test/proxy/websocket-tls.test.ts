/**
 * WebSocket upgrades pass through (echo over the tunnel), TLS with two sites
 * chosen by SNI, and an IPv6 listener.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';

const tlsDir = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));
let wsOrigin: http.Server;
let wsPort: number;
let b: TestBulwark;
let originSaw: http.IncomingHttpHeaders | null = null;

before(async () => {
  // A minimal upgrade-capable origin: answers the WebSocket handshake, then echoes raw bytes back.
  wsOrigin = http.createServer((req, res) => res.end(`plain:${req.headers.host}`));
  wsOrigin.on('upgrade', (req, socket) => {
    originSaw = req.headers;
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on('data', (d: Buffer) => socket.write(d));
  });
  await new Promise<void>((r) => wsOrigin.listen(0, '127.0.0.1', () => r()));
  wsPort = (wsOrigin.address() as net.AddressInfo).port;
  const origin = `http://127.0.0.1:${wsPort}`;
  b = await startBulwark({
    listen: { http: ['127.0.0.1:0', '[::1]:0'], https: ['127.0.0.1:0'] },
    sites: [
      { name: 'alpha', hosts: ['alpha.test'], origins: [origin], tls: { cert: `${tlsDir}alpha.test.crt`, key: `${tlsDir}alpha.test.key` } },
      { name: 'beta', hosts: ['beta.test'], origins: [origin], tls: { cert: `${tlsDir}beta.test.crt`, key: `${tlsDir}beta.test.key` } },
    ],
  });
});
after(async () => {
  await b.stop();
  wsOrigin.closeAllConnections();
  wsOrigin.close();
});

test('a WebSocket upgrade is passed through and bytes echo over the tunnel', async () => {
  const socket = net.connect(b.port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write('GET /ws HTTP/1.1\r\nHost: alpha.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
  let buffer = '';
  await new Promise<void>((resolve) => {
    socket.on('data', function onData(d: Buffer) {
      buffer += d.toString('latin1');
      if (buffer.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve();
      }
    });
  });
  assert.match(buffer, /^HTTP\/1\.1 101 Switching Protocols/);
  assert.match(buffer, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
  assert.match(buffer, /x-request-id: /);
  assert.equal(originSaw?.['x-forwarded-for'], '127.0.0.1');
  assert.equal(originSaw?.upgrade, 'websocket');
  const echoed = await new Promise<string>((resolve) => {
    socket.once('data', (d: Buffer) => resolve(d.toString()));
    socket.write('hello through the tunnel');
  });
  assert.equal(echoed, 'hello through the tunnel');
  socket.destroy();
});

function sniHandshake(servername: string): Promise<{ cn: string; body: string }> {
  const httpsListener = b.bulwark.listeners.find((l) => l.secure)!;
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port: httpsListener.port, host: '127.0.0.1', servername, ca: [readFileSync(`${tlsDir}alpha.test.crt`), readFileSync(`${tlsDir}beta.test.crt`)] }, () => {
      const cn = String(s.getPeerCertificate().subject.CN);
      s.write(`GET / HTTP/1.1\r\nHost: ${servername}\r\nConnection: close\r\n\r\n`);
      let body = '';
      s.on('data', (d: Buffer) => (body += d.toString()));
      s.on('end', () => resolve({ cn, body }));
    });
    s.on('error', reject);
  });
}

test('TLS: each site presents its own certificate by SNI and the request is routed', async () => {
  const alpha = await sniHandshake('alpha.test');
  assert.equal(alpha.cn, 'alpha.test');
  assert.match(alpha.body, /plain:alpha\.test/);
  const beta = await sniHandshake('beta.test');
  assert.equal(beta.cn, 'beta.test');
  assert.match(beta.body, /plain:beta\.test/);
});

test('an IPv6 listener serves', async () => {
  const v6 = b.bulwark.listeners.find((l) => l.host === '::1')!;
  const res = await new Promise<string>((resolve, reject) => {
    http.get({ host: '::1', port: v6.port, path: '/', headers: { host: 'beta.test' } }, (r) => {
      let body = '';
      r.on('data', (d: Buffer) => (body += d.toString()));
      r.on('end', () => resolve(body));
    }).on('error', reject);
  });
  assert.equal(res, 'plain:beta.test');
});
