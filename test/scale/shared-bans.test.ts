/**
 * Two Bulwarks sharing one redis-server (`shared_state`), in this process: a ban set on one (admin
 * listener) drops the source on the other within a second, a ban written by the CLI's way of opening the
 * state reaches both, and both sign challenges with the deployment's key, rotated on both at once.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { banByHand } from '../../src/admin/ban-operations.ts';
import { createBanScopeGuard } from '../../src/admin/ban-guard.ts';
import { openStateForConfig } from '../../src/cluster/shared-stores.ts';
import { rotateSharedKeys } from '../../src/cluster/shared-keys.ts';
import { redisUnavailable, startTestRedis, type TestRedis } from '../../src/stores/redis/test-redis.ts';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture } from '../helpers/origin.ts';

function dropped(port: number, localAddress: string): Promise<boolean> {
  return new Promise((resolve) => {
    let data = false;
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.on('data', () => {
      data = true;
      s.destroy();
    });
    s.on('close', () => resolve(!data));
    s.on('error', () => {});
    setTimeout(() => s.destroy(), 3000).unref();
  });
}

async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) return Infinity;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}

describe('bans shared through Redis', { skip: redisUnavailable() ?? undefined }, () => {
  let redis: TestRedis;
  let origin: Awaited<ReturnType<typeof startOriginFixture>>;
  let a: TestBulwark;
  let b: TestBulwark;
  before(async () => {
    redis = await startTestRedis();
    origin = await startOriginFixture();
    const shared = redis.config();
    a = await startBulwark({ origin: origin.url, shared_state: shared });
    b = await startBulwark({ origin: origin.url, shared_state: { ...shared, node_name: 'b' } });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await origin?.stop();
    await redis?.stop();
  });

  it('a ban on one node drops the source on the other within a second', async () => {
    const add = await request(`${a.adminUrl}/bans`, { method: 'POST', headers: { ...a.adminHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ key: '127.61.0.0/24', duration: '10m', reason: 'test', force: true }) });
    assert.equal(add.statusCode, 201);
    await add.body.dump();
    const ms = await within(1000, () => dropped(b.port, '127.61.0.9'));
    assert.ok(ms <= 1000, `dropped on the other node after ${ms} ms`);
    assert.equal(await dropped(b.port, '127.62.0.9'), false);
    const audit = await b.bulwark.runtime().services.stores.audit.list({ action: 'ban.' });
    assert.ok(audit.some((e) => e.target === '127.61.0.0/24'), 'the ban made on one node is in the audit log every node reads');
    const stats = (await (await request(`${b.adminUrl}/stats`, { headers: b.adminHeaders })).body.json()) as { shared_state: { link: { up: boolean } } };
    assert.equal(stats.shared_state.link.up, true);
  });

  it('the CLI, given the shared config, bans on every node', async () => {
    const state = await openStateForConfig(a.config);
    try {
      await banByHand(state.bans, { key: '127.63.0.1', durationMs: 60_000, actor: 'cli', guard: createBanScopeGuard(), force: true }, Date.now());
    } finally {
      state.close();
    }
    assert.ok((await within(1000, () => dropped(a.port, '127.63.0.1'))) <= 1000);
    assert.ok((await within(1000, () => dropped(b.port, '127.63.0.1'))) <= 1000);
  });

  it('signs with one key on every node, and a rotation reaches both at once', async () => {
    const keyId = (t: TestBulwark) => t.bulwark.runtime().services.challenge.keys.current.id;
    assert.equal(keyId(a), keyId(b), 'the first node seeded the deployment key; the second adopted it');
    const before = keyId(a);
    await rotateSharedKeys(a.config.shared_state!, a.stateDir, 3_600_000);
    assert.ok((await within(1000, async () => keyId(a) !== before && keyId(b) === keyId(a))) <= 1000, 'both switched');
    assert.equal(a.bulwark.runtime().services.challenge.keys.previous?.id, before, 'the old key stays valid for the grace period');
  });
});
