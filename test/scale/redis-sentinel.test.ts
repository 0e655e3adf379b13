/**
 * `shared_state` with `sentinels:` on a real Sentinel group (master + replica + sentinel, started here):
 * two nodes' ban stores find the master through the sentinel, ban and read; the master is killed by its
 * process id; the sentinel promotes the replica; both stores follow it — a ban made before the failover is
 * still there (the replica had it), an automatic ban made while no master answered is written once one
 * does (the other node reads it by its housekeeping sync at the latest), and a ban made after the failover
 * reaches the other node without anyone calling sync. Every wait is bounded.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { StoredBan } from '../../src/stores/types.ts';
import { createRedisBanStore, type RedisBanStore } from '../../src/stores/redis/redis-ban-store.ts';
import { createRedisHub, type RedisHub } from '../../src/stores/redis/redis-hub.ts';
import { pollFor, redisUnavailable, waitSubscribed } from '../../src/stores/redis/test-redis.ts';
import { startSentinelGroup, type TestSentinelGroup } from '../../src/stores/redis/test-redis-sentinel.ts';

function ban(key: string, source: StoredBan['source']): StoredBan {
  const now = Date.now();
  return { key, scope: key.includes('/') ? 'prefix' : 'address', reason: 'sentinel test', by: 'limit/x', level: 1, createdAtMs: now, untilMs: now + 600_000, source };
}

describe('shared state through Redis Sentinel', { skip: redisUnavailable() ?? undefined }, () => {
  let group: TestSentinelGroup;
  const hubs: RedisHub[] = [];
  const open = async (config: ReturnType<TestSentinelGroup['config']>, name: string): Promise<{ hub: RedisHub; bans: RedisBanStore }> => {
    const hub = createRedisHub({ ...config, node_name: name });
    hubs.push(hub);
    assert.equal(await hub.connect(5000), true, `${name} reached the master through the sentinel: ${hub.stats().last_error}`);
    const bans = await createRedisBanStore(hub);
    await waitSubscribed(hub, 5000);
    return { hub, bans };
  };
  const seen = (store: RedisBanStore, key: string) => pollFor(`${key} seen`, 5000, async () => store.isBanned(key, [], Date.now()));
  /**
   * Seen with Bulwark's once-a-second housekeeping sync running (main/housekeeping.ts). A ban written
   * back by a node as it reconnects can be published before the other node's subscription to the new
   * master is active; nothing is lost, the next sync reads it.
   */
  const seenWithHousekeeping = (store: RedisBanStore, key: string) =>
    pollFor(`${key} seen`, 5000, async () => {
      if (store.isBanned(key, [], Date.now())) return true;
      await store.sync();
      return store.isBanned(key, [], Date.now());
    });

  const failover = async (): Promise<void> => {
    try {
      await group.waitForFailover(20_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- sentinel log ---\n${group.sentinelLog()}`);
    }
  };
  beforeEach(async () => {
    group = await startSentinelGroup({ downAfterMs: 1000, failoverTimeoutMs: 3000 });
  });
  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
    await group?.stop();
  });

  it('follows a failover: bans made before it survive, bans made during and after it reach every node', async () => {
    const config = group.config();
    const a = await open(config, 'a');
    const b = await open(config, 'b');
    assert.ok((await group.clientNames(group.master.port)).includes('bulwark-commands'), 'the nodes talk to the master the sentinel named');

    assert.equal((await a.bans.add(ban('198.51.100.1', 'manual'), { actor: 'cli' })).change, 'added');
    await seen(b.bans, '198.51.100.1');
    await group.syncReplica(5000);

    await group.killMaster();
    await pollFor('node a notices the master is gone', 5000, async () => !a.hub.up());
    const during = await a.bans.add(ban('198.51.100.2', 'auto'), { actor: 'auto' });
    assert.equal(during.change, 'added', 'an automatic ban while no master answers applies at once');
    assert.equal(a.bans.isBanned('198.51.100.2', [], Date.now()), true);
    await assert.rejects(a.bans.add(ban('198.51.100.3', 'manual'), { actor: 'cli' }), 'an operator is told, not queued');

    await failover();
    await pollFor('both nodes reconnected to the promoted replica', 15_000, async () => a.hub.up() && b.hub.up());
    await pollFor('both nodes talk to the promoted replica, commands and subscriptions', 15_000, async () => {
      const names = await group.clientNames(group.replica.port);
      return names.filter((n) => n === 'bulwark-commands').length === 2 && names.filter((n) => n === 'bulwark-subscriber').length === 2;
    });
    for (const node of [a, b]) await waitSubscribed(node.hub, 10_000);
    assert.ok(a.hub.stats().reconnects >= 1);

    await pollFor('the ban queued during the failover is written', 10_000, async () => a.bans.sharedStats().pending === 0);
    await seenWithHousekeeping(b.bans, '198.51.100.2');

    assert.equal((await b.bans.add(ban('198.51.100.4', 'manual'), { actor: 'cli' })).change, 'added', 'a manual ban is written to the new master');
    await seen(a.bans, '198.51.100.4');

    const c = await open(group.config({ namespace: config.namespace }), 'c');
    for (const key of ['198.51.100.1', '198.51.100.2', '198.51.100.4']) {
      assert.equal(c.bans.isBanned(key, [], Date.now()), true, `a node started after the failover loads ${key}`);
    }
    assert.equal(c.bans.isBanned('198.51.100.3', [], Date.now()), false, 'the refused manual ban was not written');
    assert.equal(a.bans.sharedStats().pushedBack, 0, 'the promoted replica had the data: nothing needed writing back');
    assert.deepEqual((await c.bans.audit({ key: '198.51.100.1' })).map((e) => e.action), ['add'], 'the audit log came through the failover');
  });

  it('keeps a ban the failover lost: written to the old master, never replicated, written back by the nodes that knew it', async () => {
    const config = group.config();
    const a = await open(config, 'a');
    const b = await open(config, 'b');
    await a.bans.add(ban('203.0.113.1', 'manual'), { actor: 'cli' });
    await seen(b.bans, '203.0.113.1');
    await group.syncReplica(5000);

    await group.pauseReplica();
    await a.bans.add(ban('203.0.113.2', 'auto'), { actor: 'auto' });
    await seen(b.bans, '203.0.113.2');
    const lostId = (await a.bans.audit({ key: '203.0.113.2' }))[0]!.id;
    await group.killMaster();
    group.resumeReplica();
    await failover();
    await pollFor('both nodes reconnected', 15_000, async () => a.hub.up() && b.hub.up());
    for (const node of [a, b]) await waitSubscribed(node.hub, 10_000);

    // The promoted replica never had the second ban: its audit counter is behind what the nodes read.
    await pollFor('the lost ban is written back to the new master', 10_000, async () => (await a.bans.get('203.0.113.2')) !== undefined);
    for (const [name, node] of [['a', a], ['b', b]] as const) {
      assert.equal(node.bans.isBanned('203.0.113.2', [], Date.now()), true, `node ${name} still enforces the ban the failover lost`);
      assert.equal(node.bans.isBanned('203.0.113.1', [], Date.now()), true, `node ${name} still enforces the replicated ban`);
    }
    await b.bans.add(ban('203.0.113.3', 'manual'), { actor: 'cli' });
    await seen(a.bans, '203.0.113.3');
    const c = await open(group.config({ namespace: config.namespace }), 'c');
    for (const key of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) assert.equal(c.bans.isBanned(key, [], Date.now()), true, `a new node loads ${key}`);
    for (const key of ['203.0.113.2', '203.0.113.3']) {
      const id = (await c.bans.audit({ key }))[0]!.id;
      assert.ok(id > lostId, `the audit row of ${key} written after the failover has id ${id}, above the lost row's ${lostId}: no id is reused`);
    }
    assert.equal(a.bans.sharedStats().pushedBack + b.bans.sharedStats().pushedBack, 1, 'the lost ban was written back once');
  });
});
