/**
 * Slow clients and connection caps: slowloris sockets are closed on time while a
 * normal client still gets through, slow POST bodies are cut off, and connections beyond the per-client
 * cap are closed at accept.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Agent, request } from 'undici';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

let origin: SimpleOrigin;
let b: TestBulwark;

before(async () => {
  origin = await startSimpleOrigin((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  b = await startBulwark({
    origin: origin.url,
    connections: { header_timeout: '1s', request_timeout: '3s', min_body_rate: 1000, body_rate_grace: '1s', max_connections_per_client: 20 },
  });
});
after(async () => {
  await b.stop();
  await origin.close();
});

/** Opens a socket from `localAddress` that dribbles a request head one byte every `everyMs`. */
function slowloris(localAddress: string, everyMs: number): Promise<number> {
  return new Promise((resolve) => {
    const started = Date.now();
    const head = 'GET / HTTP/1.1\r\nHost: site.test\r\nX-Slow: ' + 'a'.repeat(1000);
    let i = 0;
    const socket = net.connect({ port: b.port, host: '127.0.0.1', localAddress });
    const timer = setInterval(() => {
      if (i < head.length && socket.writable) socket.write(head[i++]!);
    }, everyMs);
    const done = () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    };
    socket.on('close', done);
    socket.on('error', () => {});
    setTimeout(() => socket.destroy(), 15_000).unref(); // the test's own bound
  });
}

test('500 slowloris sockets are closed on time and a normal client still gets through', async () => {
  const lifetimes: Promise<number>[] = [];
  for (let i = 0; i < 500; i++) lifetimes.push(slowloris(`127.0.${10 + Math.floor(i / 10)}.${(i % 10) + 2}`, 100));
  await new Promise((r) => setTimeout(r, 300));
  const res = await request(`${b.url}/normal`, { headers: { host: 'site.test' } });
  assert.equal(await res.body.text(), 'ok');
  const times = await Promise.all(lifetimes);
  const worst = Math.max(...times);
  // header_timeout is 1 s and Node checks every 500 ms; the slack is for a loaded 2-core CI machine.
  // Without the timeouts they would live until our own 15 s bound.
  assert.ok(worst < 8000, `slowest slowloris socket lived ${worst} ms`);
});

test('a silent connection is closed by the header timeout too', async () => {
  const lifetime = await new Promise<number>((resolve) => {
    const t = Date.now();
    const s = net.connect(b.port, '127.0.0.1');
    s.on('close', () => resolve(Date.now() - t));
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 15_000).unref();
  });
  assert.ok(lifetime < 8000, `silent socket lived ${lifetime} ms`);
});

test('a slow POST body is cut off once the grace period has passed', async () => {
  const started = Date.now();
  const closedAfter = await new Promise<number>((resolve) => {
    const s = net.connect({ port: b.port, host: '127.0.0.1', localAddress: '127.0.99.1' }, () => {
      s.write('POST /upload HTTP/1.1\r\nHost: site.test\r\nContent-Length: 100000\r\n\r\n');
    });
    const timer = setInterval(() => s.writable && s.write('x'), 200); // 5 bytes/s, under min_body_rate
    s.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    });
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 15_000).unref();
  });
  assert.ok(closedAfter < 5000, `slow POST lived ${closedAfter} ms`);
});

test('connections beyond max_connections_per_client are closed at accept; other clients are unaffected', async () => {
  const sockets: net.Socket[] = [];
  const closed: boolean[] = [];
  for (let i = 0; i < 30; i++) {
    const s = net.connect({ port: b.port, host: '127.0.0.1', localAddress: '127.0.77.7' });
    const idx = i;
    closed[idx] = false;
    s.on('close', () => (closed[idx] = true));
    s.on('error', () => {});
    sockets.push(s);
    await new Promise((r) => s.once('connect', r));
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(closed.filter(Boolean).length, 10, 'exactly the 10 over the cap of 20 were closed');
  const other = new Agent({ localAddress: '127.0.77.8' });
  const res = await request(`${b.url}/`, { headers: { host: 'site.test' }, dispatcher: other });
  assert.equal(await res.body.text(), 'ok');
  assert.ok(b.bulwark.gate.stats().droppedPerClient >= 10);
  for (const s of sockets) s.destroy();
  await other.close();
});

test('a client that keeps a request open past request_timeout gets 408', async () => {
  const r = await rawExchange(b.port, 'POST / HTTP/1.1\r\nHost: site.test\r\nContent-Length: 10\r\n\r\nabc', { idleMs: 6000, localAddress: '127.0.98.1' });
  assert.ok(r.status === 408 || (r.closed && r.status === 0), `got ${r.text.slice(0, 60)}`);
});

test('idle_timeout: a connection silent both ways (origin not answering) is closed by the idle sweep', async () => {
  // An origin that accepts and never answers: nothing moves on the client connection after the request.
  const held: net.Socket[] = [];
  const silent = net.createServer((s) => held.push(s));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as net.AddressInfo).port;
  const idle = await startBulwark({
    origin: `http://127.0.0.1:${port}`,
    connections: { idle_timeout: '800ms' },
    sites: [{ name: 'silent', hosts: ['*'], origins: [`http://127.0.0.1:${port}`], origin: { headers_timeout: '20s' } }],
  });
  try {
    const started = Date.now();
    const r = await rawExchange(idle.port, 'GET /wait HTTP/1.1\r\nHost: silent.test\r\n\r\n', { localAddress: '127.0.71.1', idleMs: 5000 });
    const took = Date.now() - started;
    assert.equal(r.closed, true, 'Bulwark closed the connection');
    assert.ok(took >= 700 && took < 3500, `closed after ~idle_timeout (+ up to a sweep period), took ${took} ms`);
  } finally {
    await idle.stop();
    for (const s of held) s.destroy();
    silent.close();
  }
});
