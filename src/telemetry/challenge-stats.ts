/**
 * Challenge solve rates per rule (issue #4): issued, solved and failed (by reason), and solve time.
 * The solve rate of a rule is how an operator sees its false positives: a rule that challenges real
 * visitors shows a high solve rate, one that catches bots shows a low one.
 *
 * Solves are attributed to the rule that issued the challenge through a bounded nonce → rule table
 * (LRU, one token lifetime); a solve whose nonce fell out of the table counts under `(unknown)`.
 */
import { LRUCache } from 'lru-cache';
import { LATENCY_BUCKETS, latencyBucket, percentileOf } from './latency-histogram.ts';

export interface RuleChallengeStats {
  issued: number;
  solved: number;
  failed: number;
  readonly failures: Record<string, number>;
  readonly solveMs: Float64Array;
}

export interface ChallengeStats {
  issued(rule: string, nonce: string): void;
  solved(nonce: string, solveMs: number): void;
  failed(reason: string, nonce: string | undefined): void;
  /** Requests answered with a status instead of a page (API, feeds, non-browsers), per rule. */
  statusOnly(rule: string): void;
  snapshot(): Record<string, { issued: number; solved: number; failed: number; status_only: number; solve_rate: number | null; solve_p50_ms: number | null; solve_p90_ms: number | null; failures: Record<string, number> }>;
}

const MAX_RULES = 256;

export function createChallengeStats(maxTracked = 100_000): ChallengeStats {
  const byRule = new Map<string, RuleChallengeStats & { statusOnly: number }>();
  const ruleOfNonce = new LRUCache<string, string>({ max: maxTracked });

  function of(rule: string) {
    let s = byRule.get(rule);
    if (s === undefined) {
      if (byRule.size >= MAX_RULES) rule = '(other)';
      s = byRule.get(rule);
      if (s === undefined) {
        s = { issued: 0, solved: 0, failed: 0, statusOnly: 0, failures: {}, solveMs: new Float64Array(LATENCY_BUCKETS) };
        byRule.set(rule, s);
      }
    }
    return s;
  }

  return {
    issued(rule, nonce) {
      of(rule).issued++;
      ruleOfNonce.set(nonce, rule);
    },
    solved(nonce, solveMs) {
      const s = of(ruleOfNonce.get(nonce) ?? '(unknown)');
      s.solved++;
      s.solveMs[latencyBucket(solveMs)]!++;
    },
    failed(reason, nonce) {
      const s = of((nonce !== undefined ? ruleOfNonce.get(nonce) : undefined) ?? '(unknown)');
      s.failed++;
      s.failures[reason] = (s.failures[reason] ?? 0) + 1;
    },
    statusOnly(rule) {
      of(rule).statusOnly++;
    },
    snapshot() {
      const out: ReturnType<ChallengeStats['snapshot']> = {};
      for (const [rule, s] of byRule) {
        out[rule] = {
          issued: s.issued,
          solved: s.solved,
          failed: s.failed,
          status_only: s.statusOnly,
          solve_rate: s.issued > 0 ? Math.min(1, s.solved / s.issued) : null,
          solve_p50_ms: percentileOf(s.solveMs, 0.5),
          solve_p90_ms: percentileOf(s.solveMs, 0.9),
          failures: { ...s.failures },
        };
      }
      return out;
    },
  };
}
