/**
 * From limit decisions to HTTP: `Retry-After` (RFC 9110 §10.2.3), the `RateLimit-Policy` and `RateLimit`
 * fields of draft-ietf-httpapi-ratelimit-headers (-10: a Structured Fields list of quoted policy names
 * with `q`/`w` and `r`/`t` parameters), and the `rate_limit` Decision value.
 *
 * A GCRA limit is advertised as its bucket: quota `q` = `burst` units, window `w` = the seconds a whole
 * bucket takes to refill (burst·period/average, rounded up), so `q / w` is the long-run rate and the
 * remaining `r` (≤ burst) is measured in the same units. `t` is the seconds until the bucket is full again.
 * Shadow limits are never advertised: clients must not react to limits that are not enforced.
 */
import type { Decision } from '../vocabulary.ts';
import type { RateLimitResult } from './gcra.ts';
import type { CompiledLimit, LimitCheck, LimitsVerdict } from './evaluator.ts';

/** Seconds for `Retry-After`: the refusal's wait rounded up, at least 1 (a 0 invites an instant retry). */
export function retryAfterSeconds(result: RateLimitResult): number {
  return Math.max(1, Math.ceil(result.retryAfterMs / 1000));
}

/** One `RateLimit-Policy` list member for a limit: `"per-ip";q=20;w=2`. */
export function rateLimitPolicyItem(limit: CompiledLimit): string {
  return `"${limit.name}";q=${limit.gcra.burst};w=${Math.max(1, Math.ceil(limit.gcra.toleranceMs / 1000))}`;
}

/** One `RateLimit` list member: `"per-ip";r=0;t=2` (remaining units, seconds until the bucket is full). */
export function formatRateLimitItem(name: string, remaining: number, resetMs: number): string {
  return `"${name}";r=${remaining};t=${Math.ceil(resetMs / 1000)}`;
}

/** One `RateLimit` list member for a check: `"per-ip";r=0;t=2`. */
export function rateLimitItem(check: LimitCheck): string {
  return formatRateLimitItem(check.name, check.result.remaining, check.result.resetMs);
}

/** The response fields for a verdict, lower-case names; empty when no enforced limit applied. */
export interface RateLimitFields {
  readonly 'ratelimit-policy'?: string;
  readonly ratelimit?: string;
  readonly 'retry-after'?: string;
}

/**
 * Header fields for a verdict: on a refusal, `Retry-After` plus the refusing limit's `RateLimit` and
 * `RateLimit-Policy` (the one the client must respect); otherwise every applicable enforced limit, so a
 * well-behaved client can pace itself. Names come from the limit-name grammar, so they need no escaping.
 */
export function rateLimitFields(verdict: LimitsVerdict): RateLimitFields {
  if (verdict.refused !== null) {
    const r = verdict.refused;
    return {
      'ratelimit-policy': rateLimitPolicyItem(r.limit),
      ratelimit: rateLimitItem(r),
      'retry-after': String(retryAfterSeconds(r.result)),
    };
  }
  const enforced = verdict.checks.filter((c) => !c.shadow);
  if (enforced.length === 0) return {};
  return {
    'ratelimit-policy': enforced.map((c) => rateLimitPolicyItem(c.limit)).join(', '),
    ratelimit: enforced.map(rateLimitItem).join(', '),
  };
}

/** The `rate_limit` decision for a refused check, naming `limit/<name>` as its cause. */
export function rateLimitDecision(check: LimitCheck): Decision {
  return {
    action: 'rate_limit',
    by: check.limit.by,
    retryAfterS: retryAfterSeconds(check.result),
    limit: check.result.limit,
    remaining: check.result.remaining,
    resetS: Math.ceil(check.result.resetMs / 1000),
  };
}
