/**
 * Ordered, named rules compiled once: every matcher becomes a Set, a small CIDR trie, a precompiled
 * regular expression or a prepared CEL program, and {@link matchRule} only looks things up.
 *
 * A rule matches when every present matcher matches (AND); a list matcher matches when any item does. The
 * cheap matchers run first (sets, then the CIDR trie, then regular expressions, then CEL), so an
 * expression is evaluated only for requests the other matchers let through. A rule with no matcher and
 * no expression matches every request (allowed — `log` everything, a site-wide `challenge` — but warned
 * about). Semantics of each matcher:
 *
 * - `path`: the limits' path patterns (src/core/ratelimit/match.ts: prefix, `=exact`, glob, `~regex`),
 *   on the path without the query string; `~` regexes go through the regex guard.
 * - `user_agent`, `header.<name>`: regexes (./regex-guard.ts, `(?i)` for case-insensitive), unanchored;
 *   tested on the User-Agent / the header value (repeated fields joined by `, `). An absent header never
 *   matches (test absence in CEL: `!("x-y" in headers)`).
 * - `cidr`: the client address is inside one of the prefixes (IPv4 and IPv6; strict: host bits refused).
 * - `method`, `country`, `ua_class`, `fingerprint`, `asn`: the fact is one of the values; an unknown
 *   country or ASN never matches.
 */
import { createCidrTrie } from '../net/cidr-trie.ts';
import type { CidrTrie } from '../net/cidr-trie.ts';
import { checkCidr } from '../net/ip.ts';
import { compilePathPatterns } from '../ratelimit/match.ts';
import { createLimitEvaluator } from '../ratelimit/evaluator.ts';
import type { LimitEvaluator } from '../ratelimit/evaluator.ts';
import type { LimiterTable } from '../ratelimit/limiter-table.ts';
import type { ClientClass, Decision } from '../vocabulary.ts';
import { isCompileError } from './cel.ts';
import type { MatchScratch } from './scratch.ts';
import type { CelCompiler, CelProgram } from './cel.ts';
import type { DecideFacts } from './facts.ts';
import { compileGuardedRegex, regexHazard } from './regex-guard.ts';
import { pathBucketsOf } from './rule-gate.ts';
import type { GateSpec } from './rule-gate.ts';
import { intersect, NO_REQUIREMENTS } from './cel-requires.ts';
import type { ExprRequirements } from './cel-requires.ts';
import type { NormalRule, Report, RuleAction } from './spec.ts';

/** A rule ready to evaluate. Every rule object has the same shape (one hidden class on the hot path). */
export interface CompiledRule {
  readonly name: string;
  /** `rule/<name>`: what decisions and shadow hits name. */
  readonly by: string;
  /** Where it was written: `policy` or `import "<id>"`, and its index there. */
  readonly source: string;
  readonly index: number;
  readonly action: RuleAction;
  readonly shadow: boolean;
  /** The decision it produces for allow / block / challenge / tarpit (null for log and rate_limit). */
  readonly decision: Decision | null;
  readonly methods: ReadonlySet<string> | null;
  readonly uaClasses: ReadonlySet<ClientClass> | null;
  readonly fingerprints: ReadonlySet<string> | null;
  readonly countries: ReadonlySet<string> | null;
  readonly asns: ReadonlySet<number> | null;
  readonly cidrs: CidrTrie | null;
  readonly path: ((path: string) => boolean) | null;
  readonly userAgent: RememberingRegex | null;
  readonly headers: ReadonlyArray<readonly [string, RememberingRegex]> | null;
  readonly expr: CelProgram | null;
  /** The rule's own limit (rate_limit rules), a one-limit evaluator named `rule.<name>`. */
  readonly limit: LimitEvaluator | null;
  /** True when the rule has no matcher and no expression. */
  readonly matchesAll: boolean;
  /** What the rule requires of the facts the rule gate indexes (./rule-gate.ts), from matchers and expression. */
  readonly gate: GateSpec;
}

/** What compiling a rule needs besides the rule. */
export interface RuleCompileContext {
  readonly cel: CelCompiler;
  /** State for rate_limit rules' own limits; required when such a rule exists. */
  readonly table: LimiterTable | null;
}

const setOrNull = <T>(items: readonly T[]): ReadonlySet<T> | null => (items.length > 0 ? new Set(items) : null);

/**
 * A rule's regular expression that remembers its answers. Requests very often carry a User-Agent or
 * header value seen moments ago — consecutive requests on a keep-alive connection, a flood's few tools,
 * the few hundred browsers that make up most traffic — and a Map lookup (or, for the same input as the
 * last, a string compare) is much cheaper than running the pattern again (~100–400 ns for a UA
 * alternation on a long UA). The patterns are stateless (compileGuardedRegex allows no flag but `i`), so
 * the answer depends on the input alone and remembering it changes no decision.
 *
 * Bounded: at most MEMO_ENTRIES answers for inputs of at most MEMO_INPUT_CHARS characters (longer ones
 * are tested every time); when full it starts afresh — a flood of ever-new values costs one clear per
 * MEMO_ENTRIES misses, and memory stays under MEMO_ENTRIES × MEMO_INPUT_CHARS characters per pattern.
 */
export class RememberingRegex {
  private last: string | null = null;
  private answer = false;
  private readonly memo = new Map<string, boolean>();
  constructor(readonly regex: RegExp) {}
  test(value: string): boolean {
    if (value === this.last) return this.answer;
    let answer = this.memo.get(value);
    if (answer === undefined) {
      answer = this.regex.test(value);
      if (value.length <= MEMO_INPUT_CHARS) {
        if (this.memo.size >= MEMO_ENTRIES) this.memo.clear();
        this.memo.set(value, answer);
      }
    }
    this.last = value;
    this.answer = answer;
    return answer;
  }
}
const MEMO_ENTRIES = 1024;
const MEMO_INPUT_CHARS = 512;

function compilePath(patterns: readonly string[], report: Report): ((path: string) => boolean) | null {
  if (patterns.length === 0) return null;
  let ok = true;
  patterns.forEach((p, i) => {
    const hazard = p.startsWith('~') ? regexHazard(p.slice(1)) : null;
    if (hazard !== null) {
      report(`match.path[${i}]`, hazard);
      ok = false;
    }
  });
  if (!ok) return null;
  try {
    return compilePathPatterns(patterns);
  } catch (err) {
    report('match.path', (err as Error).message);
    return null;
  }
}

function compileRegex(pattern: string | null, field: string, report: Report): RememberingRegex | null {
  if (pattern === null) return null;
  const r = compileGuardedRegex(pattern);
  if (!r.ok) report(field, r.error);
  return r.ok ? new RememberingRegex(r.regex) : null;
}

function compileCidrs(cidrs: readonly string[], report: Report): CidrTrie | null {
  if (cidrs.length === 0) return null;
  const trie = createCidrTrie({ maxPrefixes: cidrs.length });
  cidrs.forEach((text, i) => {
    const c = checkCidr(text.trim());
    if (typeof c === 'string') report(`match.cidr[${i}]`, c);
    else trie.insert(c, 0);
  });
  return trie;
}

function compileLimitOf(rule: NormalRule, ctx: RuleCompileContext, report: Report): LimitEvaluator | null {
  if (rule.rateLimit === null) return null;
  if (ctx.table === null) {
    report('rate_limit', 'no limiter table was given to the policy compiler (wiring error)');
    return null;
  }
  try {
    const rl = rule.rateLimit;
    return createLimitEvaluator({
      table: ctx.table,
      limits: [{ name: `rule.${rule.name}`, average: rl.average, period: rl.period, burst: rl.burst, key: rl.key, shadow: rule.shadow }],
    });
  } catch (err) {
    report('rate_limit', (err as Error).message);
    return null;
  }
}

function decisionOf(rule: NormalRule, by: string): Decision | null {
  switch (rule.action) {
    case 'allow':
    case 'block':
    case 'tarpit':
      return Object.freeze({ action: rule.action, by });
    case 'challenge':
      return Object.freeze(rule.difficulty === null ? { action: 'challenge' as const, by } : { action: 'challenge' as const, by, difficulty: rule.difficulty });
    default:
      return null;
  }
}

/** A rule's gate spec: its method, user-agent class and path matchers, narrowed by its expression's needs. */
function gateOf(m: NormalRule['match'], hasPath: boolean, requires: ExprRequirements): GateSpec {
  return {
    methods: intersect(setOrNull(m.method), requires.methods),
    uaClasses: intersect(setOrNull(m.uaClass), requires.uaClasses),
    levels: requires.levels,
    cleared: requires.cleared,
    pathBuckets: hasPath ? pathBucketsOf(m.path) : null,
  };
}

/**
 * Compile one validated rule. Problems go to `report` (field and message) and, for the expression, to
 * `reportExpr` (offset in the expression and message). Returns the rule even when some matcher failed, so
 * all problems of a policy are found in one pass; the caller refuses the policy then.
 */
export function compileRule(rule: NormalRule, source: string, index: number, ctx: RuleCompileContext, report: Report, reportExpr: (offset: number | null, message: string) => void): CompiledRule {
  const by = `rule/${rule.name}`;
  const m = rule.match;
  // Compiled in the order the fields are documented, so problems come out in that order too.
  const path = compilePath(m.path, report);
  const userAgent = compileRegex(m.userAgent, 'match.user_agent', report);
  const headers: Array<readonly [string, RememberingRegex]> = [];
  for (const [name, re] of m.header) {
    const r = compileRegex(re, `match.header.${name}`, report);
    if (r !== null) headers.push([name, r]);
  }
  const cidrs = compileCidrs(m.cidr, report);
  let expr: CelProgram | null = null;
  if (rule.expr !== null) {
    const compiled = ctx.cel.compile(rule.expr);
    if (isCompileError(compiled)) reportExpr(compiled.offset, compiled.message);
    else expr = compiled;
  }
  const matchesAll =
    rule.expr === null && m.path.length + m.header.length + m.cidr.length + m.method.length + m.country.length + m.asn.length + m.fingerprint.length + m.uaClass.length === 0 && m.userAgent === null;
  return {
    name: rule.name,
    by,
    source,
    index,
    action: rule.action,
    shadow: rule.shadow,
    decision: decisionOf(rule, by),
    methods: setOrNull(m.method),
    uaClasses: setOrNull(m.uaClass),
    fingerprints: setOrNull(m.fingerprint),
    countries: setOrNull(m.country),
    asns: setOrNull(m.asn),
    cidrs,
    path,
    userAgent,
    headers: headers.length > 0 ? headers : null,
    expr,
    limit: compileLimitOf(rule, ctx, report),
    matchesAll,
    gate: gateOf(m, path !== null, expr?.requires ?? NO_REQUIREMENTS),
  };
}

/**
 * Does the rule match the request? Matchers in cost order (see the module comment). A CEL expression that
 * fails at run time makes the rule not match; the failure is recorded in `scratch.errors`.
 */
export function matchRule(rule: CompiledRule, facts: DecideFacts, scratch: MatchScratch): boolean {
  if (rule.methods !== null && !rule.methods.has(facts.method)) return false;
  if (rule.uaClasses !== null && !rule.uaClasses.has(facts.uaClass)) return false;
  if (rule.fingerprints !== null && !rule.fingerprints.has(facts.fingerprint)) return false;
  if (rule.countries !== null && (facts.country === null || !rule.countries.has(facts.country))) return false;
  if (rule.asns !== null && (facts.asn === null || !rule.asns.has(facts.asn))) return false;
  if (rule.cidrs !== null) {
    if (scratch.family === 0) return false;
    if ((scratch.family === 4 ? rule.cidrs.lookupV4(scratch.words[0]) : rule.cidrs.lookupV6(scratch.words)) < 0) return false;
  }
  if (rule.path !== null && !rule.path(facts.path)) return false;
  if (rule.userAgent !== null) {
    const ua = facts.header('user-agent');
    if (ua === undefined || !rule.userAgent.test(ua)) return false;
  }
  if (rule.headers !== null) {
    for (let i = 0; i < rule.headers.length; i++) {
      const h = rule.headers[i];
      const v = facts.header(h[0]);
      if (v === undefined || !h[1].test(v)) return false;
    }
  }
  if (rule.expr === null) return true;
  if (rule.expr.fast) return rule.expr.test(facts, scratch); // cannot fail (see cel-fast.ts)
  try {
    return rule.expr.test(facts, scratch);
  } catch (error) {
    (scratch.errors ??= []).push({ by: rule.by, error });
    return false;
  }
}
