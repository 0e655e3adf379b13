/**
 * `decide`: what happens to this request, as a value that names what produced it. Pure over its inputs
 * (time is `nowMs`; the only state it changes is the limiter tables the policy's limits own). No counters,
 * no logging: the result says what matched, and the caller counts and logs.
 *
 * Order, cheapest first — the first step that decides ends the evaluation:
 * 1. **Lists** (longest prefix; allow wins ties): allow-listed → `allow` by `list/allow`, skipping bans,
 *    rules, limits and challenges. Deny-listed → `drop` by `list/deny` (deny-listed sockets are normally
 *    dropped at accept; this catches an address learnt later, e.g. from a trusted X-Forwarded-For).
 * 2. **Bans** (escalation; looked up through `state.ban`): the address, then its prefix → `drop` by
 *    `ban/<address or prefix>`.
 * 3. **Rules**, in order (skipping those the rule gate rules out: ./rule-gate.ts). The first matching
 *    rule that is neither `log` nor shadow decides: `allow` (skips limits and the level defaults),
 *    `block`, `tarpit`, `challenge` (unless the client's clearance proves at least what the rule asks:
 *    it then satisfies the rule and evaluation goes on), `rate_limit` (refuses only when the rule's own limit
 *    refuses; otherwise evaluation goes on). `log` rules and shadow rules never decide: they are
 *    reported in `shadow` with what they would have done, and evaluation goes on. Rules after the
 *    deciding one are not evaluated.
 * 4. **Limits** (ratelimit evaluator, atomic over all applicable limits): the first enforced refusal →
 *    `rate_limit` by `limit/<name>`; shadow limits that would have refused are reported in `shadow`.
 * 5. **Threat level** defaults: `policy.levelPolicy(level, facts)`, a decision by `level/<level>`, or nothing.
 * 6. `allow` by `default/allow`.
 *
 * A rule whose CEL expression fails at run time does not match; the failure is returned in `errors`.
 */
import type { ListMatch } from '../net/ip-list.ts';
import { parseIpInto } from '../net/ip.ts';
import type { ParsedIp } from '../net/ip.ts';
import type { LimitsVerdict } from '../ratelimit/evaluator.ts';
import { rateLimitDecision } from '../ratelimit/headers.ts';
import type { Decision, DecisionAction } from '../vocabulary.ts';
import type { CompiledPolicy } from './compile.ts';
import type { DecideFacts } from './facts.ts';
import { matchRule } from './rules.ts';
import type { CompiledRule } from './rules.ts';
import type { MatchScratch } from './scratch.ts';

/** An active ban as the ban store knows it; expired ones (`untilMs ≤ nowMs`) are ignored. */
export interface BanEntry {
  readonly untilMs: number;
}

/** Looks up a ban by address or prefix key (`203.0.113.7`, `203.0.113.0/24`) at `nowMs` (the decision's time). */
export type BanLookup = (key: string, nowMs: number) => BanEntry | null | undefined;

/** Mutable state `decide` consults but does not own. */
export interface DecideState {
  /** Active bans; absent = no bans. */
  readonly ban?: BanLookup;
}

/** A log rule, shadow rule or shadow limit that matched: what it would have done. */
export interface ShadowHit {
  /** `rule/<name>` or `limit/<name>`. */
  readonly by: string;
  /** What it would have done; `log` for log rules (which only record). */
  readonly action: DecisionAction | 'log';
  /** The full would-be decision, for shadow rate limits (Retry-After etc.) and shadow rules. */
  readonly decision?: Decision;
}

/** A rule whose expression failed at run time (it did not match). */
export interface RuleEvalError {
  readonly by: string;
  readonly error: unknown;
}

/** Everything `decide` concluded. Arrays are shared frozen empties when nothing happened. */
export interface DecideResult {
  readonly decision: Decision;
  /** Log rules, shadow rules and shadow limits that matched, in evaluation order. */
  readonly shadow: readonly ShadowHit[];
  /** The limits' verdict when they were evaluated (for `RateLimit` headers and escalation), else null. */
  readonly limits: LimitsVerdict | null;
  /** The list entry that decided (allow or deny), else null. */
  readonly list: ListMatch | null;
  readonly errors: readonly RuleEvalError[];
}

const NONE: readonly never[] = Object.freeze([]);
const ALLOW_LIST: Decision = Object.freeze({ action: 'allow', by: 'list/allow' });
const DENY_LIST: Decision = Object.freeze({ action: 'drop', by: 'list/deny' });
/** What the pipeline uses when nothing decided. */
export const DEFAULT_ALLOW: Decision = Object.freeze({ action: 'allow', by: 'default/allow' });

/** The result, taking the shadow hits and errors collected in the scratch (which is then reset). */
function done(s: MatchScratch, decision: Decision, limits: LimitsVerdict | null, list: ListMatch | null): DecideResult {
  const shadow = s.shadow ?? NONE;
  const errors = s.errors ?? NONE;
  s.shadow = null;
  s.errors = null;
  s.cel = null;
  return { decision, shadow, limits, list, errors };
}

function hit(s: MatchScratch, h: ShadowHit): void {
  (s.shadow ??= []).push(h);
}

/**
 * Puts the client address into the scratch (from `facts.ip` when identify parsed it, else parsed here);
 * returns a ParsedIp for list lookups (no allocation), or null when the address is not an address.
 */
function parseAddress(facts: DecideFacts, s: MatchScratch): ParsedIp | null {
  s.cel = null;
  s.shadow = null;
  s.errors = null;
  const ip = facts.ip;
  if (ip != null) {
    s.family = ip.family;
    const w = s.words;
    if (ip.family === 4) w[0] = ip.v4;
    else {
      const v6 = ip.v6;
      w[0] = v6[0];
      w[1] = v6[1];
      w[2] = v6[2];
      w[3] = v6[3];
    }
    return ip;
  }
  const fam = parseIpInto(facts.address, s.words);
  s.family = fam;
  if (fam === 4) {
    s.v4.v4 = s.words[0];
    return s.v4;
  }
  return fam === 6 ? s.v6 : null;
}

function banned(state: DecideState, facts: DecideFacts, nowMs: number): Decision | null {
  const lookup = state.ban;
  if (lookup === undefined) return null;
  const a = lookup(facts.address, nowMs);
  if (a != null && a.untilMs > nowMs) return { action: 'drop', by: `ban/${facts.address}` };
  if (facts.prefix === '') return null;
  const p = lookup(facts.prefix, nowMs);
  return p != null && p.untilMs > nowMs ? { action: 'drop', by: `ban/${facts.prefix}` } : null;
}

/** A matching rate_limit rule: its refusal (enforced), or null when the request is within its limit. */
function ruleLimit(rule: CompiledRule, facts: DecideFacts, nowMs: number, s: MatchScratch, record: boolean): Decision | null {
  const verdict = record ? rule.limit!.evaluate(facts, nowMs, s) : rule.limit!.peek(facts, nowMs, s);
  const check = verdict.checks[0];
  if (check === undefined || check.allowed) return null;
  const decision: Decision = { ...rateLimitDecision(check), by: rule.by };
  if (rule.shadow) {
    hit(s, { by: rule.by, action: 'rate_limit', decision });
    return null;
  }
  return decision;
}

/**
 * Step 3: the rules, in order — those the rule gate leaves as candidates (the others' matchers would
 * refuse the request). Returns the deciding rule's decision, or null to go on.
 */
function evaluateRules(policy: CompiledPolicy, facts: DecideFacts, nowMs: number, s: MatchScratch, record: boolean): Decision | null {
  const rules = policy.rules;
  const candidates = s.candidates;
  policy.gate.select(facts, candidates);
  for (let w = 0; w < candidates.length; w++) {
    let bits = candidates[w];
    while (bits !== 0) {
      const low = bits & -bits;
      bits ^= low;
      const rule = rules[(w << 5) + 31 - Math.clz32(low)];
      if (!matchRule(rule, facts, s)) continue;
      switch (rule.action) {
        case 'log':
          hit(s, { by: rule.by, action: 'log' });
          continue;
        case 'rate_limit': {
          const refusal = ruleLimit(rule, facts, nowMs, s, record);
          if (refusal !== null) return refusal;
          continue;
        }
        case 'challenge':
          // A clearance proving at least what this rule asks satisfies it, and evaluation goes on.
          if (challengeSatisfied(facts, rule.decision)) continue;
      }
      if (!rule.shadow) return rule.decision;
      hit(s, { by: rule.by, action: rule.action, decision: rule.decision! });
    }
  }
  return null;
}

/** Whether the client's clearance satisfies the challenge `decision` asks (see DecideFacts.satisfiesChallenge). */
function challengeSatisfied(facts: DecideFacts, decision: Decision | null): boolean {
  if (facts.satisfiesChallenge === undefined) return facts.cleared;
  return facts.satisfiesChallenge(decision !== null && decision.action === 'challenge' ? decision.difficulty : undefined);
}

/** Step 4: the limits. */
function evaluateLimits(verdict: LimitsVerdict, s: MatchScratch): Decision | null {
  const checks = verdict.checks;
  for (let i = 0; i < checks.length; i++) {
    const c = checks[i];
    if (c.shadow && !c.allowed) hit(s, { by: c.limit.by, action: 'rate_limit', decision: rateLimitDecision(c) });
  }
  return verdict.refused === null ? null : rateLimitDecision(verdict.refused);
}

/**
 * Decide one request (see the module comment for the order). `nowMs` is the request's time; `state`
 * holds the bans. Records the request in the limiters it passes through (rule limits and site limits)
 * unless `record` is false: then it decides exactly as a recording call at the same moment would, and
 * changes nothing (a dry run, for a caller that acts only on some outcomes).
 */
export function decide(facts: DecideFacts, policy: CompiledPolicy, state: DecideState, nowMs: number, record = true): DecideResult {
  const s = policy.scratch;
  const ip = parseAddress(facts, s);
  if (policy.lists !== null && ip !== null) {
    const m = policy.lists.match(ip);
    if (m !== null) return done(s, m.kind === 'allow' ? ALLOW_LIST : DENY_LIST, null, m);
  }
  const ban = banned(state, facts, nowMs);
  if (ban !== null) return done(s, ban, null, null);
  const byRule = policy.rules.length > 0 ? evaluateRules(policy, facts, nowMs, s, record) : null;
  if (byRule !== null) return done(s, byRule, null, null);
  let verdict: LimitsVerdict | null = null;
  if (policy.limits !== null) {
    // The scratch holds the address as parsed above: address-keyed limits hash it from there.
    verdict = record ? policy.limits.evaluate(facts, nowMs, s) : policy.limits.peek(facts, nowMs, s);
    const byLimit = evaluateLimits(verdict, s);
    if (byLimit !== null) return done(s, byLimit, verdict, null);
  }
  const byLevel = policy.levelPolicy === null ? null : policy.levelPolicy(facts.threatLevel, facts);
  return done(s, byLevel ?? DEFAULT_ALLOW, verdict, null);
}
