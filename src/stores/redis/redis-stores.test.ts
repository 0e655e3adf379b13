/**
 * The shared conformance suites (../conformance/) against the Redis implementations, on a real
 * redis-server this file starts (skipped with the reason where redis-server is missing). Each test gets a
 * fresh namespace; "restart" is a new connection and a new store on the same namespace, and a "peer" is
 * another node's store on it.
 */
import { after, describe, it } from 'node:test';
import { runBanStoreConformance } from '../conformance/ban-store-conformance.ts';
import { runBaselineStoreConformance } from '../conformance/baseline-store-conformance.ts';
import { runIncidentStoreConformance } from '../conformance/incident-store-conformance.ts';
import { runKvStoreConformance } from '../conformance/kv-store-conformance.ts';
import { runAuditStoreConformance } from '../conformance/audit-store-conformance.ts';
import { createRedisAuditStore } from './redis-audit-store.ts';
import type { FakeClock, StoreHarness } from '../conformance/harness.ts';
import { createRedisBanStore } from './redis-ban-store.ts';
import { createRedisBaselineStore } from './redis-baseline-store.ts';
import { createRedisHub, type RedisHub } from './redis-hub.ts';
import { createRedisIncidentStore } from './redis-incident-store.ts';
import { createRedisKvStore } from './redis-kv-store.ts';
import { redisUnavailable, startTestRedis, type TestRedis } from './test-redis.ts';

const skip = redisUnavailable();
let server: Promise<TestRedis> | null = null;
const getServer = (): Promise<TestRedis> => (server ??= startTestRedis());
after(async () => {
  if (server !== null) await (await server).stop();
});

/** A harness whose store is `build(hub, clock)` on a fresh namespace of the test server. */
async function redisHarness<S>(clock: FakeClock, build: (hub: RedisHub) => Promise<S> | S): Promise<StoreHarness<S>> {
  const config = (await getServer()).config();
  const hubs: RedisHub[] = [];
  const open = async (): Promise<S> => {
    const hub = createRedisHub(config);
    hubs.push(hub);
    if (!(await hub.connect(5000))) throw new Error('test redis-server unreachable');
    return build(hub);
  };
  const store = await open();
  return {
    store,
    async reopen() {
      await hubs[0]!.close();
      hubs.shift();
      const next = await open();
      hubs.unshift(hubs.pop()!);
      return next;
    },
    openPeer: open,
    async dispose() {
      const hub = hubs[0]!;
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await hub.cmd.scan(cursor, 'MATCH', `${hub.ks}:*`, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      if (keys.length > 0) await hub.cmd.del(...keys);
      for (const h of hubs) await h.close();
    },
  };
}

if (skip !== null) {
  describe('Redis stores conformance', () => {
    it('runs against a real redis-server', { skip }, () => {});
  });
} else {
  runBanStoreConformance('redis', ({ clock, maxBans }) => redisHarness(clock, (hub) => createRedisBanStore(hub, { clock: clock.now, maxBans })));
  runIncidentStoreConformance('redis', ({ clock, ...o }) => redisHarness(clock, (hub) => createRedisIncidentStore(hub, { clock: clock.now, ...o })));
  runBaselineStoreConformance('redis', ({ clock, maxSites }) => redisHarness(clock, (hub) => createRedisBaselineStore(hub, { maxSites })));
  runKvStoreConformance('redis', ({ clock, maxKeys }) => redisHarness(clock, (hub) => createRedisKvStore(hub, { maxKeys })));
  runAuditStoreConformance('redis', ({ clock, maxRows }) => redisHarness(clock, (hub) => createRedisAuditStore(hub, { maxRows })));
}
