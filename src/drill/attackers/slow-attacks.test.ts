import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { runSlowloris } from './slowloris.ts';
import { runSlowPost } from './slow-post.ts';
import { runSlowRead } from './slow-read.ts';
import { startPlainServer } from '../plain-server.ts';

const strict = { headersTimeout: 800, requestTimeout: 1500, connectionsCheckingInterval: 100 };

test('slowloris: 1000 sockets from 100 sources, all closed by a server with a header timeout; a normal client still gets through', async (t) => {
  const server = await startPlainServer(strict);
  try {
    const attack = runSlowloris({
      target: server.url,
      connections: 1000,
      sources: 100,
      connectRatePerS: 5000,
      tickMs: 100,
      bounds: { maxRequests: 1000, maxDurationMs: 5000, maxSockets: 1000 },
    });
    await new Promise((r) => setTimeout(r, 300));
    const res = await request(`${server.url}/normal`);
    assert.equal(res.statusCode, 200);
    await res.body.dump();
    const result = await attack;
    t.diagnostic(JSON.stringify({ ...result, closesPerSecond: undefined }));
    assert.equal(result.opened, 1000);
    assert.equal(result.closedByServer, 1000);
    assert.equal(result.openAtEnd, 0);
    assert.equal(result.stoppedBy, 'count', 'ended when the server had closed every socket');
    assert.ok(result.closedAfter.p50Ms >= 700 && result.closedAfter.maxMs < 3000, `closed after ${JSON.stringify(result.closedAfter)}`);
    assert.ok(result.durationMs < 5000);
  } finally {
    await server.close();
  }
});

test('slowloris against a patient server: holds every socket until its own deadline, then closes them all', async () => {
  const server = await startPlainServer({ headersTimeout: 60_000, requestTimeout: 0 });
  try {
    const t0 = performance.now();
    const result = await runSlowloris({ target: server.url, connections: 200, sources: 1, tickMs: 50, bounds: { maxRequests: 200, maxDurationMs: 800, maxSockets: 200 } });
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(result.stoppedBy, 'duration');
    assert.equal(result.closedByServer, 0);
    assert.equal(result.openAtEnd, 200);
    assert.equal(result.peakOpen, 200);
    assert.ok(result.bytesSent > 200 * 20, `dripped ${result.bytesSent} bytes`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.connections().open, 0, 'the attacker closed its sockets');
  } finally {
    await server.close();
  }
});

test('slowloris with reopen replaces closed sockets, bounded by maxRequests', async () => {
  const server = await startPlainServer(strict);
  try {
    const result = await runSlowloris({ target: server.url, connections: 20, reopen: true, tickMs: 100, bounds: { maxRequests: 50, maxDurationMs: 6000, maxSockets: 20 } });
    assert.equal(result.attempted, 50);
    assert.ok(result.peakOpen <= 20);
    assert.equal(result.stoppedBy, 'count');
  } finally {
    await server.close();
  }
});

test('slow POST: the server request timeout closes the sockets; the attack stops by itself', async (t) => {
  const server = await startPlainServer(strict);
  try {
    const result = await runSlowPost({ target: `${server.url}/login`, connections: 100, sources: 10, tickMs: 100, bounds: { maxRequests: 100, maxDurationMs: 5000, maxSockets: 100 } });
    t.diagnostic(JSON.stringify({ ...result, closesPerSecond: undefined }));
    assert.equal(result.closedByServer, 100);
    assert.ok(result.closedAfter.p50Ms >= 1000 && result.closedAfter.maxMs < 4000, JSON.stringify(result.closedAfter));
    assert.ok(result.bytesSent > 100 * 100);
  } finally {
    await server.close();
  }
});

test('slow POST against a patient server stops at its deadline', async () => {
  const server = await startPlainServer({ requestTimeout: 0 });
  try {
    const result = await runSlowPost({ target: server.url, connections: 50, tickMs: 50, bounds: { maxRequests: 50, maxDurationMs: 600 } });
    assert.equal(result.stoppedBy, 'duration');
    assert.equal(result.openAtEnd, 50);
    assert.equal(server.seen.length, 0, 'no request completed');
  } finally {
    await server.close();
  }
});

test('slow read: the server is held in backpressure; the attack reads little and stops at its deadline', async (t) => {
  let stuck = 0;
  const server = await startPlainServer({}, (_req, res) => {
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    const pump = (): void => {
      while (sent < 256 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          stuck++;
          return void res.once('drain', pump);
        }
      }
      res.end();
    };
    pump();
  });
  try {
    const result = await runSlowRead({ target: server.url, connections: 20, sources: 5, tickMs: 50, bytesPerTick: 16, bounds: { maxRequests: 20, maxDurationMs: 1000 } });
    t.diagnostic(`slow read: ${result.bytesReceived} bytes read by 20 sockets; server blocked on backpressure ${stuck} times`);
    assert.equal(result.stoppedBy, 'duration');
    assert.equal(result.opened, 20);
    assert.ok(stuck >= 20, 'every response hit backpressure');
    assert.ok(result.bytesReceived <= 20 * 16 * 25, `read ${result.bytesReceived}`);
  } finally {
    await server.close();
  }
});

test('connection attacks refuse non-loopback targets and absurd bounds', async () => {
  await assert.rejects(runSlowloris({ target: 'http://[::ffff:10.0.0.1]/', bounds: { maxRequests: 1, maxDurationMs: 100 } }), { code: 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK' });
  await assert.rejects(runSlowRead({ target: 'http://127.0.0.1:1/', bounds: { maxRequests: 1, maxDurationMs: 100, maxSockets: 100_000 } }), { code: 'BULWARK_ERR_DRILL_BOUNDS' });
});
