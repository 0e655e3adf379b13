/**
 * Putting the shared stores in place: with `shared_state` configured, bans, incidents, baselines,
 * settings and the admin audit log live in Redis/Valkey (src/stores/redis/) instead of the local SQLite
 * file, for the running Bulwark and for the CLI alike; whatever else lives under state_dir (admin tokens
 * and sessions) stays in SQLite.
 *
 * The memory report (`INFO memory` and the fill of each structure) is refreshed every 10 seconds in the
 * background, so `/stats` never waits for the server.
 */
import type { Config } from '../config/schema.ts';
import { BulwarkError } from '../errors.ts';
import type { SharedStateConfig } from '../config/scale-schema.ts';
import { openStateStores, type StateStores } from '../stores/index.ts';
import { openRedisStores, type RedisMemoryReport, type RedisStores } from '../stores/redis/index.ts';

/** What the log needs. */
export interface SharedLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The shared stores attached to a process. */
export interface SharedStores {
  readonly redis: RedisStores;
  /** The stores to use: SQLite's, with the shared four replaced. */
  readonly stores: StateStores;
  /** For `/stats`: the link, the ban queue, the last memory report. */
  stats(): { link: ReturnType<RedisStores['hub']['stats']>; bans: ReturnType<RedisStores['bans']['sharedStats']>; memory: RedisMemoryReport | null };
  close(): Promise<void>;
}

/** Overlays the Redis stores on `local` (which keeps its own `close`, for the SQLite file). */
export function overlayStores(local: StateStores, redis: RedisStores): StateStores {
  return { ...local, bans: redis.bans, incidents: redis.incidents, baselines: redis.baselines, kv: redis.kv, audit: redis.audit };
}

/**
 * Connects to the shared state (waiting at most its `connect_timeout`: Bulwark starts without it and
 * catches up when the server appears) and returns the overlaid stores.
 */
export async function attachSharedStores(local: StateStores, config: SharedStateConfig, options: { truncateAddresses: boolean; logger: SharedLogger }): Promise<SharedStores> {
  const { logger } = options;
  const redis = await openRedisStores(config, {
    incidents: { truncateAddresses: options.truncateAddresses },
    bans: { onQueued: (ban, err) => logger.warn({ code: 'BULWARK_WARN_SHARED_BAN_QUEUED', key: ban.key, err }, 'shared state unreachable: ban applied here and kept to write when it returns') },
    onError: (err) => logger.error({ err, code: 'BULWARK_ERR_SHARED_STATE' }, 'shared state (Redis/Valkey): connection problem; serving with what this node knows'),
  });
  if (!redis.hub.up()) logger.error({ code: 'BULWARK_ERR_SHARED_STATE_DOWN', url: new URL(config.url).host }, 'shared state unreachable at start: serving with local state, catching up when it appears');
  let memory: RedisMemoryReport | null = null;
  const refresh = (): void => {
    if (redis.hub.up()) void redis.memory().then((m) => void (memory = m));
  };
  refresh();
  const timer = setInterval(refresh, 10_000);
  timer.unref();
  return {
    redis,
    stores: overlayStores(local, redis),
    stats: () => ({ link: redis.hub.stats(), bans: redis.bans.sharedStats(), memory }),
    async close() {
      clearInterval(timer);
      await redis.close();
    },
  };
}

/**
 * The state a CLI command works on: the config's state_dir, with the shared stores when the config has
 * `shared_state` (so `bulwark ban` reaches every node at once). `close()` closes both.
 */
export async function openStateForConfig(config: Pick<Config, 'state_dir' | 'shared_state'> | { state_dir: string; shared_state?: undefined }): Promise<StateStores> {
  const local = openStateStores({ stateDir: config.state_dir, onCorrupt: 'refuse' });
  if (config.shared_state === undefined) return local;
  const redis = await openRedisStores(config.shared_state);
  if (!redis.hub.up()) {
    await redis.close();
    local.close();
    throw new BulwarkError('BULWARK_ERR_SHARED_STATE_DOWN', `shared state ${new URL(config.shared_state.url).host} is unreachable: ${redis.hub.stats().last_error ?? 'no answer'}`, { source: 'operator' });
  }
  return {
    ...overlayStores(local, redis),
    close() {
      local.close();
      void redis.close();
    },
  };
}
