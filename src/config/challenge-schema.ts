/**
 * The `challenge:` block of a site: the private, self-hosted interstitial that lets browsers prove
 * themselves. The work asked (a time budget on a slow phone, or a fixed difficulty) and the
 * no-JavaScript wait follow the site's threat level; what a clearance is bound to is chosen per site.
 */
import { z } from 'zod';
import { duration } from './schema-units.ts';

/** The replay set remembers accepted answers this long, so no token may live longer. */
export const MAX_TOKEN_LIFETIME_MS = 600_000;

const perLevel = <T extends z.ZodType>(t: T) =>
  z.strictObject({ normal: t.optional(), elevated: t.optional(), under_attack: t.optional() });

const pathPattern = z.string().regex(/^\//, { message: 'path patterns start with / (* = one segment, ** = any)' });

export const challengeSchema = z.strictObject({
  site_name: z.string().min(1).max(80).optional().describe('name shown to visitors on the challenge page (default: the site name)'),
  time_budget: perLevel(
    duration('time a visitor on a slow phone may spend on the puzzle', { min: '100ms', max: '30s' }),
  )
    .prefault({})
    .describe('puzzle size per threat level as time on a slow phone (defaults 500ms / 1s / 1200ms); a desktop needs a fraction of it'),
  reference_hash_rate: z
    .number()
    .int()
    .min(10_000)
    .max(100_000_000)
    .default(250_000)
    .describe('SHA-256 attempts per second of the slow phone time_budget is written for (one core of a budget phone: ~250000)'),
  difficulty: perLevel(z.number().int().min(1).max(30))
    .prefault({})
    .describe('fixed proof-of-work size per threat level, as leading zero bits of one search (2^bits attempts); wins over time_budget'),
  nojs_wait: perLevel(duration('wait before a client without JavaScript is cleared; 0 closes the no-JS path at that level', { min: '1s', max: '10m', off: true }))
    .prefault({})
    .describe('no-JavaScript path: defaults 5s at normal, 10s elevated, 20s under attack; 0 closes it at that level'),
  token_lifetime: duration('how long a challenge may be answered', { min: '30s', max: MAX_TOKEN_LIFETIME_MS }).default(300_000),
  clearance_lifetime: duration('how long a clearance earned by solving the puzzle is valid', { min: '1m', max: '30d' }).default(3_600_000),
  nojs_clearance_lifetime: duration('how long a clearance earned by the no-JavaScript wait is valid (at most clearance_lifetime)', { min: '1m', max: '1d' }).default(600_000),
  binding: z
    .enum(['prefix', 'address', 'network'])
    .default('prefix')
    .describe(
      'what a solved clearance is bound to: prefix (the /24 or /64; survives address changes inside it), address (exact), ' +
        'or network (the address\'s AS plus user agent and Accept-Language; survives IPv4/IPv6 and carrier-pool changes). ' +
        'A no-JavaScript clearance is always bound to the exact address and user agent',
    ),
  network_max_prefixes: z
    .number()
    .int()
    .min(2)
    .max(64)
    .default(8)
    .describe('network binding: distinct /24 or /64 prefixes one clearance may be used from before it is refused as shared'),
  api_paths: z.array(pathPattern).default([]).describe('API paths: answered 429/503 with Retry-After, never a page'),
  feed_paths: z.array(pathPattern).optional().describe('feed paths answered with a status (default: common feed locations)'),
  pass_paths: z.array(pathPattern).default([]).describe('paths never challenged'),
  status_only_paths: z.array(pathPattern).default([]).describe('other paths answered with a status only'),
});

export type ChallengeConfig = z.output<typeof challengeSchema>;
