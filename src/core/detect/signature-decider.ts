/**
 * Enforcing the detector's signature rules in `decide`: the rules apply
 * under a collateral threshold, with an expiry. For one request of a site: the first *applied* rule
 * (`mode: 'apply'`, not expired) whose every `match` field equals the request's, harshest action first
 * (block, then rate_limit, then challenge), gives a `Decision` named by the rule id (`sig/...`), so the
 * incident record counts its effect (`actions.rules[].requests`). `log_only` rules never decide.
 * Cleared visitors are never subject to signature rules.
 *
 * `rate_limit` rules hold one token bucket per rule — `rateLimitRps` for the whole matched key, burst
 * of one second — refusing with Retry-After 1 s; a request the bucket admits goes on to the next rule.
 * Rules are compiled once per change of the site's active set (the detector replaces the array at
 * most once a second); per request the work is a few string comparisons per rule (≤ max_rules).
 * State: one compiled set and ≤ max_rules buckets per site, dropped with the site.
 */
import type { Dimension, SignatureRule } from './index.ts';
import type { Decision } from '../vocabulary.ts';

/** What a rule can match on: the decide phase's facts (`DecideFacts` fits). */
export interface SignatureFacts {
  readonly address: string;
  readonly prefix: string;
  readonly asn: number | null;
  readonly country: string | null;
  /** Path without the query string. */
  readonly path: string;
  readonly fingerprint: string;
  header(name: string): string | undefined;
}

/** Enforces a site's applied signature rules. */
export interface SignatureDecider {
  /** The decision of the first matching applied rule, or null. */
  decide(site: string, facts: SignatureFacts, cleared: boolean, nowMs: number): Decision | null;
  /** Whether the site has any rule that could decide now (read-only: no bucket moves). */
  hasRules(site: string, nowMs: number): boolean;
  /** Drops the state of sites no longer configured. */
  retainSites(sites: readonly string[]): void;
  /** Fill levels: sites compiled, rules compiled, buckets. */
  stats(): { sites: number; rules: number; buckets: number };
}

/** Keys longer than this were cut by the aggregates (WindowAggregatesOptions.maxKeyLength default). */
const MAX_KEY_LENGTH = 256;
const HARSHNESS: Record<SignatureRule['action'], number> = { block: 0, rate_limit: 1, challenge: 2 };

interface Bucket {
  tokens: number;
  lastMs: number;
}

interface Compiled {
  readonly source: readonly SignatureRule[];
  readonly rules: readonly SignatureRule[];
  readonly decisions: ReadonlyMap<string, Decision>;
  readonly buckets: Map<string, Bucket>;
}

const cut = (s: string): string => (s.length > MAX_KEY_LENGTH ? s.slice(0, MAX_KEY_LENGTH) : s);

function fieldOf(d: Dimension, f: SignatureFacts): string | number | null {
  switch (d) {
    case 'address': return f.address;
    case 'prefix': return f.prefix;
    case 'asn': return f.asn;
    case 'country': return f.country;
    case 'path': return cut(f.path);
    case 'userAgent': { const ua = f.header('user-agent'); return ua === undefined ? null : cut(ua); }
    case 'fingerprint': return cut(f.fingerprint);
    default: return null;
  }
}

/** Whether every field of the rule's match equals the request's. */
export function matchesRule(rule: SignatureRule, facts: SignatureFacts): boolean {
  for (const d in rule.match) {
    const want = rule.match[d as Dimension];
    if (want !== undefined && fieldOf(d as Dimension, facts) !== want) return false;
  }
  return true;
}

function compile(source: readonly SignatureRule[], previous: Compiled | undefined): Compiled {
  const rules = source.filter((r) => r.mode === 'apply').sort((a, b) => HARSHNESS[a.action] - HARSHNESS[b.action]);
  const decisions = new Map<string, Decision>();
  const buckets = new Map<string, Bucket>();
  for (const r of rules) {
    decisions.set(r.id, r.action === 'block' ? { action: 'block', by: r.id } : r.action === 'challenge' ? { action: 'challenge', by: r.id } : { action: 'rate_limit', by: r.id, retryAfterS: 1 });
    const b = previous?.buckets.get(r.id);
    if (r.action === 'rate_limit') buckets.set(r.id, b ?? { tokens: Math.max(1, r.rateLimitRps ?? 1), lastMs: -Infinity });
  }
  return { source, rules, decisions, buckets };
}

function admit(bucket: Bucket, rps: number, nowMs: number): boolean {
  const burst = Math.max(1, rps);
  bucket.tokens = Number.isFinite(bucket.lastMs) ? Math.min(burst, bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * rps) : burst;
  bucket.lastMs = nowMs;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** Creates a decider over `activeRules(site)` (the detection service's `activeRules`). */
export function createSignatureDecider(activeRules: (site: string) => readonly SignatureRule[]): SignatureDecider {
  const sites = new Map<string, Compiled>();
  return {
    decide(site, facts, cleared, nowMs) {
      if (cleared) return null;
      const source = activeRules(site);
      let c = sites.get(site);
      if (c === undefined || c.source !== source) sites.set(site, (c = compile(source, c)));
      for (const rule of c.rules) {
        if (nowMs >= rule.expiresMs || !matchesRule(rule, facts)) continue;
        if (rule.action === 'rate_limit' && admit(c.buckets.get(rule.id)!, rule.rateLimitRps ?? 1, nowMs)) continue;
        return c.decisions.get(rule.id)!;
      }
      return null;
    },
    hasRules(site, nowMs) {
      for (const rule of activeRules(site)) if (rule.mode === 'apply' && nowMs < rule.expiresMs) return true;
      return false;
    },
    retainSites(names) {
      const keep = new Set(names);
      for (const s of sites.keys()) if (!keep.has(s)) sites.delete(s);
    },
    stats() {
      let rules = 0;
      let buckets = 0;
      for (const c of sites.values()) {
        rules += c.rules.length;
        buckets += c.buckets.size;
      }
      return { sites: sites.size, rules, buckets };
    },
  };
}
