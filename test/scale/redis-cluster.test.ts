/**
 * `shared_state` with `cluster:` on a real three-master Redis Cluster (started here with
 * `redis-cli --cluster create`): the Redis stores' conformance suites through the Cluster client, with a
 * check after every test that each key it wrote lies in its namespace's one slot, on the master serving
 * that slot; incidents written on namespaces served by each of the three masters; exact limits (the GCRA
 * script, several keys in one call) shared by two nodes; bans pushed to another node over the Cluster's
 * pub/sub; the memory report read from the master that holds the namespace; two whole Bulwark nodes
 * (bans, site leader lease, heartbeats on the bus); and, last, no key anywhere outside a namespace.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { request } from 'undici';
import { clusterStatus } from '../../src/cluster/cluster-status.ts';
import type { SharedStateConfig } from '../../src/config/scale-schema.ts';
import { compileGcra } from '../../src/core/ratelimit/gcra.ts';
import { createRedisBanStore } from '../../src/stores/redis/redis-ban-store.ts';
import { createRedisExactLimiter } from '../../src/stores/redis/redis-gcra.ts';
import { createRedisHub, type RedisHub } from '../../src/stores/redis/redis-hub.ts';
import { createRedisIncidentStore } from '../../src/stores/redis/redis-incident-store.ts';
import { redisMemory } from '../../src/stores/redis/redis-memory.ts';
import { redisClusterUnavailable, startRedisCluster, type TestRedisCluster } from '../../src/stores/redis/test-redis-cluster.ts';
import { runRedisConformance } from '../../src/stores/redis/test-redis-conformance.ts';
import { pollFor } from '../../src/stores/redis/test-redis.ts';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture } from '../helpers/origin.ts';

const skip = redisClusterUnavailable();
let started: Promise<TestRedisCluster> | null = null;
const cluster = (): Promise<TestRedisCluster> => (started ??= startRedisCluster());
after(async () => {
  if (started !== null) await (await started).stop();
});

/**
 * Every key carrying the namespace, on any master; asserts they all lie in the slot of `{namespace}`, on
 * the master serving it, and that nothing else is in that slot (`CLUSTER COUNTKEYSINSLOT`).
 */
async function placedKeys(namespace: string): Promise<string[]> {
  const c = await cluster();
  const found = await c.keys(`*${namespace}*`);
  const { slot, port } = await c.slotOf(`{${namespace}}`);
  for (const k of found) {
    assert.ok(k.key.startsWith(`bulwark:{${namespace}}:`), `key ${k.key} carries the namespace's hash tag`);
    assert.equal(k.port, port, `key ${k.key} lives on the master serving slot ${slot}`);
    assert.equal(Number(await c.ask(port, ['CLUSTER', 'KEYSLOT', k.key])), slot, `key ${k.key} is in slot ${slot}`);
  }
  assert.equal(Number(await c.ask(port, ['CLUSTER', 'COUNTKEYSINSLOT', slot])), found.length, `slot ${slot} holds exactly the namespace's keys`);
  return found.map((k) => k.key);
}

/** Fresh namespaces, one served by each master (in the masters' order). */
async function namespacePerMaster(): Promise<string[]> {
  const c = await cluster();
  const byPort = new Map<number, string>();
  for (let i = 0; i < 200 && byPort.size < c.ports.length; i++) {
    const ns = `t${randomBytes(5).toString('hex')}`;
    const { port } = await c.slotOf(`{${ns}}`);
    if (!byPort.has(port)) byPort.set(port, ns);
  }
  assert.equal(byPort.size, c.ports.length, 'found a namespace on every master');
  return c.ports.map((p) => byPort.get(p)!);
}

if (skip !== null) {
  describe('Redis Cluster', () => {
    it('runs against a real three-master cluster', { skip }, () => {});
  });
} else {
  runRedisConformance('cluster', {
    config: async () => (await cluster()).config(),
    keys: (_hub, config) => placedKeys(config.namespace),
  });

  describe('Redis Cluster: beyond the store contracts', () => {
    const hubs: RedisHub[] = [];
    const hub = async (config: SharedStateConfig): Promise<RedisHub> => {
      const h = createRedisHub(config);
      hubs.push(h);
      assert.equal(await h.connect(5000), true, `connected to the cluster: ${h.stats().last_error}`);
      return h;
    };
    after(async () => {
      for (const h of hubs) await h.close();
    });

    it('writes incidents on a namespace served by any of the three masters', async () => {
      const c = await cluster();
      for (const namespace of await namespacePerMaster()) {
        const store = createRedisIncidentStore(await hub(c.config({ namespace })));
        const t0 = Date.UTC(2026, 11, 4, 12, 0, 0);
        for (let i = 0; i < 3; i++) {
          const at = t0 + i * 60_000;
          const { id } = await store.open({ site: 'shop', openedAtMs: at, peakLevel: 'elevated' });
          assert.equal((await store.appendSeconds(id, [{ t: at, requests: 100, distinct: 10, level: 'under_attack' }])).inserted, 1);
          assert.equal((await store.update(id, { peakRps: 100 })).peakRps, 100);
          assert.equal((await store.close(id, at + 1000, { reason: 'calm' })).status, 'closed');
        }
        assert.equal((await store.list({ limit: 10 })).length, 3, `three incidents on ${namespace}`);
        assert.ok((await placedKeys(namespace)).length > 0);
        assert.equal(await store.deleteClosedBefore(t0 + 3_600_000), 3);
      }
    });

    it('counts an exact limit once for two nodes, several limits in one script call', async () => {
      const config = (await cluster()).config();
      const a = createRedisExactLimiter(await hub(config), 1000);
      const b = createRedisExactLimiter(await hub(config), 1000);
      const login = compileGcra({ average: 1, period: 60_000, burst: 5 });
      const site = compileGcra({ average: 1, period: 60_000, burst: 100 });
      const verdicts: Array<Awaited<ReturnType<typeof a.check>>> = [];
      for (let i = 0; i < 10; i++) {
        verdicts.push(await (i % 2 === 0 ? a : b).check([{ key: 'site|198.51.100.7', limit: site, cost: 1 }, { key: 'login|198.51.100.7', limit: login, cost: 1 }]));
      }
      assert.deepEqual(verdicts.slice(0, 5), [null, null, null, null, null], 'the burst is admitted');
      for (const v of verdicts.slice(5)) {
        assert.ok(v !== null && v !== 'unknown', `refused by the server, not unknown: ${JSON.stringify(v)}`);
        assert.equal(v.index, 1, 'the login limit refuses');
      }
      assert.equal(a.stats().unknown + b.stats().unknown, 0);
      const keys = await placedKeys(config.namespace);
      assert.equal(keys.filter((k) => k.includes(':gcra:')).length, 2, 'both buckets are in the namespace slot');
    });

    it('pushes a ban to another node over the cluster pub/sub, without a sync call', async () => {
      const config = (await cluster()).config();
      const a = await createRedisBanStore(await hub(config));
      const b = await createRedisBanStore(await hub(config));
      const now = Date.now();
      await a.add({ key: '203.0.113.0/24', scope: 'prefix', reason: 'test', by: 'limit/x', level: 1, createdAtMs: now, untilMs: now + 60_000, source: 'auto' }, { actor: 'auto' });
      await pollFor('the peer sees the ban', 5000, async () => b.isBanned('203.0.113.9', ['203.0.113.0/24'], Date.now()));
      await a.remove('203.0.113.0/24', { actor: 'cli' });
      await pollFor('and its removal', 5000, async () => !b.isBanned('203.0.113.9', ['203.0.113.0/24'], Date.now()));
      await placedKeys(config.namespace);
    });

    it('reports the memory of the master that holds the namespace', async () => {
      const c = await cluster();
      const namespaces = await namespacePerMaster();
      const evicting = c.ports[1]!;
      await c.ask(evicting, ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
      try {
        for (const [i, namespace] of namespaces.entries()) {
          const h = await hub(c.config({ namespace }));
          await createRedisBanStore(h);
          for (let round = 0; round < 5; round++) {
            const report = await redisMemory(h);
            assert.equal(report.error, undefined);
            assert.equal(report.eviction_risk, c.ports[i] === evicting, `${namespace} on ${c.ports[i]}: the policy of its own master`);
          }
        }
      } finally {
        await c.ask(evicting, ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction']);
      }
    });
  });

  describe('Redis Cluster: two Bulwark nodes', () => {
    it('share bans, elect a leader and hear each other over the cluster, every key in the namespace slot', async () => {
      const config = (await cluster()).config();
      const origin = await startOriginFixture();
      const nodes: TestBulwark[] = [];
      try {
        nodes.push(await startBulwark({ origin: origin.url, shared_state: { ...config, node_name: 'a' } }));
        nodes.push(await startBulwark({ origin: origin.url, shared_state: { ...config, node_name: 'b' } }));
        const [a, b] = nodes as [TestBulwark, TestBulwark];
        const add = await request(`${a.adminUrl}/bans`, { method: 'POST', headers: { ...a.adminHeaders, 'content-type': 'application/json' }, body: JSON.stringify({ key: '127.71.0.0/24', duration: '10m', reason: 'test', force: true }) });
        assert.equal(add.statusCode, 201);
        await add.body.dump();
        const bans = b.bulwark.runtime().services.stores.bans;
        await pollFor('the other node mirrors the ban', 5000, async () => bans.isBanned('127.71.0.9', ['127.71.0.0/24'], Date.now()));
        const status = await clusterStatus(config, ['test'], 1500);
        assert.ok(['a', 'b'].includes(status.leaders.test ?? ''), `one node leads the site: ${JSON.stringify(status.leaders)}`);
        assert.deepEqual(status.processes.map((p) => p.name).filter((n) => n === 'a' || n === 'b'), ['a', 'b'], 'both heartbeats heard on the bus');
        assert.equal(status.redis.memory.error, undefined);
        const keys = await placedKeys(config.namespace);
        for (const part of [':ban:', ':lease:test']) assert.ok(keys.some((k) => k.includes(part)), `wrote ${part} (keys: ${keys.join(' ')})`);
      } finally {
        for (const n of nodes) await n.stop();
        await origin.stop();
      }
    });
  });

  describe('Redis Cluster: after every test', () => {
    it('holds no key outside a namespace', async () => {
      const left = await (await cluster()).keys('*');
      const stray = left.filter((k) => !/^bulwark:\{t[0-9a-f]{10}\}:/.test(k.key));
      assert.deepEqual(stray, []);
    });
  });
}
