/**
 * The 404 budget (docs/threats.md, cache busting: "random-path 404 storms recognised"): every 404 a client
 * prefix receives is counted against a GCRA budget; a prefix that overspends it is answered 429 for the
 * budget's Retry-After on every path (`limit/not-found`), which also counts toward escalation to a ban.
 * A site's visitors rarely see more than a handful of 404s; a scanner or a random-path flood sees
 * hundreds. Bounded: the counters live in the process's fixed-size limiter table, the penalties in an LRU.
 */
import { LRUCache } from 'lru-cache';
import { createLimitEvaluator, type LimitEvaluator, type LimiterTable, type LimitsVerdict } from '../core/ratelimit/index.ts';
import type { RequestFacts } from '../core/ratelimit/facts.ts';
import type { Decision } from '../core/vocabulary.ts';

export interface NotFoundBudgetConfig {
  readonly enabled: boolean;
  readonly average: number;
  readonly period: number;
  readonly burst: number;
}

/** A prefix's open penalty: the 429 decision and the refused budget check its RateLimit headers describe. */
export interface NotFoundPenalty {
  readonly decision: Decision;
  readonly limits: LimitsVerdict;
  readonly untilMs: number;
}

export interface NotFoundBudget {
  /** Counts a 404 answered to this client; opens a penalty when the budget is overspent. */
  note(site: string, address: string, prefix: string, nowMs: number): void;
  /** The penalty this client's prefix is serving, if any. */
  penalty(site: string, prefix: string, nowMs: number): NotFoundPenalty | null;
  readonly penalised: number;
}

const NO_HEADER = (): undefined => undefined;

export function createNotFoundBudget(table: LimiterTable, config: NotFoundBudgetConfig): NotFoundBudget {
  const evaluator: LimitEvaluator | null = config.enabled
    ? createLimitEvaluator({ limits: [{ name: 'not-found', average: config.average, period: config.period, burst: config.burst, key: ['site', 'prefix'] }], table })
    : null;
  // At most 100,000 prefixes, least recently used out first; counted by size rather than `max`, which
  // would make lru-cache allocate two 100,000-slot arrays up front (1.5 MB) before any 404 is seen.
  const penalties = new LRUCache<string, NotFoundPenalty>({ maxSize: 100_000, sizeCalculation: () => 1 });
  return {
    note(site, address, prefix, nowMs) {
      if (evaluator === null || prefix === '') return;
      const facts: RequestFacts = { address, prefix, asn: null, country: null, fingerprint: '', site, method: 'GET', path: '/', header: NO_HEADER };
      const verdict = evaluator.evaluate(facts, nowMs);
      if (verdict.refused === null) return;
      const retryMs = Math.max(1000, verdict.refused.result.retryAfterMs);
      penalties.set(`${site}|${prefix}`, {
        untilMs: nowMs + retryMs,
        decision: { action: 'rate_limit', by: 'limit/not-found', retryAfterS: Math.ceil(retryMs / 1000) },
        limits: verdict,
      });
    },
    penalty(site, prefix, nowMs) {
      if (penalties.size === 0) return null;
      const p = penalties.get(`${site}|${prefix}`);
      if (p === undefined) return null;
      if (p.untilMs <= nowMs) {
        penalties.delete(`${site}|${prefix}`);
        return null;
      }
      return p;
    },
    get penalised() {
      return penalties.size;
    },
  };
}
