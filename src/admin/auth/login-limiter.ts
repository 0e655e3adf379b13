/**
 * Failed logins per client: after `maxFailures` failures within `windowMs`, further attempts from the
 * same client are refused (429, Retry-After) until the oldest failure leaves the window. A client is
 * its address, IPv6 grouped by /64 (one host usually holds a whole /64). Bad Bearer tokens count too.
 *
 * Bounded: at most `maxClients` clients are tracked (LRU). Evicting a client forgets its failures; that
 * cannot help anyone guess a 256-bit token, and the limiter's job is to keep brute force and log noise
 * down, not to be the secret's strength. Evictions are counted (`stats`).
 */
import { LRUCache } from 'lru-cache';
import { prefixKeyOf } from './client-key.ts';

/** Options of {@link createLoginLimiter}. */
export interface LoginLimiterOptions {
  /** Failures allowed in the window. Default 5. */
  readonly maxFailures?: number;
  /** Window, ms. Default 15 minutes. */
  readonly windowMs?: number;
  /** Clients tracked at most. Default 10,000. */
  readonly maxClients?: number;
}

/** The limiter. */
export interface LoginLimiter {
  /** Seconds to wait before trying again, or 0 when the client may try now. */
  retryAfterS(client: string, nowMs: number): number;
  /** Records a failure; returns true when this failure is the one that starts the refusal. */
  fail(client: string, nowMs: number): boolean;
  /** Forgets the client's failures (a successful login). */
  succeed(client: string): void;
  stats(): { tracked: number; capacity: number; evictions: number; refused: number };
}

/** Creates a limiter (see the module comment). */
export function createLoginLimiter(options: LoginLimiterOptions = {}): LoginLimiter {
  const max = options.maxFailures ?? 5;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const capacity = options.maxClients ?? 10_000;
  let evictions = 0;
  let refused = 0;
  const failures = new LRUCache<string, number[]>({ max: capacity, dispose: (_v, _k, reason) => void (reason === 'evict' && evictions++) });

  function recent(key: string, nowMs: number): number[] {
    const list = (failures.get(key) ?? []).filter((t) => t > nowMs - windowMs);
    return list;
  }

  return {
    retryAfterS(client, nowMs) {
      const list = recent(prefixKeyOf(client), nowMs);
      if (list.length < max) return 0;
      refused++;
      return Math.max(1, Math.ceil((list[list.length - max]! + windowMs - nowMs) / 1000));
    },
    fail(client, nowMs) {
      const key = prefixKeyOf(client);
      const list = recent(key, nowMs);
      list.push(nowMs);
      // Keep the last `max` failures only: enough to know when the oldest of them leaves the window.
      failures.set(key, list.slice(-max));
      return list.length === max;
    },
    succeed(client) {
      failures.delete(prefixKeyOf(client));
    },
    stats: () => ({ tracked: failures.size, capacity, evictions, refused }),
  };
}
