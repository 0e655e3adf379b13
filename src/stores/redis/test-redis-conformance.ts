/**
 * Test support: the shared conformance suites (../conformance/) against the Redis implementations, on any
 * server shape a test provides — a standalone server, a Cluster. Each test gets a fresh namespace;
 * "restart" is a new connection and a new store on the same namespace, and a "peer" is another node's
 * store on it. At the end of each test the target lists the namespace's keys (and may check where they
 * live) and they are deleted.
 */
import type { SharedStateConfig } from '../../config/scale-schema.ts';
import { runAuditStoreConformance } from '../conformance/audit-store-conformance.ts';
import { runBanStoreConformance } from '../conformance/ban-store-conformance.ts';
import { runBaselineStoreConformance } from '../conformance/baseline-store-conformance.ts';
import type { StoreHarness } from '../conformance/harness.ts';
import { runIncidentStoreConformance } from '../conformance/incident-store-conformance.ts';
import { runKvStoreConformance } from '../conformance/kv-store-conformance.ts';
import { createRedisAuditStore } from './redis-audit-store.ts';
import { createRedisBanStore } from './redis-ban-store.ts';
import { createRedisBaselineStore } from './redis-baseline-store.ts';
import { createRedisHub, type RedisHub } from './redis-hub.ts';
import { createRedisIncidentStore } from './redis-incident-store.ts';
import { createRedisKvStore } from './redis-kv-store.ts';

/** Where the suites run. */
export interface RedisConformanceTarget {
  /** A `shared_state` config on a fresh namespace (the server is started on first use). */
  config(): Promise<SharedStateConfig>;
  /** Every key a test wrote under its namespace; may throw when one lies where it must not. */
  keys(hub: RedisHub, config: SharedStateConfig): Promise<string[]>;
}

/** Every key of `hub`'s namespace on a standalone server (`SCAN`). */
export async function scanNamespace(hub: RedisHub): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await hub.cmd.scan(cursor, 'MATCH', `${hub.ks}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

async function redisHarness<S>(target: RedisConformanceTarget, build: (hub: RedisHub) => Promise<S> | S): Promise<StoreHarness<S>> {
  const config = await target.config();
  const hubs: RedisHub[] = [];
  const open = async (): Promise<S> => {
    const hub = createRedisHub(config);
    hubs.push(hub);
    if (!(await hub.connect(5000))) throw new Error(`test redis unreachable: ${hub.stats().last_error}`);
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
      try {
        const keys = await target.keys(hub, config);
        if (keys.length > 0) await hub.cmd.del(...keys);
      } finally {
        for (const h of hubs) await h.close();
      }
    },
  };
}

/** Registers the five suites (bans, incidents, baselines, settings, audit) as `redis <label>`. */
export function runRedisConformance(label: string, target: RedisConformanceTarget): void {
  const name = label === '' ? 'redis' : `redis ${label}`;
  const on = <S>(build: (hub: RedisHub) => Promise<S> | S) => redisHarness(target, build);
  runBanStoreConformance(name, ({ clock, maxBans }) => on((hub) => createRedisBanStore(hub, { clock: clock.now, maxBans })));
  runIncidentStoreConformance(name, ({ clock, ...o }) => on((hub) => createRedisIncidentStore(hub, { clock: clock.now, ...o })));
  runBaselineStoreConformance(name, ({ maxSites }) => on((hub) => createRedisBaselineStore(hub, { maxSites })));
  runKvStoreConformance(name, ({ maxKeys }) => on((hub) => createRedisKvStore(hub, { maxKeys })));
  runAuditStoreConformance(name, ({ maxRows }) => on((hub) => createRedisAuditStore(hub, { maxRows })));
}
