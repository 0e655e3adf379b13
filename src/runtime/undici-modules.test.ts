import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { undici, undiciPool } from './undici-modules.ts';

test("the Pool loaded on its own is undici's Pool, with the request API on it, and it serves requests", async () => {
  const Pool = undiciPool();
  const server = createServer((_req, res) => res.end('pong')).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  try {
    for (const method of ['request', 'stream', 'pipeline', 'upgrade', 'connect', 'dispatch'] as const) assert.equal(typeof pool[method], 'function', method);
    const res = await pool.request({ path: '/', method: 'GET' });
    assert.equal(await res.body.text(), 'pong');
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    assert.ok(loaded.some((f) => f.endsWith('/undici/lib/dispatcher/pool.js')));
    assert.ok(!loaded.some((f) => f.endsWith('/undici/index.js')), "the package's entry point (fetch, WebSocket, ...) was not loaded");
    assert.equal(undici().Pool, Pool, 'the same class as the package exports');
  } finally {
    await pool.close();
    server.close();
  }
});
