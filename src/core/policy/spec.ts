/**
 * The shape of a policy as written in YAML (snake_case keys, as in the rest of bulwark.yaml), and its
 * structural validation. Imported policy files arrive here as parsed but unchecked data, so everything is
 * checked, and unknown keys are errors (an unknown key is an error, not a silent default).
 *
 * ```yaml
 * import: [policies/bots.yaml]          # merged first, in order
 * rules:
 *   - name: block-scanners              # [A-Za-z0-9][A-Za-z0-9._-]*, ≤ 48 chars, unique
 *     match:                            # every present matcher must match (AND)
 *       path: ["/wp-login.php", "~^/\\.env"]   # limit path patterns: prefix, =exact, glob, ~regex
 *       user_agent: "(?i)sqlmap|nikto"  # regex; (?i) = case-insensitive
 *       header: { x-scanner: ".+" }     # lower/any-case name → regex; an absent header never matches
 *       cidr: ["198.51.100.0/24"]       # IPv4/IPv6 prefixes
 *       method: [POST]                  # any case
 *       country: [XX]                   # ISO alpha-2, any case
 *       asn: [64496]
 *       fingerprint: ["po11nnn05_0123456789ab"]
 *       ua_class: [library]             # browser | crawler | library | unknown
 *     expr: 'rate.address > 20.0 && !cleared'   # CEL, see ./cel.ts
 *     action: block                     # allow | block | challenge | rate_limit | tarpit | log
 *     shadow: false                     # count what it would do, do nothing
 *     difficulty: 18                    # challenge only, 1..30
 *     rate_limit: { average: 5, period: 1s, burst: 10, key: [address] }   # rate_limit only
 * ```
 */
import type { KeyPart } from '../ratelimit/key.ts';
import { CLIENT_CLASSES } from '../vocabulary.ts';
import type { ClientClass } from '../vocabulary.ts';
import { MAX_DIFFICULTY, MIN_DIFFICULTY } from '../challenge/policy.ts';

/** What a matching rule does. `log` only records; `rate_limit` refuses only over the rule's own limit. */
export type RuleAction = 'allow' | 'block' | 'challenge' | 'rate_limit' | 'tarpit' | 'log';
export const RULE_ACTIONS: readonly RuleAction[] = ['allow', 'block', 'challenge', 'rate_limit', 'tarpit', 'log'];

/** Matchers of a rule, all AND-ed; a list matches when any of its items does. */
export interface RuleMatchSpec {
  readonly path?: string | readonly string[];
  readonly user_agent?: string;
  readonly header?: Readonly<Record<string, string>>;
  readonly cidr?: string | readonly string[];
  readonly method?: string | readonly string[];
  readonly country?: string | readonly string[];
  readonly asn?: number | readonly number[];
  readonly fingerprint?: string | readonly string[];
  readonly ua_class?: ClientClass | readonly ClientClass[];
}

/** A rule's own limit (Traefik words; `period` in ms or a duration like `10s`; `key` default `[address]`). */
export interface RuleRateLimitSpec {
  readonly average: number;
  readonly period?: number | string;
  readonly burst?: number;
  readonly key?: readonly KeyPart[];
}

/** One rule as written. */
export interface RuleSpec {
  readonly name: string;
  readonly match?: RuleMatchSpec;
  readonly expr?: string;
  readonly action: RuleAction;
  readonly shadow?: boolean;
  readonly difficulty?: number;
  readonly rate_limit?: RuleRateLimitSpec;
}

/** A policy file (or the `policy` block of a site). */
export interface PolicyDocument {
  readonly import?: readonly string[];
  readonly rules?: readonly RuleSpec[];
}

/** A rule after validation: lists everywhere, period in ms. */
export interface NormalRule {
  readonly name: string;
  readonly match: {
    readonly path: readonly string[];
    readonly userAgent: string | null;
    readonly header: ReadonlyArray<readonly [string, string]>;
    readonly cidr: readonly string[];
    readonly method: readonly string[];
    readonly country: readonly string[];
    readonly asn: readonly number[];
    readonly fingerprint: readonly string[];
    readonly uaClass: readonly ClientClass[];
  };
  readonly expr: string | null;
  readonly action: RuleAction;
  readonly shadow: boolean;
  readonly difficulty: number | null;
  readonly rateLimit: { readonly average: number; readonly period: number; readonly burst: number; readonly key: readonly KeyPart[] } | null;
}

/** Rule names: short enough that `rule.<name>` is a valid limit name and metric labels stay readable. */
export const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;

const KEY_PARTS: readonly string[] = ['address', 'prefix', 'asn', 'country', 'fingerprint', 'site', 'path', 'method'];
const RULE_KEYS = new Set(['name', 'match', 'expr', 'action', 'shadow', 'difficulty', 'rate_limit']);
const MATCH_KEYS = new Set(['path', 'user_agent', 'header', 'cidr', 'method', 'country', 'asn', 'fingerprint', 'ua_class']);
const LIMIT_KEYS = new Set(['average', 'period', 'burst', 'key']);
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Reports a problem in `field` of the rule being read. */
export type Report = (field: string, message: string) => void;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function unknownKeys(obj: Record<string, unknown>, allowed: ReadonlySet<string>, at: string, report: Report): void {
  for (const k of Object.keys(obj)) if (!allowed.has(k)) report(at === '' ? k : `${at}.${k}`, 'unknown key');
}

/** A string or list of strings as a list; reports other shapes. */
function stringList(v: unknown, field: string, report: Report): string[] {
  if (v === undefined) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string' && x.length > 0)) {
    report(field, 'must be a non-empty string or a list of them');
    return [];
  }
  return list as string[];
}

function readAsn(v: unknown, report: Report): number[] {
  if (v === undefined) return [];
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 4294967295)) {
    report('match.asn', 'must be an AS number (0..4294967295) or a list of them');
    return [];
  }
  return list as number[];
}

function readMatch(v: unknown, report: Report): NormalRule['match'] {
  const m = isRecord(v) ? v : {};
  if (v !== undefined && !isRecord(v)) report('match', 'must be a mapping');
  unknownKeys(m, MATCH_KEYS, 'match', report);
  let userAgent: string | null = null;
  if (m.user_agent !== undefined) {
    if (typeof m.user_agent === 'string' && m.user_agent.length > 0) userAgent = m.user_agent;
    else report('match.user_agent', 'must be a non-empty regular expression');
  }
  const header: Array<readonly [string, string]> = [];
  if (m.header !== undefined) {
    if (!isRecord(m.header)) report('match.header', 'must be a mapping of header name to regular expression');
    else {
      for (const [name, re] of Object.entries(m.header)) {
        if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) report(`match.header.${name}`, 'invalid header name');
        else if (typeof re !== 'string' || re.length === 0) report(`match.header.${name}`, 'must be a non-empty regular expression');
        else header.push([name.toLowerCase(), re]);
      }
    }
  }
  const uaClass = stringList(m.ua_class, 'match.ua_class', report);
  uaClass.forEach((c, i) => {
    if (!(CLIENT_CLASSES as readonly string[]).includes(c)) report(`match.ua_class[${i}]`, `must be one of ${CLIENT_CLASSES.join(', ')}`);
  });
  return {
    path: stringList(m.path, 'match.path', report),
    userAgent,
    header,
    cidr: stringList(m.cidr, 'match.cidr', report),
    method: stringList(m.method, 'match.method', report).map((x) => x.toUpperCase()),
    country: stringList(m.country, 'match.country', report).map((x) => x.toUpperCase()),
    asn: readAsn(m.asn, report),
    fingerprint: stringList(m.fingerprint, 'match.fingerprint', report),
    uaClass: uaClass as ClientClass[],
  };
}

function readKey(v: unknown, report: Report): KeyPart[] {
  if (v === undefined) return ['address'];
  if (!Array.isArray(v)) {
    report('rate_limit.key', 'must be a list of key parts');
    return ['address'];
  }
  const out: KeyPart[] = [];
  v.forEach((p: unknown, i) => {
    if (typeof p === 'string' && KEY_PARTS.includes(p)) out.push(p as KeyPart);
    else if (isRecord(p) && typeof p.header === 'string' && Object.keys(p).length === 1) out.push({ header: p.header });
    else report(`rate_limit.key[${i}]`, `must be one of ${KEY_PARTS.join(', ')} or {header: <name>}`);
  });
  return out;
}

function readPeriod(v: unknown, report: Report): number {
  if (v === undefined) return 1000;
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  const m = typeof v === 'string' ? DURATION.exec(v) : null;
  const ms = m === null ? NaN : Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
  if (!(ms > 0)) report('rate_limit.period', 'must be a positive number of ms or a duration like 10s, 5m');
  return ms > 0 ? ms : 1000;
}

function readRateLimit(v: unknown, report: Report): NormalRule['rateLimit'] {
  if (!isRecord(v)) {
    report('rate_limit', 'must be a mapping with average, period, burst, key');
    return null;
  }
  unknownKeys(v, LIMIT_KEYS, 'rate_limit', report);
  const average = v.average;
  if (typeof average !== 'number' || !(average > 0) || !Number.isFinite(average)) report('rate_limit.average', 'must be a positive number');
  const burst = v.burst ?? 1;
  if (!Number.isInteger(burst) || (burst as number) < 1) report('rate_limit.burst', 'must be an integer ≥ 1');
  return { average: typeof average === 'number' && average > 0 ? average : 1, period: readPeriod(v.period, report), burst: Number.isInteger(burst) && (burst as number) >= 1 ? (burst as number) : 1, key: readKey(v.key, report) };
}

/** Read one rule, reporting every problem found; returns null when it cannot be used at all. */
export function readRule(raw: unknown, report: Report): NormalRule | null {
  if (!isRecord(raw)) {
    report('', 'a rule must be a mapping with at least name and action');
    return null;
  }
  unknownKeys(raw, RULE_KEYS, '', report);
  const name = raw.name;
  if (typeof name !== 'string' || !RULE_NAME.test(name)) report('name', `must match ${RULE_NAME.source}`);
  const action = raw.action;
  if (typeof action !== 'string' || !(RULE_ACTIONS as readonly string[]).includes(action)) report('action', `must be one of ${RULE_ACTIONS.join(', ')}`);
  if (raw.expr !== undefined && (typeof raw.expr !== 'string' || raw.expr.trim() === '')) report('expr', 'must be a non-empty CEL expression');
  if (raw.shadow !== undefined && typeof raw.shadow !== 'boolean') report('shadow', 'must be true or false');
  let difficulty: number | null = null;
  if (raw.difficulty !== undefined) {
    if (action !== 'challenge') report('difficulty', 'only a challenge rule has a difficulty');
    else if (!Number.isInteger(raw.difficulty) || (raw.difficulty as number) < MIN_DIFFICULTY || (raw.difficulty as number) > MAX_DIFFICULTY) {
      report('difficulty', `must be an integer from ${MIN_DIFFICULTY} to ${MAX_DIFFICULTY}`);
    } else difficulty = raw.difficulty as number;
  }
  let rateLimit: NormalRule['rateLimit'] = null;
  if (action === 'rate_limit') {
    if (raw.rate_limit === undefined) report('rate_limit', 'a rate_limit rule needs rate_limit: {average, period, burst, key}');
    else rateLimit = readRateLimit(raw.rate_limit, report);
  } else if (raw.rate_limit !== undefined) report('rate_limit', 'only a rate_limit rule has a rate_limit');
  const match = readMatch(raw.match, report);
  if (typeof name !== 'string' || typeof action !== 'string') return null;
  return {
    name,
    match,
    expr: typeof raw.expr === 'string' && raw.expr.trim() !== '' ? raw.expr : null,
    action: action as RuleAction,
    shadow: raw.shadow === true,
    difficulty,
    rateLimit,
  };
}
