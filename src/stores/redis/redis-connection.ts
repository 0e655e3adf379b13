/**
 * Connections to the shared Redis/Valkey server (config `shared_state`): a standalone server
 * (`redis://`, `rediss://` for TLS), a Sentinel group (the master is asked of the sentinels and followed
 * through a failover) or a Cluster (every key Bulwark writes carries the hash tag `{namespace}`, so they
 * all live in one slot and multi-key scripts stay legal).
 *
 * Nothing on the request path ever waits for Redis: commands are never queued while the connection is
 * down (`enableOfflineQueue: false`: a command fails in about a millisecond instead), each command
 * fails after `command_timeout`, and reconnection backs off to at most one attempt a second. The
 * subscriber connection is the one exception to the queue rule: its SUBSCRIBE waits for the connection;
 * the hub sends it again on every reconnect (redis-hub.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { SharedStateConfig } from '../../config/scale-schema.ts';

/**
 * The ioredis module, loaded on the first connection: a Bulwark without `shared_state` never opens one,
 * and a static import would keep ioredis's code (~2 MB of heap, more resident) in every process.
 */
let ioredis: typeof import('ioredis') | null = null;
const loadIoredis = (): typeof import('ioredis') => (ioredis ??= createRequire(import.meta.url)('ioredis') as typeof import('ioredis'));

/** A connection: a standalone/Sentinel client or a Cluster client (same command API). */
export type RedisClient = Redis | Cluster;

/** The key prefix of a namespace: `bulwark:{ns}` (the braces make it a Cluster hash tag). */
export function keyspaceOf(namespace: string): string {
  return `bulwark:{${namespace}}`;
}

/** This machine's default node name: host name and process id (`web1:4242`). */
export function defaultNodeName(): string {
  return `${hostname().replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40) || 'node'}:${process.pid}`;
}

function splitHostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const host = text.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(text.slice(i + 1)) };
}

function tlsOptions(config: SharedStateConfig, url: URL): ConnectionOptions | undefined {
  if (url.protocol !== 'rediss:') return undefined;
  const t = config.tls ?? {};
  return {
    ...(t.ca !== undefined ? { ca: readFileSync(t.ca) } : {}),
    ...(t.cert !== undefined ? { cert: readFileSync(t.cert) } : {}),
    ...(t.key !== undefined ? { key: readFileSync(t.key) } : {}),
    // SNI carries names only (RFC 6066 §3): an IP literal is checked against the certificate's IP SANs.
    ...(t.servername !== undefined ? { servername: t.servername } : isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0 ? { servername: url.hostname } : {}),
  };
}

/** Reconnect after 50 ms, doubling up to one second; never give up (the store resynchronises after). */
function retryStrategy(times: number): number {
  return Math.min(1000, 50 * 2 ** Math.min(times, 5));
}

/**
 * The ioredis options of a config (exported for tests): credentials from the URL or `password_file`,
 * TLS for `rediss://`, the database number from the URL path, Sentinel addresses when given.
 */
export function redisOptionsOf(config: SharedStateConfig, purpose: 'commands' | 'subscriber'): RedisOptions {
  const url = new URL(config.url);
  const password = config.password_file !== undefined ? readFileSync(config.password_file, 'utf8').trim() : decodeURIComponent(url.password);
  const username = decodeURIComponent(url.username);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  const tls = tlsOptions(config, url);
  const common: RedisOptions = {
    ...(username !== '' ? { username } : {}),
    ...(password !== '' ? { password } : {}),
    db,
    ...(tls !== undefined ? { tls } : {}),
    connectTimeout: config.connect_timeout,
    commandTimeout: purpose === 'commands' ? config.command_timeout : undefined,
    enableOfflineQueue: purpose === 'subscriber',
    maxRetriesPerRequest: purpose === 'subscriber' ? null : 0,
    retryStrategy,
    // The hub subscribes again itself on every ready, and catches a failure: ioredis's own resubscription
    // leaves its promise unhandled, so a connection closed during it (a stop while reconnecting) was an
    // unhandled rejection — fatal for the process.
    autoResubscribe: false,
    lazyConnect: true,
    connectionName: `bulwark-${purpose}`,
  };
  if (config.sentinels !== undefined) {
    return {
      ...common,
      sentinels: config.sentinels.map(splitHostPort),
      name: config.sentinel_master,
      ...(password !== '' ? { sentinelPassword: password } : {}),
      ...(tls !== undefined ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
    };
  }
  return { ...common, host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port === '' ? 6379 : Number(url.port) };
}

/** Creates one connection (not yet connected: call `connect()`). */
export function createRedisClient(config: SharedStateConfig, purpose: 'commands' | 'subscriber'): RedisClient {
  const options = redisOptionsOf(config, purpose);
  const { Cluster, Redis } = loadIoredis();
  if (config.cluster === undefined) return new Redis(options);
  const { host: _h, port: _p, db: _d, sentinels: _s, ...redisOptions } = options;
  const clusterOptions: ClusterOptions = {
    redisOptions,
    enableOfflineQueue: purpose === 'subscriber',
    clusterRetryStrategy: retryStrategy,
    lazyConnect: true,
    ...(options.tls !== undefined ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  };
  return new Cluster(config.cluster.map(splitHostPort), clusterOptions);
}
