/**
 * `policy:` — rules and rate limits. A top-level `policy:` applies to every site; a site's own
 * `policy:` adds rules evaluated before the global ones and limits evaluated with them. Rule semantics
 * (CEL compilation, regex safety, imports) are checked by the policy compiler after this schema, and its
 * problems are reported with the rule's name and position (config/policy-check.ts).
 *
 * Rate limits use Traefik's words: `average` requests per `period`, with `burst`.
 */
import { z } from 'zod';
import { duration } from './schema-units.ts';

const oneOrMany = <T extends z.ZodType>(t: T) => z.union([t, z.array(t).min(1)]);
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/, { message: 'names are 1-48 characters: letters, digits, . _ -' });

export const keyPartSchema = z.union([
  z.enum(['address', 'prefix', 'asn', 'country', 'fingerprint', 'site', 'path', 'method']),
  z.strictObject({ header: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, { message: 'a header name' }) }),
]);

export const ruleMatchSchema = z.strictObject({
  path: oneOrMany(z.string().min(1)).optional().describe('path patterns: /prefix, =/exact, globs with * and **, ~regex'),
  user_agent: z.string().min(1).optional().describe('regex; (?i) makes it case-insensitive'),
  header: z.record(z.string().min(1), z.string()).optional().describe('header name → regex'),
  cidr: oneOrMany(z.string().min(1)).optional(),
  method: oneOrMany(z.string().min(1)).optional(),
  country: oneOrMany(z.string().length(2)).optional(),
  asn: oneOrMany(z.number().int().min(0).max(4_294_967_295)).optional(),
  fingerprint: oneOrMany(z.string().min(1)).optional(),
  ua_class: oneOrMany(z.enum(['browser', 'crawler', 'library', 'unknown'])).optional(),
});

export const ruleSchema = z.strictObject({
  name,
  match: ruleMatchSchema.optional(),
  expr: z.string().min(1).optional().describe('CEL over the request facts, e.g. path.startsWith("/wp-") && ua_class == "library"'),
  action: z.enum(['allow', 'block', 'challenge', 'rate_limit', 'tarpit', 'log']),
  shadow: z.boolean().default(false).describe('count and log what the rule would do, do nothing'),
  difficulty: z.number().int().min(1).max(30).optional().describe('proof-of-work bits for action challenge'),
  rate_limit: z
    .strictObject({
      average: z.number().positive(),
      period: duration('period of `average`', { min: '100ms', max: '7d' }).default(1000),
      burst: z.number().int().min(1).default(1),
      key: z.array(keyPartSchema).default(['address']),
    })
    .optional(),
});

export const limitSchema = z.strictObject({
  name,
  average: z.number().positive().describe('requests per period'),
  period: duration('period of `average`', { min: '100ms', max: '7d' }).default(1000),
  burst: z.number().int().min(1).default(1).describe('requests allowed at once above the average'),
  key: z.array(keyPartSchema).min(1).describe('what is counted separately, e.g. [address] or [prefix, path]'),
  match: z
    .strictObject({
      path: oneOrMany(z.string().min(1)).optional(),
      methods: z.array(z.string().min(1)).optional(),
    })
    .optional(),
  shadow: z.boolean().default(false),
  exact: z
    .boolean()
    .default(false)
    .describe('with shared_state: also count this limit on the shared server for every request admitted here (exact across machines, one round trip per request; a slow or unreachable server falls back to the local count)'),
});

export const sitePolicySchema = z.strictObject({
  import: z.array(z.string().min(1)).default([]).describe('policy files (YAML) whose rules come before these'),
  rules: z.array(ruleSchema).default([]),
  limits: z.array(limitSchema).default([]),
});

export const escalationSchema = z.strictObject({
  enabled: z.boolean().default(true),
  ladder: z.array(duration('a ban duration', { min: '1s', max: '365d' })).min(1).default([60_000, 600_000, 3_600_000, 86_400_000]).describe('ban durations for repeat offenders'),
  address_threshold: z.number().int().positive().default(10).describe('refusals within address_window that ban an address'),
  address_window: duration('window of address_threshold', { min: '1s', max: '1d' }).default(60_000),
  prefix_threshold: z.number().int().positive().nullable().default(null).describe('refusals that ban a whole prefix (off by default: carrier NAT)'),
  prefix_window: duration('window of prefix_threshold', { min: '1s', max: '1d' }).default(60_000),
  forgive_after: duration('good behaviour that steps a client down one rung', { min: '1m', max: '365d' }).default(6 * 3_600_000),
  challenge_failures: z.boolean().default(true).describe('failed challenge answers count as refusals'),
});

export const notFoundSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    average: z.number().positive().default(20).describe('404 answers per period a client prefix may receive'),
    period: duration('period of `average`', { min: '1s', max: '7d' }).default(60_000),
    burst: z.number().int().min(1).default(40),
  })
  .describe('the 404 budget: a prefix that keeps hitting missing pages (scanners, random-path floods) is answered 429');

export const globalPolicySchema = sitePolicySchema.extend({
  not_found: notFoundSchema.prefault({}),
  escalation: escalationSchema.prefault({}),
  max_tracked_clients: z.number().int().min(1024).default(1_000_000).describe('rate-limit table size (fixed memory, ~24 bytes each); change needs a restart'),
});

export type SitePolicyConfig = z.output<typeof sitePolicySchema>;
export type GlobalPolicyConfig = z.output<typeof globalPolicySchema>;
