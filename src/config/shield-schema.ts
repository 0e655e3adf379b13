/**
 * The `shield:` block of a site: micro-cache, coalescing, serve-stale, admission control
 * toward the origin, circuit breaker, balancing and health checks. Defaults are what a newsroom site
 * behind Bulwark should get without thinking: the cache honours the origin's Cache-Control, serves stale
 * for five minutes when the origin fails, and never lets more requests reach the origin than it answers
 * promptly.
 */
import { z } from 'zod';
import { duration, size } from './schema-units.ts';

const pathPattern = z.string().regex(/^\//, { message: 'path patterns start with / (use * for one segment, ** for any)' });

export const cacheSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    micro_ttl: duration('opt-in freshness for anonymous requests to pages without explicit caching headers', { min: '1s', max: '10s', off: true }).default(0),
    stale_while_revalidate: duration('serve a stale page this long while one request refreshes it (when the origin gives no window)', { min: '1s', max: '1d', off: true }).default(10_000),
    stale_if_error: duration('serve a stale page this long when the origin fails (when the origin gives no window)', { min: '1s', max: '30d', off: true }).default(300_000),
    max_ttl: duration('cap on any freshness lifetime', { min: '1s', max: '365d' }).default(86_400_000),
    max_bytes: size('memory budget of the cache (LRU beyond)', { min: '1mb', max: '1024gb' }).default(64 * 1024 * 1024),
    max_object_bytes: size('largest response body cached', { min: '1kb', max: '1gb' }).default(1024 * 1024),
    max_keys: z.number().int().positive().default(100_000),
    admit_after_uses: z.number().int().min(1).max(16).default(2).describe('uses before a new URL is stored (one-off random URLs never evict popular pages)'),
    drop_params: z.array(z.string().min(1)).default([]).describe('query parameters dropped from cache keys (tracking parameters are always dropped)'),
    ignore_query_paths: z.array(pathPattern).default([]).describe('paths whose query string is ignored entirely for caching (and not forwarded)'),
    key_pages: z.array(pathPattern.refine((p) => !p.includes('*'), { message: 'key pages are exact paths' })).max(16).default([]).describe('pages refreshed in the background so there is always something to show'),
    key_page_refresh: duration('how often key pages are refreshed', { min: '1s', max: '1h' }).default(5_000),
    coalesce_wait: duration('longest wait for a coalesced request to get the leader response', { min: '100ms', max: '5m' }).default(10_000),
    serve_everyone: z
      .boolean()
      .default(true)
      .describe('a cached copy costs the origin nothing: serve it (fresh, or under attack stale) to every client that is not blocked, banned or rate-limited, challenged or not, browser or not; challenges guard what would reach the origin'),
  })
  .describe('micro-cache, coalescing and serve-stale');

export const admissionSchema = z
  .strictObject({
    algorithm: z.enum(['gradient', 'aimd', 'fixed']).default('gradient').describe('adaptive limit toward the origin (fixed = max_limit)'),
    min_limit: z.number().int().positive().default(4),
    max_limit: z.number().int().positive().default(256).describe('never more requests in flight to the origin than this: set it to the origin\'s capacity when known (the adaptive limit otherwise learns a hard cap from the origin\'s first refusals)'),
    initial_limit: z.number().int().positive().default(32),
    latency_threshold: duration('AIMD: a response slower than this counts as overload', { min: '10ms', max: '5m' }).default(1000),
    tolerated_latency: duration(
      'gradient: while the origin answers within this, a rise of its latency never shrinks the limit (a busy host or network must not strangle a fast origin that has room); its overload answers still do; 0 off',
      { min: '1ms', max: '1m', off: true },
    ).default(250),
    max_queue: z.number().int().min(0).default(2000).describe('requests waiting for a slot at most (all priorities)'),
    max_wait: duration('a request that waits longer gets the 503 "high demand" page', { min: '10ms', max: '5m' }).default(5_000),
    max_per_client: z
      .number()
      .int()
      .min(1)
      .default(8)
      .describe('fair share under contention: an address holding this many origin slots (its prefix four times as many) lets other waiting clients go first; never a reason to refuse while the origin has room'),
  })
  .superRefine((a, ctx) => {
    if (a.min_limit > a.max_limit) ctx.addIssue({ code: 'custom', path: ['min_limit'], message: 'min_limit must not exceed max_limit' });
    if (a.initial_limit < a.min_limit || a.initial_limit > a.max_limit) {
      ctx.addIssue({ code: 'custom', path: ['initial_limit'], message: 'initial_limit must lie between min_limit and max_limit' });
    }
  })
  .describe('adaptive concurrency limit with a priority queue');

export const returningClientsSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    remember: duration('how long a client (by prefix) served normally while the site was calm is remembered', { min: '10s', max: '1d' }).default(600_000),
    min_age: duration('a client counts as returning once first served at least this long ago (a surge\'s own sources are younger while it is being decided)', { min: 0, max: '1h' }).default(20_000),
    max_clients: z.number().int().min(100).max(10_000_000).default(50_000).describe('clients remembered at most (a quarter for new ones; a burst of new sources cannot push known ones out)'),
  })
  .describe('onset protection: at the start of a flood, before the detector has decided, clients served normally in the last minutes queue for the origin ahead of unknown ones (behind cleared visitors)');

export const breakerSchema = z
  .strictObject({
    failure_threshold: z.number().int().positive().default(5).describe('consecutive failures that open the circuit'),
    cool_down: duration('time before the first half-open probe', { min: '100ms', max: '1h' }).default(5_000),
    max_cool_down: duration('longest cool-down after repeated failed probes; at least cool_down', { min: '100ms', max: '1d' }).default(60_000),
  })
  .superRefine((b, ctx) => {
    if (b.max_cool_down < b.cool_down) ctx.addIssue({ code: 'custom', path: ['max_cool_down'], message: 'max_cool_down must not be shorter than cool_down' });
  });

export const healthCheckSchema = z.strictObject({
  path: pathPattern.describe('GET this path on every origin'),
  interval: duration('between checks', { min: '1s', max: '1h' }).default(5_000),
  timeout: duration('a check slower than this fails', { min: '100ms', max: '5m' }).default(2_000),
  rise: z.number().int().positive().default(2),
  fall: z.number().int().positive().default(3),
});

export const shieldSchema = z.strictObject({
  cache: cacheSchema.prefault({}),
  admission: admissionSchema.prefault({}),
  returning_clients: returningClientsSchema.prefault({}),
  breaker: breakerSchema.prefault({}),
  balance: z.enum(['round_robin', 'least_pending']).default('round_robin'),
  max_ejected_percent: z
    .number()
    .int()
    .min(0)
    .max(100)
    .default(50)
    .describe('share of the origins passive health may eject at once, rounded down (one origin is never ejected; never the last usable one); overload answers (503, 429) never eject'),
  health_check: healthCheckSchema.optional(),
  retry_after: duration('Retry-After sent with the 503 "high demand" page', { min: '1s', max: '1h' }).default(5_000),
  request_buffer: size('request bodies up to this size are received whole before the origin is asked (slow POST never holds an origin slot); 0 streams everything', { min: 1, max: '1gb', off: true }).default(1024 * 1024),
});

export type ShieldConfig = z.output<typeof shieldSchema>;
