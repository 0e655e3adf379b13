/**
 * Signature rules: from the heavy hitters of the current window, compared with the shares the
 * same keys had in the pre-attack baseline, propose mitigation rules — "challenge fingerprint F",
 * "rate-limit prefix P", "block ASN A on path /x" — each with its evidence and an estimate of its
 * collateral: the share of baseline (normal-time, uncleared) traffic it would have hit.
 *
 * A rule whose collateral is at most the configured threshold for its action is marked `apply` (with an
 * expiry); the others `log_only`. Harsher actions tolerate less collateral (block < rate_limit <
 * challenge), so the strongest action that stays under its threshold is chosen. `reconcileRules` renews
 * rules proposed again, adds new ones, and retires expired ones and all of them once the level is
 * normal again. Rules are meant for uncleared clients only: cleared visitors keep passing.
 */
import type { ThreatLevel } from '../vocabulary.ts';
import type { BaselineView } from './baseline.ts';
import { byDimension, DIMENSIONS, type ByDimension, type Dimension } from './dimensions.ts';
import type { HeavyKey } from './heavy-hitters.ts';
import type { Snapshot } from './window-aggregates.ts';

/** What a signature rule does to matching uncleared clients (the words of `Decision`). */
export type RuleAction = 'challenge' | 'rate_limit' | 'block';

/** Actions from mildest to harshest. */
export const RULE_ACTIONS: readonly RuleAction[] = ['challenge', 'rate_limit', 'block'];

/** Why a key is in a rule. Shares are of uncleared requests. */
export interface RuleEvidence {
  readonly dimension: Dimension;
  readonly key: HeavyKey;
  /** Guaranteed share of current (attack-window) traffic: (count − error) / total. */
  readonly attackShare: number;
  /** Share of baseline traffic (estimate) and its upper bound. */
  readonly baselineShare: number;
  readonly baselineBound: number;
  /** attackShare / baselineShare. */
  readonly lift: number;
  readonly count: number;
  readonly error: number;
  /** Requests per second from this key (guaranteed part). */
  readonly rps: number;
}

/** A proposed (and, after reconcile, active) signature rule. */
export interface SignatureRule {
  /** Stable id from the match, e.g. `sig/asn=64500&path=/x`; the same match keeps the same id. */
  readonly id: string;
  readonly action: RuleAction;
  /** Every listed field must match (AND). */
  readonly match: Readonly<Partial<Record<Dimension, HeavyKey>>>;
  /** For `rate_limit`: requests per second allowed to the whole matched key. */
  readonly rateLimitRps?: number;
  readonly mode: 'apply' | 'log_only';
  /** Estimated share of baseline traffic the rule would hit, and an upper bound. */
  readonly collateral: number;
  readonly collateralBound: number;
  /** Guaranteed share of current traffic the rule matches. */
  readonly attackShare: number;
  readonly level: ThreatLevel;
  readonly createdMs: number;
  readonly expiresMs: number;
  readonly evidence: readonly RuleEvidence[];
  readonly reason: string;
}

/** How signature rules are chosen, applied and expired (defaults in DEFAULT_SIGNATURE_CONFIG). */
export interface SignatureConfig {
  readonly dimensions: readonly Dimension[];
  /** Keys examined per dimension. Default 5. */
  readonly topPerDimension: number;
  /** A key must carry at least this guaranteed share of current uncleared traffic. Default 0.1. */
  readonly minAttackShare: number;
  /** ...at least this many times its baseline share. Default 3. */
  readonly minLift: number;
  /** ...and at least this many requests per second. Default 10. */
  readonly minKeyRps: number;
  /** Rules proposed (and kept active) at most. Default 8. */
  readonly maxRules: number;
  /** Lifetime of a rule, renewed while it is proposed again. Default 300 s. */
  readonly ttlS: number;
  /** Action at `elevated`, per dimension (weaker ones are tried when collateral is too high). */
  readonly elevatedAction: ByDimension<RuleAction>;
  /** Harshest action at `under_attack`, per dimension. */
  readonly maxAction: ByDimension<RuleAction>;
  /** Collateral (share of baseline traffic) tolerated per action for `apply`. */
  readonly maxCollateral: Readonly<Record<RuleAction, number>>;
  /** Also propose network × path rules (prefix or ASN AND path). Default true. */
  readonly combine: boolean;
  /** Rate limit = max(floor, headroom × the key's baseline rate). Defaults 5 req/s and 3×. */
  readonly rateLimitFloorRps: number;
  readonly rateLimitHeadroom: number;
  /** Apply rules while the baseline warms up (collateral is then unknown). Default false. */
  readonly applyWhileWarmingUp: boolean;
  /** Shadow mode: every rule is log_only. Default false. */
  readonly shadow: boolean;
}

/**
 * Defaults: a key needs ≥ 10% of current uncleared traffic, ≥ 3× its baseline share and ≥ 10 req/s; rules last
 * 5 min (renewed while proposed); challenge tolerates 5% collateral, rate_limit 1%, block 0.2%.
 */
export const DEFAULT_SIGNATURE_CONFIG: SignatureConfig = {
  dimensions: DIMENSIONS,
  topPerDimension: 5,
  minAttackShare: 0.1,
  minLift: 3,
  minKeyRps: 10,
  maxRules: 8,
  ttlS: 300,
  elevatedAction: { address: 'rate_limit', prefix: 'rate_limit', asn: 'challenge', country: 'challenge', path: 'challenge', userAgent: 'challenge', fingerprint: 'challenge' },
  maxAction: { address: 'block', prefix: 'block', asn: 'block', country: 'challenge', path: 'block', userAgent: 'block', fingerprint: 'block' },
  maxCollateral: { challenge: 0.05, rate_limit: 0.01, block: 0.002 },
  combine: true,
  rateLimitFloorRps: 5,
  rateLimitHeadroom: 3,
  applyWhileWarmingUp: false,
  shadow: false,
};

/** Fills missing fields from DEFAULT_SIGNATURE_CONFIG (per-dimension maps are merged key by key). */
export function resolveSignatureConfig(input: Partial<SignatureConfig> = {}): SignatureConfig {
  const d = DEFAULT_SIGNATURE_CONFIG;
  return {
    ...d,
    ...input,
    elevatedAction: byDimension((k) => input.elevatedAction?.[k] ?? d.elevatedAction[k]),
    maxAction: byDimension((k) => input.maxAction?.[k] ?? d.maxAction[k]),
    maxCollateral: { ...d.maxCollateral, ...input.maxCollateral },
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.01 ? 2 : 1)}%`;

/** Keys that stand out in the current window, per dimension, strongest first. */
export function findEvidence(snapshot: Snapshot, baseline: BaselineView, config: SignatureConfig): RuleEvidence[] {
  const { heavy } = snapshot;
  const out: RuleEvidence[] = [];
  if (heavy.total <= 0) return out;
  for (const dimension of config.dimensions) {
    const list = heavy.byDimension[dimension];
    for (let i = 0; i < Math.min(list.length, config.topPerDimension); i++) {
      const e = list[i]!;
      const lower = Math.max(e.count - e.error, 0);
      const attackShare = lower / heavy.total;
      const rps = lower / heavy.seconds;
      const b = baseline.share(dimension, e.key);
      const lift = b.share > 0 ? attackShare / b.share : Infinity;
      if (attackShare < config.minAttackShare || lift < config.minLift || rps < config.minKeyRps) continue;
      out.push({ dimension, key: e.key, attackShare, baselineShare: b.share, baselineBound: b.bound, lift, count: e.count, error: e.error, rps });
    }
  }
  return out.sort((a, b) => b.attackShare - a.attackShare);
}

/**
 * Proposes signature rules for the current window (none at `normal`). Each carries its evidence,
 * collateral estimate, mode (`apply` when under the action's collateral threshold) and expiry.
 */
export function proposeSignatures(snapshot: Snapshot, baseline: BaselineView, level: ThreatLevel, config: SignatureConfig, nowMs: number): SignatureRule[] {
  if (level === 'normal') return [];
  const evidence = findEvidence(snapshot, baseline, config);
  const rules: SignatureRule[] = [];
  const unclearedRps = baseline.expected('unclearedRps');
  const build = (ev: RuleEvidence[], attackShare: number, start: RuleAction): SignatureRule => {
    const collateral = Math.min(...ev.map((e) => e.baselineShare));
    const collateralBound = Math.min(...ev.map((e) => e.baselineBound));
    let action: RuleAction | null = null;
    for (let i = RULE_ACTIONS.indexOf(start); i >= 0 && action === null; i--) {
      if (collateral <= config.maxCollateral[RULE_ACTIONS[i]!]) action = RULE_ACTIONS[i]!;
    }
    const trusted = baseline.warm || config.applyWhileWarmingUp;
    const mode = action !== null && trusted && !config.shadow ? 'apply' : 'log_only';
    const chosen = action ?? 'challenge';
    const match: Partial<Record<Dimension, HeavyKey>> = {};
    for (const e of ev) match[e.dimension] = e.key;
    const id = `sig/${ev.map((e) => `${e.dimension}=${String(e.key)}`).join('&')}`;
    const why = mode === 'apply' ? `collateral ${pct(collateral)} ≤ ${pct(config.maxCollateral[chosen])}`
      : config.shadow ? 'shadow mode' : !trusted ? 'baseline still warming up' : `collateral ${pct(collateral)} above every threshold`;
    const reason = `${chosen} ${ev.map((e) => `${e.dimension} ${String(e.key)} (${pct(e.attackShare)} of current traffic, ${pct(e.baselineShare)} of baseline)`).join(' and ')}: ${mode}, ${why}`;
    const keyBaselineRps = collateral * unclearedRps;
    return {
      id, action: chosen, match, mode, collateral, collateralBound, attackShare, level,
      createdMs: nowMs, expiresMs: nowMs + config.ttlS * 1000, evidence: ev, reason,
      ...(chosen === 'rate_limit' ? { rateLimitRps: Math.max(config.rateLimitFloorRps, config.rateLimitHeadroom * keyBaselineRps) } : {}),
    };
  };
  const startOf = (d: Dimension) => (level === 'under_attack' ? config.maxAction[d] : config.elevatedAction[d]);
  for (const e of evidence) rules.push(build([e], e.attackShare, startOf(e.dimension)));
  if (config.combine) rules.push(...combinedRules(evidence, config, level, build));
  rules.sort((a, b) => (a.mode === b.mode ? b.attackShare - a.attackShare : a.mode === 'apply' ? -1 : 1));
  return rules.slice(0, config.maxRules);
}

type Build = (ev: RuleEvidence[], attackShare: number, start: RuleAction) => SignatureRule;

/**
 * Network × path rules: the conjunction matches at least a + b − 1 of current traffic (Fréchet bound)
 * and at most min(collaterals) of baseline traffic, so it can be applied where each part alone could not.
 */
function combinedRules(evidence: RuleEvidence[], config: SignatureConfig, level: ThreatLevel, build: Build): SignatureRule[] {
  const paths = evidence.filter((e) => e.dimension === 'path');
  const nets = evidence.filter((e) => e.dimension === 'prefix' || e.dimension === 'asn');
  const out: SignatureRule[] = [];
  for (const n of nets) {
    for (const p of paths) {
      const both = n.attackShare + p.attackShare - 1;
      if (both < config.minAttackShare) continue;
      const i = (a: RuleAction) => RULE_ACTIONS.indexOf(a);
      const start = level === 'under_attack'
        ? RULE_ACTIONS[Math.min(i(config.maxAction[n.dimension]), i(config.maxAction.path))]!
        : RULE_ACTIONS[Math.max(i(config.elevatedAction[n.dimension]), i(config.elevatedAction.path))]!;
      out.push(build([n, p], both, start));
    }
  }
  return out;
}

/** The outcome of reconciling active rules with this tick's proposals. */
export interface RuleChanges {
  readonly active: SignatureRule[];
  readonly added: SignatureRule[];
  readonly renewed: SignatureRule[];
  readonly retired: ReadonlyArray<{ readonly rule: SignatureRule; readonly reason: string }>;
}

/**
 * Merges proposals into the active rules: a rule proposed again is renewed (new expiry, latest evidence
 * and action, original createdMs); new ones are added up to maxRules; expired ones are retired, and at
 * level `normal` every rule is retired (the attack is over).
 */
export function reconcileRules(active: readonly SignatureRule[], proposals: readonly SignatureRule[], level: ThreatLevel, nowMs: number, config: SignatureConfig): RuleChanges {
  if (level === 'normal') {
    return { active: [], added: [], renewed: [], retired: active.map((rule) => ({ rule, reason: 'attack over: level back to normal' })) };
  }
  const proposed = new Map(proposals.map((p) => [p.id, p]));
  const next: SignatureRule[] = [];
  const renewed: SignatureRule[] = [];
  const retired: Array<{ rule: SignatureRule; reason: string }> = [];
  for (const rule of active) {
    const p = proposed.get(rule.id);
    if (p !== undefined) {
      const r = { ...p, createdMs: rule.createdMs };
      next.push(r);
      renewed.push(r);
      proposed.delete(rule.id);
    } else if (nowMs >= rule.expiresMs) retired.push({ rule, reason: 'expired: not proposed again during its lifetime' });
    else next.push(rule);
  }
  const added: SignatureRule[] = [];
  for (const p of proposed.values()) {
    if (next.length >= config.maxRules) break;
    next.push(p);
    added.push(p);
  }
  return { active: next, added, renewed, retired };
}
