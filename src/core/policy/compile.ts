/**
 * From a policy document (plus the site's compiled lists and limits) to a {@link CompiledPolicy} that
 * `decide` evaluates. Everything that can be wrong is found here, at config load, and reported all at
 * once with the rule's position and name (`bulwark check`); nothing is compiled per request.
 */
import type { IpLists } from '../net/ip-list.ts';
import type { LimitEvaluator } from '../ratelimit/evaluator.ts';
import type { LimiterTable } from '../ratelimit/limiter-table.ts';
import type { Decision, ThreatLevel } from '../vocabulary.ts';
import { createCelCompiler } from './cel.ts';
import type { DecideFacts } from './facts.ts';
import { flattenImports } from './imports.ts';
import type { ImportLoader } from './imports.ts';
import { lineColumn, PolicyError } from './problems.ts';
import type { PolicyProblem } from './problems.ts';
import { compileRule } from './rules.ts';
import type { CompiledRule } from './rules.ts';
import { compileRuleGate } from './rule-gate.ts';
import type { RuleGate } from './rule-gate.ts';
import { createMatchScratch } from './scratch.ts';
import type { MatchScratch } from './scratch.ts';
import { readRule } from './spec.ts';
import type { PolicyDocument } from './spec.ts';

/**
 * The threat-level defaults hook (the detection layer fills it): what the site's current level imposes on a request
 * that no list, ban, rule or limit decided — e.g. at `under_attack`, challenge uncleared browsers. Return
 * null for "nothing"; a returned decision should name `level/<level>` as its `by`.
 */
export type LevelPolicy = (level: ThreatLevel, facts: DecideFacts) => Decision | null;

/** Options of {@link compilePolicy}. */
export interface CompilePolicyOptions {
  /** Reads imported policy files (the edge does the I/O). Without it, `import` entries are problems. */
  readonly importLoader?: ImportLoader;
  /** Path prefix in problems for the root document. Default `policy`. */
  readonly label?: string;
  /** The loader id of the root document when it is a file (detects files importing it back). */
  readonly rootId?: string | null;
  /** The site's allow/deny lists (src/core/net/ip-list.ts). Default none. */
  readonly lists?: IpLists | null;
  /** The site's rate limits (src/core/ratelimit/evaluator.ts). Default none. */
  readonly limits?: LimitEvaluator | null;
  /** Where rate_limit rules keep their state (may be the site limits' table). Needed only by such rules. */
  readonly table?: LimiterTable | null;
  readonly levelPolicy?: LevelPolicy | null;
  /** Cap on rules after imports. Default 1000. */
  readonly maxRules?: number;
  /** Run simple expressions as closures instead of on cel-js (./cel-fast.ts). Default true. */
  readonly celFastPath?: boolean;
}

/** Counters for metrics and `bulwark check`. */
export interface PolicyStats {
  readonly rules: number;
  readonly celRules: number;
  readonly shadowRules: number;
  /** Rules whose expression runs on the closure fast path. */
  readonly fastCelRules: number;
  /** Entries in the run-time CIDR cache of CEL `ipInCidr` (capped). */
  readonly celCidrCache: number;
}

/** Everything `decide` needs for one site, compiled. */
export interface CompiledPolicy {
  readonly lists: IpLists | null;
  readonly rules: readonly CompiledRule[];
  /** Which rules a request can match, before their matchers run (./rule-gate.ts). */
  readonly gate: RuleGate;
  readonly limits: LimitEvaluator | null;
  readonly levelPolicy: LevelPolicy | null;
  /** Not fatal: rules that match every request, unreachable rules. */
  readonly warnings: readonly PolicyProblem[];
  /** Per-request scratch reused by `decide` (which is synchronous). */
  readonly scratch: MatchScratch;
  stats(): PolicyStats;
}

/** Rules that end evaluation for every request when they match everything. */
const TERMINAL = new Set(['allow', 'block', 'tarpit']);

/** Flag rules matching everything, and the rules they make unreachable. */
function reachabilityWarnings(rules: readonly CompiledRule[]): PolicyProblem[] {
  const warnings: PolicyProblem[] = [];
  let shadowedBy: CompiledRule | null = null;
  for (const r of rules) {
    const path = `${r.source}.rules[${r.index}]`;
    if (shadowedBy !== null) {
      warnings.push({ path, rule: r.name, index: r.index, message: `unreachable: rule ${JSON.stringify(shadowedBy.name)} before it matches every request` });
      continue;
    }
    if (r.matchesAll) warnings.push({ path, rule: r.name, index: r.index, message: 'has no matcher and no expr: it matches every request' });
    if (r.matchesAll && !r.shadow && TERMINAL.has(r.action)) shadowedBy = r;
  }
  return warnings;
}

/**
 * Compile a policy: merge imports (./imports.ts), validate each rule (./spec.ts), compile matchers,
 * expressions and rule limits (./rules.ts), check name uniqueness. Throws {@link PolicyError}
 * (`BULWARK_ERR_POLICY_INVALID`) listing every problem, each with its position, rule name and field.
 */
export function compilePolicy(input: PolicyDocument | unknown, options: CompilePolicyOptions = {}): CompiledPolicy {
  const problems: PolicyProblem[] = [];
  const label = options.label ?? 'policy';
  const sourced = flattenImports(input, { label, rootId: options.rootId ?? null, loader: options.importLoader }, problems);
  const maxRules = options.maxRules ?? 1000;
  if (sourced.length > maxRules) problems.push({ path: label, message: `${sourced.length} rules after imports; the limit is ${maxRules}` });
  const cel = createCelCompiler({ fast: options.celFastPath ?? true });
  const ctx = { cel, table: options.table ?? null };
  const limitNames = new Set((options.limits?.limits ?? []).map((l) => l.name));
  const seen = new Map<string, string>();
  const rules: CompiledRule[] = [];
  for (const s of sourced.slice(0, maxRules)) {
    const path = `${s.source}.rules[${s.index}]`;
    const name = (s.raw as { name?: unknown } | null)?.name;
    const at = { path, index: s.index, ...(typeof name === 'string' ? { rule: name } : {}) };
    const report = (field: string, message: string): void => void problems.push(field === '' ? { ...at, message } : { ...at, field, message });
    const rule = readRule(s.raw, report);
    if (rule === null) continue;
    const first = seen.get(rule.name);
    if (first !== undefined) report('name', `${JSON.stringify(rule.name)} is already the name of ${first}`);
    seen.set(rule.name, first ?? path);
    if (rule.rateLimit !== null && limitNames.has(`rule.${rule.name}`)) report('name', `the site has a limit named rule.${rule.name}, which this rule's own limit would share`);
    const reportExpr = (offset: number | null, message: string): void => {
      const pos = offset === null || rule.expr === null ? {} : lineColumn(rule.expr, offset);
      problems.push({ ...at, field: 'expr', ...pos, message });
    };
    rules.push(compileRule(rule, s.source, s.index, ctx, report, reportExpr));
  }
  if (problems.length > 0) throw new PolicyError(problems);
  const frozen = Object.freeze(rules);
  const gate = compileRuleGate(frozen.map((r) => r.gate));
  return {
    lists: options.lists ?? null,
    rules: frozen,
    gate,
    limits: options.limits ?? null,
    levelPolicy: options.levelPolicy ?? null,
    warnings: reachabilityWarnings(frozen),
    scratch: createMatchScratch(gate.words),
    stats: () => ({
      rules: frozen.length,
      celRules: frozen.filter((r) => r.expr !== null).length,
      fastCelRules: frozen.filter((r) => r.expr !== null && r.expr.fast).length,
      shadowRules: frozen.filter((r) => r.shadow).length,
      celCidrCache: cel.cidrCacheSize(),
    }),
  };
}
