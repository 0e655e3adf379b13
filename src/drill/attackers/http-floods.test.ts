import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runGetFlood } from './get-flood.ts';
import { runPostFlood } from './post-flood.ts';
import { runIpv6Rotation, parsePrefix, addressInPrefix } from './ipv6-rotation.ts';
import { startPlainServer } from '../plain-server.ts';
import { createRandom } from './traffic-shapes.ts';

test('GET flood stops by itself at its request count, from the chosen number of sources', async () => {
  const server = await startPlainServer();
  try {
    const result = await runGetFlood({ target: server.url, sources: 20, bounds: { maxRequests: 300, maxDurationMs: 10_000 } });
    assert.equal(result.stoppedBy, 'count');
    assert.equal(result.sent, 300);
    assert.equal(result.byStatus['200'], 300);
    assert.equal(result.byOutcome.served, 300);
    assert.equal(server.seen.length, 300);
    assert.equal(new Set(server.seen.map((s) => s.peer)).size, 20);
    assert.ok(result.latency.count === 300 && result.latency.p99Ms > 0);
  } finally {
    await server.close();
  }
});

test('GET flood stops by itself at its duration; the rate holds roughly', async () => {
  const server = await startPlainServer();
  try {
    const t0 = performance.now();
    const result = await runGetFlood({ target: server.url, sources: 5, ratePerS: 200, bounds: { maxRequests: 1_000_000, maxDurationMs: 1000 } });
    const elapsed = performance.now() - t0;
    assert.equal(result.stoppedBy, 'duration');
    assert.ok(elapsed < 2500, `stopped after ${elapsed} ms`);
    assert.ok(result.sent >= 100 && result.sent <= 260, `sent ${result.sent} at 200/s over 1 s`);
  } finally {
    await server.close();
  }
});

test('GET flood aborts in-flight requests at its deadline against a server that never answers', async () => {
  const server = await startPlainServer({}, () => undefined);
  try {
    const t0 = performance.now();
    const result = await runGetFlood({ target: server.url, sources: 3, bounds: { maxRequests: 1000, maxDurationMs: 500, maxSockets: 30 } });
    assert.ok(performance.now() - t0 < 1800);
    assert.equal(result.stoppedBy, 'duration');
    assert.equal(result.sent, 30, 'concurrency capped by maxSockets');
    assert.equal(result.byOutcome.aborted, 30);
  } finally {
    await server.close();
  }
});

test('GET flood stops on the caller signal', async () => {
  const server = await startPlainServer();
  try {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const result = await runGetFlood({ target: server.url, ratePerS: 100, signal: controller.signal, bounds: { maxRequests: 100_000, maxDurationMs: 10_000 } });
    assert.equal(result.stoppedBy, 'signal');
    assert.ok(result.sent < 60);
  } finally {
    await server.close();
  }
});

test('GET flood shapes: cache busting, random 404 paths, rotating header sets, no keep-alive, same seed same traffic', async () => {
  const server = await startPlainServer();
  try {
    await runGetFlood({ target: server.url, paths: { kind: 'cache_bust', paths: ['/news'] }, bounds: { maxRequests: 50, maxDurationMs: 5000 } });
    const busted = server.seen.splice(0);
    assert.ok(busted.every((s) => /^\/news\?_=[0-9a-z]{10}$/.test(s.url)));
    assert.equal(new Set(busted.map((s) => s.url)).size, 50);

    await runGetFlood({ target: server.url, paths: { kind: 'random_404', prefix: '/wp/' }, headers: { kind: 'rotate_sets', shuffleOrder: true }, seed: 7, keepAlive: false, bounds: { maxRequests: 60, maxDurationMs: 5000 } });
    const first = server.seen.splice(0);
    assert.ok(first.every((s) => s.url.startsWith('/wp/')));
    assert.ok(new Set(first.map((s) => s.headers['user-agent'])).size >= 4, 'several clients');
    assert.ok(new Set(first.map((s) => s.rawHeaderNames.join(','))).size >= 10, 'several header orders');
    assert.ok(first.every((s) => s.headers.connection === 'close'));
    const conns = server.connections().accepted;
    assert.ok(conns >= 60, `one connection per request without keep-alive (${conns})`);

    await runGetFlood({ target: server.url, paths: { kind: 'random_404', prefix: '/wp/' }, headers: { kind: 'rotate_sets', shuffleOrder: true }, seed: 7, concurrency: 1, bounds: { maxRequests: 60, maxDurationMs: 5000 } });
    const again = server.seen.splice(0);
    assert.deepEqual(new Set(again.map((s) => s.url)), new Set(first.map((s) => s.url)), 'same seed, same paths');
  } finally {
    await server.close();
  }
});

test('POST flood sends form bodies to the expensive endpoints and stops by itself', async () => {
  const server = await startPlainServer();
  try {
    const result = await runPostFlood({ target: server.url, sources: 4, minBodyBytes: 500, bounds: { maxRequests: 100, maxDurationMs: 5000 } });
    assert.equal(result.stoppedBy, 'count');
    assert.equal(server.seen.length, 100);
    assert.ok(server.seen.every((s) => s.method === 'POST' && ['/search', '/login'].includes(s.url)));
    assert.ok(server.seen.every((s) => s.headers['content-type'] === 'application/x-www-form-urlencoded' && s.bodyBytes >= 500));
  } finally {
    await server.close();
  }
});

test('IPv6 rotation: a new X-Forwarded-For address per request, all inside the /64', async () => {
  const server = await startPlainServer();
  try {
    const result = await runIpv6Rotation({ target: server.url, prefix: '2001:db8:1:2::/64', bounds: { maxRequests: 200, maxDurationMs: 5000 } });
    assert.equal(result.stoppedBy, 'count');
    const xffs = server.seen.map((s) => String(s.headers['x-forwarded-for']));
    assert.equal(new Set(xffs).size, 200);
    assert.ok(xffs.every((x) => x.startsWith('2001:db8:1:2:')));
    assert.ok(server.seen.every((s) => s.peer === '127.1.0.1'));
  } finally {
    await server.close();
  }
});

test('IPv6 prefixes: /48 parsing, invalid prefixes refused', () => {
  const p48 = parsePrefix('2001:db8:42::/48');
  const a = addressInPrefix(p48, createRandom(1));
  assert.match(a, /^2001:db8:42(:[0-9a-f]{1,4}){5}$/);
  for (const bad of ['2001:db8::/32', '2001:db8:1:2:3::/64', 'zzzz::/64', '10.0.0.0/8']) {
    assert.throws(() => parsePrefix(bad), { code: 'BULWARK_ERR_DRILL_BOUNDS' }, bad);
  }
});

test('floods refuse non-loopback targets and missing bounds', async () => {
  await assert.rejects(runGetFlood({ target: 'http://10.0.0.1/', bounds: { maxRequests: 1, maxDurationMs: 100 } }), { code: 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK' });
  await assert.rejects(runGetFlood({ target: 'http://127.0.0.1:1/', bounds: { maxRequests: 0, maxDurationMs: 100 } }), { code: 'BULWARK_ERR_DRILL_BOUNDS' });
  await assert.rejects(runGetFlood({ target: 'http://127.0.0.1:1/', bounds: { maxRequests: 1, maxDurationMs: 3_600_000 } }), { code: 'BULWARK_ERR_DRILL_BOUNDS' });
});

test('a dead target: connections refused are counted as dropped', async () => {
  const server = await startPlainServer();
  const url = server.url;
  await server.close();
  const result = await runGetFlood({ target: url, bounds: { maxRequests: 10, maxDurationMs: 3000 } });
  assert.equal(result.byOutcome.dropped, 10);
  assert.equal(result.errors.ECONNREFUSED, 10);
});

test('a request without an answer within requestTimeoutMs counts as timeout', async () => {
  const server = await startPlainServer({}, () => undefined);
  try {
    const result = await runGetFlood({ target: server.url, requestTimeoutMs: 200, concurrency: 5, bounds: { maxRequests: 5, maxDurationMs: 3000 } });
    assert.equal(result.byOutcome.timeout, 5);
    assert.equal(result.stoppedBy, 'count');
  } finally {
    await server.close();
  }
});
