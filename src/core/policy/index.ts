/**
 * The decision core: policy files compiled once (rules with matchers, CEL
 * expressions and their own limits, imports merged), and the pure `decide` that turns request facts into a
 * {@link Decision} naming what produced it. See decide.ts for the evaluation order.
 */
export { compilePolicy } from './compile.ts';
export type { CompiledPolicy, CompilePolicyOptions, LevelPolicy, PolicyStats } from './compile.ts';
export { decide, DEFAULT_ALLOW } from './decide.ts';
export type { BanEntry, BanLookup, DecideResult, DecideState, RuleEvalError, ShadowHit } from './decide.ts';
export type { DecideFacts } from './facts.ts';
export type { ImportLoader } from './imports.ts';
export { MAX_IMPORT_DEPTH, MAX_IMPORT_FILES } from './imports.ts';
export { PolicyError, formatProblem } from './problems.ts';
export type { PolicyProblem } from './problems.ts';
export type { CompiledRule } from './rules.ts';
export { RULE_ACTIONS, RULE_NAME } from './spec.ts';
export type { PolicyDocument, RuleAction, RuleMatchSpec, RuleRateLimitSpec, RuleSpec } from './spec.ts';
export { compileGuardedRegex, regexHazard, MAX_PATTERN_CHARS } from './regex-guard.ts';
export { CIDR_CACHE_MAX } from './cel.ts';
