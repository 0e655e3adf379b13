/**
 * The config's policy blocks in the policy compiler's terms (core/policy): rules and limits as specs,
 * with every rate-limit key scoped by site (each key starts with the site, so sites sharing the
 * process's bounded limiter table never share counters), and the loader of imported policy files.
 *
 * Used twice, so both always agree: by config/policy-check.ts, which compiles every policy at load to
 * report problems with the key path and line of the rule, and by runtime/policy-build.ts, which
 * compiles the policy a site runs with.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import type { GlobalPolicyConfig, SitePolicyConfig } from './policy-schema.ts';
import { MAX_YAML_ALIASES, readRegularFileSync } from './read-file.ts';
import type { ImportLoader, PolicyDocument } from '../core/policy/index.ts';
import type { RuleSpec } from '../core/policy/spec.ts';
import type { LimitSpec } from '../core/ratelimit/index.ts';
import type { KeyPart } from '../core/ratelimit/key.ts';

/** An imported policy file larger than this is refused. */
const MAX_POLICY_FILE_BYTES = 16 * 1024 * 1024;

/** Reads imported policy files (YAML or JSON), relative to the importing file or the config's directory. */
export function createImportLoader(configFile: string | undefined): ImportLoader {
  const base = configFile === undefined ? process.cwd() : dirname(resolve(configFile));
  return (path, from) => {
    const abs = isAbsolute(path) ? path : resolve(from === null ? base : dirname(from), path);
    // A regular file only (never a FIFO that would hang a reload), and no alias bombs (config/load.ts).
    return { id: abs, document: parse(readRegularFileSync(abs, MAX_POLICY_FILE_BYTES), { maxAliasCount: MAX_YAML_ALIASES }) };
  };
}

function scoped(key: readonly KeyPart[]): KeyPart[] {
  return key.includes('site') ? [...key] : ['site', ...key];
}

/** The config's rule shape → the compiler's, with rate_limit keys scoped by site. */
export function ruleSpecs(rules: SitePolicyConfig['rules']): RuleSpec[] {
  return rules.map((r) => {
    const spec: Record<string, unknown> = { name: r.name, action: r.action, shadow: r.shadow };
    if (r.match !== undefined) spec.match = r.match;
    if (r.expr !== undefined) spec.expr = r.expr;
    if (r.difficulty !== undefined) spec.difficulty = r.difficulty;
    if (r.rate_limit !== undefined) spec.rate_limit = { ...r.rate_limit, key: scoped(r.rate_limit.key) };
    return spec as unknown as RuleSpec;
  });
}

export function limitSpecs(limits: SitePolicyConfig['limits']): LimitSpec[] {
  return limits.map((l) => ({
    name: l.name,
    average: l.average,
    period: l.period,
    burst: l.burst,
    key: scoped(l.key),
    match: l.match === undefined ? undefined : { path: l.match.path, methods: l.match.methods },
    shadow: l.shadow,
    exact: l.exact,
  }));
}

/** A policy document as the compiler reads it (imports, then rules). */
export function policyDocument(p: SitePolicyConfig | GlobalPolicyConfig): PolicyDocument {
  return { import: p.import, rules: ruleSpecs(p.rules) };
}
