/**
 * The top-level `detection:` block of bulwark.yaml: the detector's tick, the operator-facing
 * knobs of the core's DetectorConfig / SignatureConfig / baseline, the incident lifecycle and privacy.
 * Defaults are the core's (src/core/detect/detector-config.ts, signatures.ts, baseline.ts), restated here
 * in the operator's units; `detectionCoreOptions` maps the parsed block onto the core's option objects.
 *
 * Only the knobs an operator has reason to turn are exposed. Each surge threshold is given as its *raise*
 * value (ratio over the baseline, absolute floor); the matching *hold* and *drift* values are scaled by
 * the same factor as the raise value moved from its default, so hysteresis keeps its proportions
 * (a hold threshold can never end up above its raise threshold).
 */
import { z } from 'zod';
import { duration } from './schema-units.ts';

const ratio = (what: string) => z.number().min(1).max(10_000).describe(what);
const floor = (what: string) => z.number().min(0).max(10_000_000).describe(what);
const share = (what: string) => z.number().min(0).max(1).describe(what);

const surgeLevel = (r: number, min: number) =>
  z.strictObject({
    ratio: ratio('times above the learned normal').default(r),
    min: floor('absolute floor per second: below it nothing is a surge').default(min),
  });

const surgeSchema = (d: { elevated: [number, number]; under_attack: [number, number] }, what: string) =>
  z
    .strictObject({
      elevated: surgeLevel(...d.elevated).prefault({}),
      under_attack: surgeLevel(...d.under_attack).prefault({}),
    })
    .superRefine((s, ctx) => {
      if (s.under_attack.ratio < s.elevated.ratio) ctx.addIssue({ code: 'custom', path: ['under_attack', 'ratio'], message: 'under_attack.ratio must not be below elevated.ratio' });
      if (s.under_attack.min < s.elevated.min) ctx.addIssue({ code: 'custom', path: ['under_attack', 'min'], message: 'under_attack.min must not be below elevated.min' });
    })
    .describe(what);

const coldFloors = (unit: string, elevated: number, underAttack: number) =>
  z
    .strictObject({
      elevated: z.number().min(1).max(10_000_000).default(elevated).describe(`${unit} that, with the origin saturated, raise elevated`),
      under_attack: z.number().min(1).max(10_000_000).default(underAttack).describe(`${unit} that, with the origin saturated, raise under_attack`),
    })
    .superRefine((f, ctx) => {
      if (f.under_attack < f.elevated) ctx.addIssue({ code: 'custom', path: ['under_attack'], message: 'under_attack must not be below elevated' });
    })
    .prefault({});

export const detectorKnobsSchema = z.strictObject({
  rate: surgeSchema({ elevated: [3, 20], under_attack: [8, 100] }, 'uncleared requests per second above the baseline').prefault({}),
  sources: surgeSchema({ elevated: [3, 50], under_attack: [10, 500] }, 'distinct uncleared clients per second above the baseline').prefault({}),
  warmup_floor: z
    .strictObject({
      rps: z.strictObject({ elevated: floor('req/s').default(200), under_attack: floor('req/s').default(1000) }).prefault({}),
      sources: z.strictObject({ elevated: floor('clients/s').default(500), under_attack: floor('clients/s').default(2000) }).prefault({}),
    })
    .prefault({})
    .describe('while the baseline warms up, a level is raised only above these absolute rates'),
  cold_start: z
    .strictObject({
      enabled: z.boolean().default(true).describe('raise a level before any baseline is learned when the origin is saturated under a surge of uncleared traffic'),
      rps: coldFloors('req/s', 200, 1000),
      sources: coldFloors('clients/s', 200, 1000),
    })
    .prefault({})
    .describe(
      'a Bulwark started without a saved baseline cannot judge a surge yet; meanwhile the admission queue long or shedding (the origin saturated) together with uncleared requests or distinct uncleared clients per second at these floors raises the level, and such seconds are never learned as normal. The level is held while the surge stays above half the floors',
    ),
  confirm_ticks: z.number().int().min(1).max(30).default(1).describe('consecutive seconds a higher level must be indicated before it is entered'),
  calm: duration('continuous calm before each automatic step down', { min: '1s', max: '1d' }).default(30_000),
  min_dwell: z
    .strictObject({
      elevated: duration('minimum time at elevated before stepping down', { min: '1s', max: '1d' }).default(30_000),
      under_attack: duration('minimum time at under_attack before stepping down', { min: '1s', max: '1d' }).default(60_000),
    })
    .prefault({}),
});

export const signaturesSchema = z.strictObject({
  shadow: z.boolean().default(false).describe('propose and log signature rules, never apply them'),
  ttl: duration('lifetime of a signature rule, renewed while the detector proposes it again', { min: '1s', max: '7d' }).default(300_000),
  max_rules: z.number().int().min(0).max(64).default(8).describe('signature rules active per site at most'),
  min_attack_share: share('a key must carry this share of current uncleared traffic').default(0.1),
  min_lift: ratio('... and this many times its baseline share').default(3),
  min_key_rps: floor('... and this many requests per second').default(10),
  max_collateral: z
    .strictObject({
      challenge: share('share of normal traffic a challenge rule may hit and still be applied').default(0.05),
      rate_limit: share('... a rate_limit rule').default(0.01),
      block: share('... a block rule').default(0.002),
    })
    .prefault({}),
  apply_while_warming_up: z.boolean().default(false).describe('apply rules before the baseline is warm (their collateral is then unknown)'),
});

export const incidentsSchema = z.strictObject({
  calm: duration('an incident closes once its site has been back at normal this long', { min: '1s', max: '1d' }).default(60_000),
  update_every: duration('how often the open incident record (tops, actions, visitors) is rewritten; the timeline is written every second', { min: '1s', max: '1h' }).default(5_000),
  resume_gap: duration('after a restart, an incident silent for at most this long is continued; longer ones are closed as interrupted', { min: '1s', max: '7d' }).default(300_000),
  compare_with: z.number().int().min(0).max(50).default(5).describe("closed incidents of the same site a new one is compared with (recurrence)"),
});

export const detectionSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('run the detector: threat levels, signature rules and incidents'),
    persist_every: duration('how often baselines, detector state and active rules are saved (also at stop)', { min: '1s', max: '1h' }).default(10_000),
    override_poll: duration('how often an operator override (`bulwark mode`) written to the state database is re-read', { min: '100ms', max: '1h' }).default(1_000),
    window: z
      .strictObject({
        seconds: z.number().int().min(3).max(60).default(10).describe('seconds of per-second aggregates kept'),
        recent_seconds: z.number().int().min(1).max(30).default(3).describe('seconds of heavy hitters (top keys) looked at'),
      })
      .prefault({})
      .refine((w) => w.recent_seconds <= w.seconds, { message: 'recent_seconds must not exceed seconds', path: ['recent_seconds'] }),
    baseline: z
      .strictObject({
        warmup: duration('traffic learned before the baseline is trusted (until then only absolute floors raise a level); 0 trusts it at once', { min: '1s', max: '30d', off: true }).default(600_000),
        max_age: duration('a saved baseline older than this is re-warmed on start', { min: '1m', max: '365d' }).default(7 * 86_400_000),
        learn_delay: duration(
          'a second of traffic is learned only once this old, and only if the level did not rise meanwhile: the first seconds of an attack, before the level rose, never become normal; 0 learns at once',
          { min: '1s', max: '1h', off: true },
        ).default(30_000),
        max_growth_per_hour: z
          .number()
          .min(1)
          .max(1000)
          .default(2)
          .describe('the learned normal rises at most this factor per hour of learning, so patient ramps and teaching bursts cannot move it faster'),
        seasonal: z
          .strictObject({
            enabled: z.boolean().default(true).describe('learn what normal looks like per hour of the day and of the week (UTC)'),
            min_periods: z.number().int().min(1).max(52).default(2).describe('earlier days (or weeks) an hour needs before its seasonal normal is trusted'),
            quantile: z.number().min(0.5).max(1).default(0.95).describe('the quantile of an hour the detector compares with'),
            decay: z.number().min(0).max(1).default(0.5).describe('weight older days (weeks) keep each time an hour comes round again'),
          })
          .prefault({})
          .describe('robust per-hour statistics: a regular evening peak is normal, the same surge at 3 a.m. is not'),
      })
      .prefault({}),
    restore: z
      .strictObject({
        max_age: duration(
          'at start, the threat level, its override and the active signature rules are restored when saved at most this long ago (they are saved at every change): a restart during an attack keeps defending; 0 never restores them',
          { min: '1s', max: '7d', off: true },
        ).default(300_000),
      })
      .prefault({}),
    detector: detectorKnobsSchema.prefault({}),
    signatures: signaturesSchema.prefault({}),
    incidents: incidentsSchema.prefault({}),
    retention: duration('address-level source data in closed incidents is removed after this long (0 keeps it)', { min: '1h', max: '3650d', off: true }).default(30 * 86_400_000),
    truncate_addresses: z.boolean().default(false).describe('store client addresses in incidents as their /24 (IPv4) or /48 (IPv6)'),
  })
  .describe('attack detection, threat levels, signature rules and incident records');

/** The parsed `detection:` block (durations in ms). */
export type DetectionConfig = z.output<typeof detectionSchema>;

/** The defaults, as `detection: {}` parses. */
export function defaultDetectionConfig(): DetectionConfig {
  return detectionSchema.parse({});
}
