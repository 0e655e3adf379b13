/**
 * The shared state on Redis/Valkey in one call: the hub (connections, scripts, subscriptions) and the
 * four shared stores — bans, incidents, baselines, settings — that replace their SQLite counterparts
 * when `shared_state` is configured. What stays per machine (anything else under state_dir) keeps using
 * SQLite.
 */
import type { SharedStateConfig } from '../../config/scale-schema.ts';
import type { BanStore, BaselineStore, IncidentStore, KvStore } from '../types.ts';
import { createRedisBanStore, type RedisBanStore, type RedisBanStoreOptions } from './redis-ban-store.ts';
import { createRedisBaselineStore } from './redis-baseline-store.ts';
import { createRedisHub, type RedisHub } from './redis-hub.ts';
import { createRedisIncidentStore, type RedisIncidentStoreOptions } from './redis-incident-store.ts';
import { createRedisKvStore } from './redis-kv-store.ts';
import { createRedisAuditStore } from './redis-audit-store.ts';
import type { AuditStore } from '../admin-types.ts';
import { redisMemory, type RedisMemoryReport } from './redis-memory.ts';

export { createRedisHub, isReplyError, type RedisHub, type RedisHubStats, type RedisScript } from './redis-hub.ts';
export { createRedisBanStore, type RedisBanStore } from './redis-ban-store.ts';
export { createRedisIncidentStore } from './redis-incident-store.ts';
export { createRedisKvStore } from './redis-kv-store.ts';
export { createRedisBaselineStore } from './redis-baseline-store.ts';
export { createRedisAuditStore } from './redis-audit-store.ts';
export { keyspaceOf, defaultNodeName } from './redis-connection.ts';
export type { RedisMemoryReport } from './redis-memory.ts';

/** Options of {@link openRedisStores}. */
export interface RedisStoresOptions {
  readonly bans?: RedisBanStoreOptions;
  readonly incidents?: RedisIncidentStoreOptions;
  /** Told about connection errors (once per distinct message). */
  readonly onError?: (err: unknown) => void;
  /** How long start-up waits for the server before going on without it. Default `connect_timeout`. */
  readonly waitMs?: number;
}

/** The shared stores. */
export interface RedisStores {
  readonly hub: RedisHub;
  readonly bans: RedisBanStore;
  readonly incidents: IncidentStore;
  readonly baselines: BaselineStore;
  readonly kv: KvStore;
  /** The admin audit log (every node's changes in one log). */
  readonly audit: AuditStore;
  /** Memory used on the server: its own figures and the size of each of Bulwark's structures. */
  memory(): Promise<RedisMemoryReport>;
  close(): Promise<void>;
}

/**
 * Connects (waiting at most `waitMs`: an unreachable server does not stop Bulwark from starting — the
 * stores catch up when it appears) and creates the stores.
 */
export async function openRedisStores(config: SharedStateConfig, options: RedisStoresOptions = {}): Promise<RedisStores> {
  const hub = createRedisHub(config, options.onError ? { onError: options.onError } : {});
  await hub.connect(options.waitMs ?? config.connect_timeout);
  const bans = await createRedisBanStore(hub, { maxPending: config.max_bans_pending, ...options.bans });
  return {
    hub,
    bans,
    incidents: createRedisIncidentStore(hub, options.incidents),
    baselines: createRedisBaselineStore(hub),
    kv: createRedisKvStore(hub),
    audit: createRedisAuditStore(hub),
    memory: () => redisMemory(hub),
    close: () => hub.close(),
  };
}

export type { BanStore };
