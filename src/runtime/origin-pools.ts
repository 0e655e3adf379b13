/**
 * One undici Pool per origin with keep-alive, shared across config generations so a
 * reload keeps warm connections: a pool is reference-counted by the generations using it and closed
 * (gracefully: in-flight requests finish) when the last one lets go.
 */
import type { Pool } from 'undici';
import { undiciPool } from './undici-modules.ts';
import type { OriginOptions } from '../config/schema.ts';

export interface Upstream {
  /** The origin URL as configured (never shown to clients). */
  readonly url: string;
  readonly origin: string;
  /** Host header to send when the site does not preserve the client's Host. */
  readonly hostHeader: string;
  readonly pool: Pool;
  readonly options: OriginOptions;
}

export interface OriginPools {
  acquire(url: string, options: OriginOptions): Upstream;
  release(upstream: Upstream): void;
  /** Closes every pool (shutdown): in-flight requests finish first. Call destroyAll after a deadline. */
  closeAll(): Promise<void>;
  /** Destroys every pool immediately (shutdown deadline passed). */
  destroyAll(): Promise<void>;
  readonly size: number;
}

function poolKey(url: string, o: OriginOptions): string {
  return `${url}|${o.connect_timeout}|${o.headers_timeout}|${o.body_timeout}|${o.max_connections}|${o.keep_alive_timeout}|${o.tls_verify}`;
}

export function createOriginPools(): OriginPools {
  const pools = new Map<string, { upstream: Upstream; refs: number }>();
  return {
    acquire(url, options) {
      const key = poolKey(url, options);
      const existing = pools.get(key);
      if (existing) {
        existing.refs++;
        return existing.upstream;
      }
      const u = new URL(url);
      const pool = new (undiciPool())(u.origin, {
        connections: options.max_connections,
        keepAliveTimeout: options.keep_alive_timeout,
        keepAliveMaxTimeout: Math.max(options.keep_alive_timeout, 600_000),
        headersTimeout: options.headers_timeout,
        bodyTimeout: options.body_timeout,
        connect: { timeout: options.connect_timeout, rejectUnauthorized: options.tls_verify },
        pipelining: 1,
      });
      // An origin pool error with no request attached must never crash the process.
      pool.on('connectionError', () => {});
      const upstream: Upstream = { url, origin: u.origin, hostHeader: u.host, pool, options };
      pools.set(key, { upstream, refs: 1 });
      return upstream;
    },
    release(upstream) {
      const key = poolKey(upstream.url, upstream.options);
      const entry = pools.get(key);
      if (!entry || entry.upstream !== upstream) return;
      if (--entry.refs <= 0) {
        pools.delete(key);
        upstream.pool.close().catch(() => {});
      }
    },
    async closeAll() {
      await Promise.allSettled([...pools.values()].map((e) => e.upstream.pool.close()));
    },
    async destroyAll() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.allSettled(all.map((e) => e.upstream.pool.destroy()));
    },
    get size() {
      return pools.size;
    },
  };
}
