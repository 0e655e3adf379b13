/**
 * An operator's word on the detector's signature rules: **accept** a proposed rule (a `log_only` rule
 * becomes enforced, like an applied one) or **reject** one (it is no longer enforced, whatever its
 * mode). The detector keeps proposing, renewing and retiring rules on its own; decisions are an overlay
 * keyed by the rule's stable id (the same match keeps the same id), so a rejected rule proposed again
 * stays rejected while the decision lasts.
 *
 * Decisions last `ttlMs` (default 24 h: an attack's rules should not bind the next attack), are stored in
 * the settings store under `rule-decision/<site>/<rule id>` so a restart keeps them, and are capped at
 * `maxDecisions` (default 1,000; the oldest is dropped first).
 *
 * `apply(site, rules)` gives decide the rules to enforce: the detector's own array when no decision
 * touches it (so the signature decider's compile-once-per-change holds), else a derived array cached
 * until either the rules or the decisions change.
 */
import type { SignatureRule } from '../core/detect/index.ts';
import type { KvStore } from '../stores/index.ts';
import { BulwarkError } from '../core/errors.ts';

/** What an operator decided about a rule. */
export interface RuleDecision {
  readonly decision: 'accept' | 'reject';
  readonly by: string;
  readonly atMs: number;
  readonly untilMs: number;
}

/** The overlay. */
export interface RuleDecisions {
  /** Loads stored decisions (at start). */
  load(nowMs: number): Promise<void>;
  decide(site: string, ruleId: string, decision: 'accept' | 'reject', by: string, nowMs: number): Promise<RuleDecision>;
  /** Removes a decision (the detector's own mode applies again). */
  clear(site: string, ruleId: string): Promise<boolean>;
  get(site: string, ruleId: string, nowMs: number): RuleDecision | undefined;
  /** The rules decide enforces for a site (see the module comment). */
  apply(site: string, rules: readonly SignatureRule[], nowMs: number): readonly SignatureRule[];
  readonly size: number;
}

const PREFIX = 'rule-decision/';

/** Creates the overlay on the settings store. */
export function createRuleDecisions(kv: KvStore, options: { ttlMs?: number; maxDecisions?: number } = {}): RuleDecisions {
  const ttlMs = options.ttlMs ?? 86_400_000;
  const max = options.maxDecisions ?? 1000;
  const decisions = new Map<string, RuleDecision>();
  let version = 0;
  const cache = new Map<string, { source: readonly SignatureRule[]; version: number; result: readonly SignatureRule[] }>();
  const keyOf = (site: string, id: string) => `${site}/${id}`;

  function live(key: string, nowMs: number): RuleDecision | undefined {
    const d = decisions.get(key);
    if (d !== undefined && d.untilMs <= nowMs) {
      decisions.delete(key);
      version++;
      return undefined;
    }
    return d;
  }

  return {
    async load(nowMs) {
      for (const e of await kv.list(PREFIX, nowMs)) {
        const v = e.value as Partial<RuleDecision>;
        if ((v.decision === 'accept' || v.decision === 'reject') && typeof v.untilMs === 'number' && v.untilMs > nowMs && decisions.size < max) {
          decisions.set(e.key.slice(PREFIX.length), { decision: v.decision, by: String(v.by ?? 'unknown'), atMs: Number(v.atMs ?? 0), untilMs: v.untilMs });
        }
      }
      version++;
    },
    async decide(site, ruleId, decision, by, nowMs) {
      if (!/^sig\/.{1,600}$/s.test(ruleId)) throw new BulwarkError('BULWARK_ERR_ADMIN_INVALID', 'rule must be a signature rule id (sig/...)', { source: 'operator' });
      const key = keyOf(site, ruleId);
      const d: RuleDecision = { decision, by, atMs: nowMs, untilMs: nowMs + ttlMs };
      decisions.delete(key);
      if (decisions.size >= max) {
        const oldest = decisions.keys().next().value!;
        decisions.delete(oldest);
        await kv.delete(PREFIX + oldest);
      }
      decisions.set(key, d);
      version++;
      await kv.set(PREFIX + key, d, { nowMs, expiresAtMs: d.untilMs });
      return d;
    },
    async clear(site, ruleId) {
      const key = keyOf(site, ruleId);
      const had = decisions.delete(key);
      version++;
      await kv.delete(PREFIX + key);
      return had;
    },
    get: (site, ruleId, nowMs) => live(keyOf(site, ruleId), nowMs),
    apply(site, rules, nowMs) {
      if (decisions.size === 0 || rules.length === 0) return rules;
      const c = cache.get(site);
      if (c !== undefined && c.source === rules && c.version === version && !rules.some((r) => decisions.get(keyOf(site, r.id))?.untilMs! <= nowMs)) return c.result;
      let changed = false;
      const out: SignatureRule[] = [];
      for (const r of rules) {
        const d = live(keyOf(site, r.id), nowMs);
        if (d?.decision === 'reject') changed = true;
        else if (d?.decision === 'accept' && r.mode !== 'apply') {
          out.push({ ...r, mode: 'apply' });
          changed = true;
        } else out.push(r);
      }
      const result = changed ? out : rules;
      if (cache.size > 1000) cache.clear();
      cache.set(site, { source: rules, version, result });
      return result;
    },
    get size() {
      return decisions.size;
    },
  };
}
