import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startOriginFixture } from './origin-fixture.ts';
import { createSourcePool, sourceAddress } from './source-pool.ts';
import { connectWebSocket } from './websocket-client.ts';
import { OPCODE } from './websocket-codec.ts';
import { exchangeRaw } from './raw-client.ts';
import type { EchoAnswer } from './origin-fixture-routes.ts';
import { classifyByRole } from './origin-fixture-counters.ts';

test('capacity: 200 concurrent requests against capacity 50 → 50 admitted at once, 150 refused with 503', async () => {
  const fixture = await startOriginFixture({ capacity: 50, latencyMs: 300 });
  const pool = createSourcePool({ maxAgents: 256 });
  try {
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await request(`${fixture.url}/page`, { dispatcher: pool.agentFor(sourceAddress(i)) });
        await res.body.dump();
        return res.statusCode;
      }),
    );
    const ok = statuses.filter((s) => s === 200).length;
    const refused = statuses.filter((s) => s === 503).length;
    const stats = fixture.stats();
    assert.equal(ok + refused, 200);
    assert.equal(stats.overCapacity, refused);
    assert.ok(ok >= 50, `at least capacity served, got ${ok}`);
    assert.ok(refused > 0, 'some requests were over capacity');
    assert.equal(stats.peakConcurrency, 51, 'peak counts the first refused arrival, and never more');
    assert.equal(stats.concurrent, 0);
    assert.equal(stats.requests, 200);
    assert.equal(stats.byStatus['503'], refused);
    assert.equal(stats.distinctSources, 200);
    assert.ok(stats.peakRps >= 100, `peakRps ${stats.peakRps} (200 requests over at most two seconds)`);
  } finally {
    await pool.destroy();
    await fixture.stop();
  }
});

test('capacity not exceeded: 200 concurrent under capacity 500 → peak 200, no 503', async () => {
  const fixture = await startOriginFixture({ capacity: 500, latencyMs: 200 });
  const pool = createSourcePool();
  try {
    await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const res = await request(`${fixture.url}/x`, { dispatcher: pool.agentFor(sourceAddress(i, { spread: 'many_24' })) });
        await res.body.dump();
      }),
    );
    const stats = fixture.stats();
    assert.equal(stats.peakConcurrency, 200);
    assert.equal(stats.overCapacity, 0);
  } finally {
    await pool.destroy();
    await fixture.stop();
  }
});

test('latency per path, runtime changes, per-path headers and unknown-path status', async () => {
  const fixture = await startOriginFixture({
    latencyMs: (path) => (path === '/search' ? 150 : 0),
    paths: {
      '/cached': { cacheControl: 'public, max-age=60', vary: 'Accept-Encoding' },
      '/login': { setCookie: ['sid=abc; HttpOnly', 'theme=dark'] },
      '/assets/*': { cacheControl: 'public, max-age=3600' },
    },
    unknownPathStatus: 404,
  });
  try {
    const t0 = performance.now();
    await (await request(`${fixture.url}/search?q=1`)).body.dump();
    assert.ok(performance.now() - t0 >= 140, 'search is slow');
    const cached = await request(`${fixture.url}/cached`);
    assert.equal(cached.headers['cache-control'], 'public, max-age=60');
    assert.equal(cached.headers.vary, 'Accept-Encoding');
    assert.equal((await cached.body.text()).length, 2048);
    const login = await request(`${fixture.url}/login`);
    assert.deepEqual(login.headers['set-cookie'], ['sid=abc; HttpOnly', 'theme=dark']);
    await login.body.dump();
    const css = await request(`${fixture.url}/assets/site.css`);
    assert.equal(css.headers['content-type'], 'text/css');
    assert.equal(css.headers['cache-control'], 'public, max-age=3600');
    await css.body.dump();
    const missing = await request(`${fixture.url}/nope-${Math.random()}`);
    assert.equal(missing.statusCode, 404);
    await missing.body.dump();
    fixture.setBodyBytes(10);
    fixture.setPath('/cached', { status: 201, bodyBytes: 3 });
    const changed = await request(`${fixture.url}/cached`);
    assert.equal(changed.statusCode, 201);
    assert.equal((await changed.body.text()).length, 3);
  } finally {
    await fixture.stop();
  }
});

test('failure modes: error_500, reset, hang, slow_body', async () => {
  const fixture = await startOriginFixture({ bodyBytes: 64, slowBody: { chunkBytes: 16, intervalMs: 30 } });
  try {
    fixture.setFailure('error_500');
    const r500 = await request(`${fixture.url}/`);
    assert.equal(r500.statusCode, 500);
    await r500.body.dump();

    fixture.setFailure('reset');
    const reset = await exchangeRaw({ host: fixture.host, port: fixture.port, payload: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' });
    assert.equal(reset.status, undefined);
    assert.ok(reset.closedByServer && reset.reset, 'connection reset');

    fixture.setFailure('hang');
    const hang = await exchangeRaw({ host: fixture.host, port: fixture.port, payload: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', readTimeoutMs: 300 });
    assert.ok(hang.timedOut && hang.bytes.length === 0, 'no answer');

    fixture.setFailure('slow_body');
    const t0 = performance.now();
    const slow = await request(`${fixture.url}/`);
    assert.equal(slow.statusCode, 200);
    assert.equal((await slow.body.arrayBuffer()).byteLength, 64);
    assert.ok(performance.now() - t0 >= 90, 'four chunks 30 ms apart');

    fixture.setFailure('none');
    fixture.setPath('/only-this', { failure: 'error_500' });
    assert.equal((await request(`${fixture.url}/only-this`)).statusCode, 500);
    const fine = await request(`${fixture.url}/other`);
    assert.equal(fine.statusCode, 200);
    await fine.body.dump();
    const stats = fixture.stats();
    assert.equal(stats.failuresInjected.error_500, 2);
    assert.equal(stats.failuresInjected.reset, 1);
    assert.equal(stats.failuresInjected.hang, 1);
    assert.equal(stats.byStatus.reset, 1);
    assert.equal(stats.byStatus.hang, 1);
  } finally {
    await fixture.stop();
  }
});

test('/echo returns method, path, headers in order, and the client address; X-Forwarded-For and X-Request-Id are recorded', async () => {
  const fixture = await startOriginFixture();
  const pool = createSourcePool();
  try {
    const res = await request(`${fixture.url}/echo?a=1`, {
      method: 'POST',
      dispatcher: pool.agentFor('127.42.43.44'),
      headers: [['x-forwarded-for', '203.0.113.9, 127.9.9.9'], ['X-Request-Id', 'rid-1'], ['x-b', '2'], ['x-a', '1']].flat(),
      body: 'hello',
    });
    const echo = (await res.body.json()) as EchoAnswer;
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, '/echo?a=1');
    assert.equal(echo.path, '/echo');
    assert.equal(echo.clientAddress, '127.42.43.44');
    assert.equal(echo.effectiveSource, '127.9.9.9');
    assert.equal(echo.body, 'hello');
    const names = echo.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    assert.ok(names.indexOf('x-b') < names.indexOf('x-a'), 'wire order kept');
    const stats = fixture.stats();
    assert.deepEqual(stats.seen.forwardedFor, ['203.0.113.9, 127.9.9.9']);
    assert.deepEqual(stats.seen.requestIds, ['rid-1']);
    assert.equal(stats.bySource['127.9.9.9'], 1);
  } finally {
    await pool.destroy();
    await fixture.stop();
  }
});

test('kill() drops connections and refuses new ones; revive() serves again on the same port', async () => {
  const fixture = await startOriginFixture({ failure: 'hang' });
  try {
    const hung = exchangeRaw({ host: fixture.host, port: fixture.port, payload: 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', readTimeoutMs: 5000 });
    await waitFor(() => fixture.stats().concurrent === 1);
    await fixture.kill();
    const answer = await hung;
    assert.ok(answer.closedByServer, 'in-flight connection closed by kill');
    assert.equal(fixture.openSockets(), 0);
    const refused = await exchangeRaw({ host: fixture.host, port: fixture.port, payload: 'GET / HTTP/1.1\r\n\r\n' });
    assert.match(refused.connectError ?? '', /ECONNREFUSED/);
    await assert.rejects(fixture.kill(), { code: 'BULWARK_ERR_DRILL_FIXTURE_STATE' });
    fixture.setFailure('none');
    await fixture.revive();
    const res = await request(`${fixture.url}/back`);
    assert.equal(res.statusCode, 200);
    await res.body.dump();
  } finally {
    await fixture.stop();
    await fixture.stop();
  }
});

test('WebSocket echo: text, binary, fragmented, ping, close', async () => {
  const fixture = await startOriginFixture();
  try {
    const ws = await connectWebSocket(`ws://127.0.0.1:${fixture.port}/ws`, { localAddress: '127.7.7.7' });
    ws.send('hello');
    const text = await ws.nextFrame();
    assert.equal(text.opcode, OPCODE.text);
    assert.equal(text.payload.toString(), 'hello');
    const big = Buffer.alloc(70_000, 7);
    ws.send(big);
    assert.deepEqual((await ws.nextFrame()).payload, big);
    ws.send('frag-', { fin: false, opcode: OPCODE.text });
    ws.send('ment', { fin: true, opcode: OPCODE.continuation });
    const [a, b] = [await ws.nextFrame(), await ws.nextFrame()];
    assert.equal(a.fin, false);
    assert.equal(a.payload.toString() + b.payload.toString(), 'frag-ment');
    ws.send(Buffer.from('p'), { opcode: OPCODE.ping });
    assert.equal((await ws.nextFrame()).opcode, OPCODE.pong);
    ws.send(Buffer.from([0x03, 0xe8]), { opcode: OPCODE.close });
    const close = await ws.nextFrame();
    assert.equal(close.opcode, OPCODE.close);
    assert.equal(close.payload.readUInt16BE(0), 1000);
    await ws.close();
    const stats = fixture.stats();
    assert.equal(stats.websocketUpgrades, 1);
    assert.equal(stats.websocketFrames, 4);
    assert.equal(stats.bySource['127.7.7.7'], 1);
  } finally {
    await fixture.stop();
  }
});

test('WebSocket handshake without a valid key is refused with 400', async () => {
  const fixture = await startOriginFixture();
  try {
    const answer = await exchangeRaw({
      host: fixture.host,
      port: fixture.port,
      payload: 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n',
    });
    assert.equal(answer.status, 400);
  } finally {
    await fixture.stop();
  }
});

test('per-path and per-source tables are capped and overflow into "other"', async () => {
  const fixture = await startOriginFixture({ maxTrackedKeys: 5 });
  try {
    for (let i = 0; i < 12; i++) await (await request(`${fixture.url}/p${i}`)).body.dump();
    const stats = fixture.stats();
    assert.equal(stats.fill.byPath.keys, 6);
    assert.equal(stats.fill.byPath.overflowed, true);
    assert.equal(stats.byPath.other, 7);
    assert.equal(stats.requests, 12);
  } finally {
    await fixture.stop();
  }
});

async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('classify labels requests by source, and the per-second series follows the injected clock', async () => {
  let now = 1_900_000_000_000;
  const fixture = await startOriginFixture({
    now: () => now,
    classify: classifyByRole,
  });
  const pool = createSourcePool();
  try {
    for (const [address, times] of [['127.1.0.1', 3], ['127.250.0.1', 2]] as const) {
      for (let i = 0; i < times; i++) await (await request(`${fixture.url}/`, { dispatcher: pool.agentFor(address) })).body.dump();
    }
    now += 1000;
    await (await request(`${fixture.url}/`)).body.dump();
    const stats = fixture.stats();
    assert.deepEqual(stats.byClass, { attack: 3, visitor: 2, other: 1 });
    assert.equal(stats.peakRps, 5);
    assert.equal(stats.bySource['127.0.0.1'], 1);
    assert.deepEqual(fixture.rateSeries().slice(-2).map((p) => p.count), [5, 1]);
    fixture.resetStats();
    assert.equal(fixture.stats().requests, 0);
  } finally {
    await pool.destroy();
    await fixture.stop();
  }
});
