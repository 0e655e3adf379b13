/**
 * One site's shield state: the pure core's cache store, keyer, coalescer, admission
 * controller and balancer, built from the site's `shield:` config. It outlives config generations: a
 * reload that leaves a site's shield config and origins unchanged keeps its cache, limit and breaker
 * state (see shield-registry.ts).
 */
import { randomInt } from 'node:crypto';
import type { SiteConfig } from '../config/schema.ts';
import type { ShieldConfig } from '../config/shield-schema.ts';
import { createCacheKeyer, type CacheKeyer } from '../core/cache/cache-key.ts';
import { createCoalescer, type Coalescer } from '../core/cache/coalescer.ts';
import type { CacheEntry } from '../core/cache/entry.ts';
import { validateSiteCachePolicy, type SiteCachePolicy } from '../core/cache/storable.ts';
import { createResponseStore, type ResponseStore } from '../core/cache/store.ts';
import { createAdmission, type Admission } from '../core/shield/admission.ts';
import { createBalancer, type Balancer } from '../core/shield/balancer.ts';
import { createConcurrencyLimiter } from '../core/shield/concurrency-limit.ts';
import { createReturningClients, type ReturningClients } from '../core/shield/returning-clients.ts';
import { createKeyPageAuthorities, type KeyPageAuthorities } from './key-page-authorities.ts';

/** Counters of decisions made at the edge (the core parts count their own). */
export interface ShieldCounters {
  hits: number;
  misses: number;
  staleServed: number;
  coalescedServed: number;
  bypassed: number;
  queued: number;
  shed: number;
  /** Requests the policy would have challenged, answered from the cache instead (`serve_everyone`). */
  servedChallenged: number;
  noOrigin: number;
  refreshes: number;
  refreshFailures: number;
  /** Responses the cache failed to take because of an error (a bug; the first one is logged). */
  storeFailures: number;
}

/** Where a shield reports an unexpected failure (the composition root logs it). */
/**
 * Where a runtime gets each site's shield: the shield registry (pipeline/shield/shield-registry.ts)
 * reuses a site's shield while its shield config and origins are unchanged, so a reload keeps the cache.
 */
export interface SiteShields {
  /** The shield for a site config (reused when unchanged). */
  forSite(site: SiteConfig): SiteShield;
}

export type ShieldFailureReport = (err: unknown, site: string, what: string) => void;

export interface SiteShield {
  readonly site: string;
  /** Identity of the config this shield was built from; a different one means a new shield. */
  readonly fingerprint: string;
  readonly config: ShieldConfig;
  readonly policy: SiteCachePolicy;
  readonly keyer: CacheKeyer;
  readonly store: ResponseStore;
  readonly coalescer: Coalescer<CacheEntry>;
  readonly admission: Admission;
  readonly balancer: Balancer;
  /** Clients served normally in the last minutes (onset protection), null when turned off. */
  readonly returning: ReturningClients | null;
  readonly counters: ShieldCounters;
  /** Key pages (exact paths) kept fresh in the background. */
  readonly keyPages: ReadonlySet<string>;
  /** The scheme-qualified authorities key pages are refreshed under (key-page-authorities.ts). */
  readonly keyPageAuthorities: KeyPageAuthorities;
  /** Counts a response the cache failed to take; the first failure per shield is reported. */
  storeFailed(err: unknown): void;
  /** Housekeeping: waiter deadlines, queue deadlines, expired cache records. */
  sweep(nowMs: number): void;
  stats(nowMs: number): unknown;
}

export function shieldFingerprint(site: SiteConfig): string {
  return JSON.stringify({ shield: site.shield, origins: site.origins });
}

function limiterFor(a: ShieldConfig['admission']) {
  const bounds = { minLimit: a.min_limit, maxLimit: a.max_limit, initialLimit: a.initial_limit };
  switch (a.algorithm) {
    case 'fixed':
      return createConcurrencyLimiter({ algorithm: 'aimd', minLimit: a.max_limit, maxLimit: a.max_limit, initialLimit: a.max_limit });
    case 'aimd':
      return createConcurrencyLimiter({ algorithm: 'aimd', ...bounds, latencyThresholdMs: a.latency_threshold });
    default:
      // Latency may double before the limit shrinks (Gradient2's tolerance); no periodic probe at the
      // minimum limit (it would throttle visitors for seconds every half minute): the no-load latency
      // estimate drifts instead.
      return createConcurrencyLimiter({ algorithm: 'gradient', ...bounds, buffer: 1, minRttIntervalMs: 0, toleratedLatencyMs: a.tolerated_latency });
  }
}

/** `http(s)://<first exact host name>` of a site, or null when it has only wildcard names. */
function firstExactAuthority(site: SiteConfig): string | null {
  const host = site.hosts.find((h) => !h.includes('*'));
  return host === undefined ? null : `${site.tls ? 'https' : 'http'}://${host}`;
}

export function createSiteShield(site: SiteConfig, report: ShieldFailureReport = () => {}): SiteShield {
  const c = site.shield;
  const cache = c.cache;
  const policy = validateSiteCachePolicy({
    microTtlMs: cache.micro_ttl,
    staleWhileRevalidateMs: cache.stale_while_revalidate,
    staleIfErrorMs: cache.stale_if_error,
    maxTtlMs: cache.max_ttl,
    maxStaleMs: Math.max(cache.stale_if_error, cache.stale_while_revalidate, 1),
    honourRequestNoCache: false,
  });
  const q = c.admission.max_queue;
  const limiter = limiterFor(c.admission);
  const admission = createAdmission({
    limiter,
    // Reserve room for cleared and returning visitors: unknown clients may fill half the queue,
    // suspicious ones a quarter (beyond, lower priorities' longest lines make room for higher ones).
    caps: [q, q, Math.ceil(q / 2), Math.ceil(q / 4)],
    maxTotal: q,
    maxWaitMs: c.admission.max_wait,
    perClientShare: c.admission.max_per_client,
  });
  const store = createResponseStore({
    maxBytes: Math.max(cache.max_bytes, cache.max_object_bytes),
    maxObjectBytes: cache.max_object_bytes,
    maxKeys: cache.max_keys,
    admitAfterUses: cache.admit_after_uses,
    seed: randomInt(0, 2 ** 31),
  });
  const balancer = createBalancer({
    origins: site.origins,
    strategy: c.balance,
    maxEjectedShare: c.max_ejected_percent / 100,
    breaker: { failureThreshold: c.breaker.failure_threshold, coolDownMs: c.breaker.cool_down, maxCoolDownMs: c.breaker.max_cool_down },
    health: c.health_check ? { rise: c.health_check.rise, fall: c.health_check.fall, initial: 'up' } : undefined,
  });
  const coalescer = createCoalescer<CacheEntry>({ maxFlightMs: Math.max(60_000, site.origin.headers_timeout + site.origin.body_timeout) });
  const rc = c.returning_clients;
  const returning = rc.enabled ? createReturningClients({ rememberMs: rc.remember, minAgeMs: rc.min_age, maxClients: rc.max_clients }) : null;
  const counters: ShieldCounters = { hits: 0, misses: 0, staleServed: 0, coalescedServed: 0, bypassed: 0, queued: 0, shed: 0, servedChallenged: 0, noOrigin: 0, refreshes: 0, refreshFailures: 0, storeFailures: 0 };
  return {
    site: site.name,
    fingerprint: shieldFingerprint(site),
    config: c,
    policy,
    keyer: createCacheKeyer({ dropParams: cache.drop_params, ignoreQueryPaths: cache.ignore_query_paths }),
    store,
    coalescer,
    admission,
    balancer,
    returning,
    counters,
    keyPages: new Set(cache.key_pages),
    keyPageAuthorities: createKeyPageAuthorities(firstExactAuthority(site)),
    storeFailed(err) {
      if (counters.storeFailures++ === 0) report(err, site.name, 'a response could not be stored in the cache; it was still answered (reported once per site; counted in shield.cache.storeFailures)');
    },
    sweep(nowMs) {
      coalescer.expire(nowMs);
      admission.expire(nowMs);
      store.sweep(nowMs, 64);
    },
    stats(nowMs) {
      const a = admission.stats();
      return {
        cache: { enabled: cache.enabled, ...counters, store: store.stats(), coalescer: coalescer.stats() },
        admission: { ...a, in_flight: a.inflight, current_limit: a.limit, limiter: limiter.stats() },
        returning_clients: returning?.stats() ?? null,
        origins: balancer.stats(nowMs),
      };
    },
  };
}
