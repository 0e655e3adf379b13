/**
 * Bans over real sockets: a ban by hand (admin listener, or the CLI's store) drops the source
 * at accept; bans survive a restart; unban lets it back in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Agent, request } from 'undici';
import { openStateStores } from '../../src/stores/index.ts';
import { banByHand } from '../../src/admin/ban-operations.ts';
import { createBanScopeGuard } from '../../src/admin/ban-guard.ts';
import { startBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture } from '../helpers/origin.ts';

function dropped(port: number, localAddress: string): Promise<boolean> {
  return new Promise((resolve) => {
    let data = false;
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.on('data', () => (data = true));
    s.on('close', () => resolve(!data));
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 3000).unref();
  });
}

test('ban via the admin listener, dropped at accept, survives a restart, unban lets it back', async () => {
  const origin = await startOriginFixture();
  let b = await startBulwark({ origin: origin.url });
  const stateDir = b.stateDir;
  try {
    // Loopback is protected: the test's clients are all loopback, so the ban is forced.
    const add = await request(`${b.adminUrl}/bans`, { method: 'POST', headers: { ...b.adminHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ key: '127.44.0.0/24', duration: '10m', reason: 'test', force: true }) });
    assert.equal(add.statusCode, 201);
    await add.body.dump();
    const bad = await request(`${b.adminUrl}/bans`, { method: 'POST', headers: { ...b.adminHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ key: 'nope', duration: '10m' }) });
    assert.equal(bad.statusCode, 400);
    assert.match(await bad.body.text(), /not an IP address or prefix/);
    assert.equal(await dropped(b.port, '127.44.0.9'), true);
    assert.equal(await dropped(b.port, '127.45.0.9'), false);
    await b.stop();
    b = await startBulwark({ origin: origin.url, state_dir: stateDir });
    assert.equal(await dropped(b.port, '127.44.0.10'), true, 'the ban survived the restart');
    const del = await request(`${b.adminUrl}/bans?key=${encodeURIComponent('127.44.0.0/24')}`, { method: 'DELETE', headers: b.adminHeaders });
    assert.equal(del.statusCode, 200);
    await del.body.dump();
    const agent = new Agent({ localAddress: '127.44.0.10' });
    const res = await request(`${b.url}/`, { dispatcher: agent });
    assert.equal(res.statusCode, 200);
    await res.body.dump();
    await agent.close();
  } finally {
    await b.stop();
    await origin.stop();
  }
});

test('a ban written by another process (the CLI) takes effect within seconds', async () => {
  const origin = await startOriginFixture();
  const b = await startBulwark({ origin: origin.url });
  try {
    const other = openStateStores({ stateDir: b.stateDir, onCorrupt: 'refuse' });
    await banByHand(other.bans, { key: '127.46.0.1', durationMs: 60_000, actor: 'cli', guard: createBanScopeGuard(), force: true }, Date.now());
    other.close();
    let isDropped = false;
    for (let i = 0; i < 30 && !isDropped; i++) {
      await new Promise((r) => setTimeout(r, 100));
      isDropped = await dropped(b.port, '127.46.0.1');
    }
    assert.ok(isDropped);
  } finally {
    await b.stop();
    await origin.stop();
  }
});
