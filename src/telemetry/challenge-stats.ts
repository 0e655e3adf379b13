/**
 * Challenge solve rates per rule: issued, solved and failed (by reason), and solve time. The solve rate
 * of a rule is how an operator sees its false positives: a rule that challenges real visitors shows a
 * high solve rate, one that catches bots shows a low one.
 *
 * Solves are attributed to the rule that issued the challenge through a tag the challenge token carries
 * (signed with it): {@link ChallengeStats.issued} returns the rule's tag, a 24-bit hash of its name
 * (stable across restarts), and a solve or a failure of a genuine token hands it back. Nothing is stored
 * per challenge. The tables are bounded by {@link MAX_RULES} (rules beyond it count under `(other)`); a
 * tag no rule was seen with since the start (a token issued before a restart by a rule not seen again)
 * counts under `(unknown)`.
 */
import { LATENCY_BUCKETS, latencyBucket, percentileOf } from './latency-histogram.ts';

export interface RuleChallengeStats {
  issued: number;
  solved: number;
  failed: number;
  readonly failures: Record<string, number>;
  readonly solveMs: Float64Array;
}

export interface ChallengeStats {
  /** Counts a challenge issued by `rule` and returns the rule's tag, to carry in the challenge token. */
  issued(rule: string): number;
  /** Counts a solve of a challenge whose token carried `tag`. */
  solved(tag: number, solveMs: number): void;
  /** Counts a failure; `tag` when the token was genuine (its rule is then known). */
  failed(reason: string, tag: number | undefined): void;
  /** Requests answered with a status instead of a page (API, feeds, non-browsers), per rule. */
  statusOnly(rule: string): void;
  snapshot(): Record<string, { issued: number; solved: number; failed: number; status_only: number; solve_rate: number | null; solve_p50_ms: number | null; solve_p90_ms: number | null; failures: Record<string, number> }>;
}

/** Rules tracked per site; further rules count under `(other)`. */
export const MAX_RULES = 256;
const TAG_MASK = 0xffffff;

/** FNV-1a of the rule name, folded to 24 bits: the same tag for the same rule after a restart. */
function hash24(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return ((h >>> 24) ^ h) & TAG_MASK;
}

export function createChallengeStats(): ChallengeStats {
  const byRule = new Map<string, RuleChallengeStats & { statusOnly: number; tag: number }>();
  const ruleOfTag = new Map<number, string>();

  function of(rule: string) {
    let s = byRule.get(rule);
    if (s === undefined) {
      if (byRule.size >= MAX_RULES) rule = '(other)';
      s = byRule.get(rule);
      if (s === undefined) {
        // Two rule names with one hash (rare): the later one takes the next free tag.
        let tag = hash24(rule);
        while (ruleOfTag.has(tag)) tag = (tag + 1) & TAG_MASK;
        ruleOfTag.set(tag, rule);
        s = { issued: 0, solved: 0, failed: 0, statusOnly: 0, failures: {}, solveMs: new Float64Array(LATENCY_BUCKETS), tag };
        byRule.set(rule, s);
      }
    }
    return s;
  }

  const ofTag = (tag: number | undefined) => of((tag !== undefined ? ruleOfTag.get(tag) : undefined) ?? '(unknown)');

  return {
    issued(rule) {
      const s = of(rule);
      s.issued++;
      return s.tag;
    },
    solved(tag, solveMs) {
      const s = ofTag(tag);
      s.solved++;
      s.solveMs[latencyBucket(solveMs)]!++;
    },
    failed(reason, tag) {
      const s = ofTag(tag);
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
