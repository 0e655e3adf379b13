/**
 * The `challenge:` block of a site (issue #4): the private, self-hosted interstitial that lets browsers
 * prove themselves. Difficulty and the no-JavaScript wait follow the site's threat level.
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
  difficulty: perLevel(z.number().int().min(1).max(30))
    .prefault({})
    .describe('proof-of-work leading zero bits per threat level (defaults 14 / 16 / 18: about 0.2-0.5 s in a browser)'),
  nojs_wait: perLevel(duration('wait before a client without JavaScript is cleared; 0 closes the no-JS path at that level', { min: '1s', max: '10m', off: true }))
    .prefault({})
    .describe('no-JavaScript path: defaults 5s at normal, 10s elevated, 20s under attack; 0 closes it at that level'),
  token_lifetime: duration('how long a challenge may be answered', { min: '30s', max: MAX_TOKEN_LIFETIME_MS }).default(300_000),
  clearance_lifetime: duration('how long a clearance cookie is valid', { min: '1m', max: '30d' }).default(3_600_000),
  binding: z.enum(['prefix', 'address']).default('prefix').describe('what a clearance is bound to (prefix survives mobile address changes)'),
  api_paths: z.array(pathPattern).default([]).describe('API paths: answered 429/503 with Retry-After, never a page'),
  feed_paths: z.array(pathPattern).optional().describe('feed paths answered with a status (default: common feed locations)'),
  pass_paths: z.array(pathPattern).default([]).describe('paths never challenged'),
  status_only_paths: z.array(pathPattern).default([]).describe('other paths answered with a status only'),
});

export type ChallengeConfig = z.output<typeof challengeSchema>;
