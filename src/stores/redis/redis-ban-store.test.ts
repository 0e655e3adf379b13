/**
 * What the Redis ban store does beyond the shared contract, on a real redis-server: bans pushed to the
 * other nodes without anyone calling sync, automatic bans kept (and enforced) while the server is gone and
 * written when it returns, every node's active bans written back to a server that restarted empty, and
 * AUTH. Timing assertions are about propagation happening at all within generous deadlines, never speed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { StoredBan } from '../types.ts';
import { createRedisBanStore } from './redis-ban-store.ts';
import { createRedisHub, type RedisHub } from './redis-hub.ts';
import { redisUnavailable, startTestRedis, type TestRedis } from './test-redis.ts';

const skip = redisUnavailable() ?? undefined;

function ban(key: string, ms: number, source: StoredBan['source'] = 'auto'): StoredBan {
  const now = Date.now();
  return { key, scope: key.includes('/') ? 'prefix' : 'address', reason: 'test', by: 'limit/x', level: 1, createdAtMs: now, untilMs: now + ms, source };
}

async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

describe('Redis ban store: sharing and outages', { skip }, () => {
  let server: TestRedis;
  const hubs: RedisHub[] = [];
  const hub = async (config = server.config()): Promise<RedisHub> => {
    const h = createRedisHub(config);
    hubs.push(h);
    await h.connect(5000);
    return h;
  };
  before(async () => {
    server = await startTestRedis();
  });
  after(async () => {
    for (const h of hubs) await h.close();
    await server?.stop();
  });

  it('pushes a ban to the other nodes by pub/sub, without a sync call', async () => {
    const config = server.config();
    const a = await createRedisBanStore(await hub(config));
    const b = await createRedisBanStore(await hub(config));
    await a.add(ban('198.51.100.7', 60_000), { actor: 'auto' });
    assert.ok(await until(() => b.isBanned('198.51.100.7', [], Date.now())), 'the peer sees the ban');
    await a.remove('198.51.100.7', { actor: 'cli' });
    assert.ok(await until(() => !b.isBanned('198.51.100.7', [], Date.now())), 'and its removal');
  });

  it('keeps automatic bans through an outage and writes them back to a server that restarted empty', async () => {
    const config = server.config();
    const ha = await hub(config);
    const a = await createRedisBanStore(ha);
    await a.add(ban('203.0.113.0/24', 600_000), { actor: 'auto' });
    await server.kill();
    assert.ok(await until(() => !ha.up()), 'the link notices the server is gone');
    const r = await a.add(ban('192.0.2.9', 600_000), { actor: 'auto' });
    assert.equal(r.change, 'added');
    assert.equal(a.isBanned('192.0.2.9', [], Date.now()), true, 'enforced here at once');
    assert.equal(a.sharedStats().pending, 1);
    await assert.rejects(a.add(ban('192.0.2.10', 600_000, 'manual')), 'an operator is told instead of being queued');
    await server.restart();
    assert.ok(await until(() => a.sharedStats().pending === 0 && ha.up(), 10_000), 'the queue is written once the server is back');
    const b = await createRedisBanStore(await hub(config));
    assert.equal(b.isBanned('192.0.2.9', [], Date.now()), true, 'the ban made during the outage reached the server');
    assert.equal(b.isBanned('203.0.113.5', ['203.0.113.0/24'], Date.now()), true, 'the ban the server lost was written back');
    assert.ok(a.sharedStats().pushedBack >= 1);
    assert.equal((await b.audit({ key: '203.0.113.0/24' }))[0]?.action, 'add');
  });

  it('authenticates with AUTH (password in the URL), and stays down without failing on a wrong one', async () => {
    const secured = await startTestRedis(['--requirepass', 's3cret']);
    try {
      const good = await hub({ ...secured.config(), url: `redis://:s3cret@127.0.0.1:${secured.port}` });
      assert.equal(good.up(), true);
      const store = await createRedisBanStore(good);
      await store.add(ban('198.51.100.1', 60_000));
      assert.equal(store.isBanned('198.51.100.1', [], Date.now()), true);
      const bad = createRedisHub({ ...secured.config(), url: `redis://:wrong@127.0.0.1:${secured.port}` });
      hubs.push(bad);
      assert.equal(await bad.connect(500), false);
      assert.match(bad.stats().last_error ?? '', /WRONGPASS|invalid|auth/i);
    } finally {
      await secured.stop();
    }
  });
});
