/**
 * Enforcing the detector's signature rules in `decide`: the rules apply
 * under a collateral threshold, with an expiry. For one request of a site: the first *applied* rule
 * (`mode: 'apply'`, not expired) whose every `match` field equals the request's, harshest action first
 * (block, then rate_limit, then challenge), gives a `Decision` named by the rule id (`sig/...`), so the
 * incident record counts its effect (`actions.rules[].requests`). `log_only` rules never decide.
 * Cleared visitors are never subject to signature rules.
 *
 * Clients that cannot solve a challenge page — feed readers, API clients, command-line tools, anything
 * whose challenge would be answered with a bare status — are never locked out by a `challenge` or
 * `rate_limit` rule: a status-only challenge is a lockout for them, and so is a key-wide bucket a flood
 * keeps empty. Bulwark's promise is never to lock out crawlers, feed readers or API clients, so such a
 * client gets its own per-client token bucket instead ({@link NO_JS_CLIENT_RPS}, burst
 * {@link NO_JS_CLIENT_BURST}, keyed by rule and address): a feed reader polling every few minutes always
 * passes, while a bot that merely claims a feed reader's user agent is still held to a per-address
 * limit. The caller says which clients these are (the decide phase: not claiming a browser, and the
 * challenge would be status-only). `block` rules (chosen only under a collateral of 0.2%) apply to everyone.
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
  /**
   * Whether this client cannot be shown a challenge page (its challenge would be status-only); such a
   * client gets a per-client limit instead of a `challenge` or `rate_limit` rule's answer. Asked at most
   * once per decision, only when such a rule matches. Absent: it can.
   */
  cannotSolvePage?(): boolean;
}

/** Enforces a site's applied signature rules. */
export interface SignatureDecider {
  /**
   * The decision of the first matching applied rule, or null. A client that cannot be shown a challenge
   * page (`facts.cannotSolvePage`) gets a per-client limit instead of a `challenge` or `rate_limit`
   * rule's answer.
   */
  decide(site: string, facts: SignatureFacts, cleared: boolean, nowMs: number): Decision | null;
  /** Whether the site has any rule that could decide now (read-only: no bucket moves). */
  hasRules(site: string, nowMs: number): boolean;
  /** Drops the state of sites no longer configured. */
  retainSites(sites: readonly string[]): void;
  /** Fill levels: sites compiled, rules compiled, key-wide buckets, per-client buckets of pageless clients. */
  stats(): { sites: number; rules: number; buckets: number; clientBuckets: number };
}

/** Keys longer than this were cut by the aggregates (WindowAggregatesOptions.maxKeyLength default). */
const MAX_KEY_LENGTH = 256;
/**
 * Per-client rate for clients that cannot solve a challenge page, under a `challenge` or `rate_limit`
 * rule: 1 request per second sustained, with a burst of 10 — far above what a feed reader (a poll every
 * few minutes) or an API client's normal use needs, far below a flood from one address.
 */
export const NO_JS_CLIENT_RPS = 1;
export const NO_JS_CLIENT_BURST = 10;
/** Per-client buckets kept per site at most; the least recently used is evicted past this. */
export const MAX_CLIENT_BUCKETS = 10_000;
const HARSHNESS: Record<SignatureRule['action'], number> = { block: 0, rate_limit: 1, challenge: 2 };

interface Bucket {
  tokens: number;
  lastMs: number;
}

interface Compiled {
  readonly source: readonly SignatureRule[];
  readonly rules: readonly SignatureRule[];
  readonly decisions: ReadonlyMap<string, Decision>;
  /** What a pageless client over its own bucket gets, per non-block rule: a rate limit by the rule. */
  readonly clientRefusals: ReadonlyMap<string, Decision>;
  readonly buckets: Map<string, Bucket>;
  /** Per-client buckets of pageless clients, `rule id + '\n' + address`, least recently used first. */
  readonly clients: Map<string, Bucket>;
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
  const clientRefusals = new Map<string, Decision>();
  const buckets = new Map<string, Bucket>();
  for (const r of rules) {
    decisions.set(r.id, r.action === 'block' ? { action: 'block', by: r.id } : r.action === 'challenge' ? { action: 'challenge', by: r.id } : { action: 'rate_limit', by: r.id, retryAfterS: 1 });
    if (r.action !== 'block') clientRefusals.set(r.id, { action: 'rate_limit', by: r.id, retryAfterS: 1 });
    const b = previous?.buckets.get(r.id);
    if (r.action === 'rate_limit') buckets.set(r.id, b ?? { tokens: Math.max(1, r.rateLimitRps ?? 1), lastMs: -Infinity });
  }
  const clients = new Map<string, Bucket>();
  if (previous !== undefined) for (const [k, b] of previous.clients) if (decisions.has(k.slice(0, k.indexOf('\n')))) clients.set(k, b);
  return { source, rules, decisions, clientRefusals, buckets, clients };
}

function admit(bucket: Bucket, rps: number, nowMs: number, burst = Math.max(1, rps)): boolean {
  bucket.tokens = Number.isFinite(bucket.lastMs) ? Math.min(burst, bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * rps) : burst;
  bucket.lastMs = nowMs;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** Takes a token from the client's own bucket for `rule` (created full, most recently used last, capped). */
function admitClient(c: Compiled, rule: SignatureRule, address: string, nowMs: number): boolean {
  const key = `${rule.id}\n${address}`;
  let b = c.clients.get(key);
  if (b === undefined) {
    if (c.clients.size >= MAX_CLIENT_BUCKETS) c.clients.delete(c.clients.keys().next().value!);
    b = { tokens: NO_JS_CLIENT_BURST, lastMs: -Infinity };
  } else c.clients.delete(key);
  c.clients.set(key, b);
  return admit(b, NO_JS_CLIENT_RPS, nowMs, NO_JS_CLIENT_BURST);
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
      let noPage: boolean | undefined;
      for (const rule of c.rules) {
        if (nowMs >= rule.expiresMs || !matchesRule(rule, facts)) continue;
        if (rule.action !== 'block' && (noPage ??= facts.cannotSolvePage?.() ?? false)) {
          if (admitClient(c, rule, facts.address, nowMs)) continue;
          return c.clientRefusals.get(rule.id)!;
        }
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
      let clientBuckets = 0;
      for (const c of sites.values()) {
        rules += c.rules.length;
        buckets += c.buckets.size;
        clientBuckets += c.clients.size;
      }
      return { sites: sites.size, rules, buckets, clientBuckets };
    },
  };
}
