/**
 * Compiling a site's policy (issue #3): the site's own rules, then the global rules; the global limits
 * and the site's limits; the allow/deny lists; the threat-level response. Keys of limits and of
 * rate_limit rules are scoped by site (every key starts with the site), so sites sharing the process's
 * bounded limiter table never share counters.
 *
 * The same compiler validates policies at config load (config/policy-check.ts), where its problems get
 * the key path and line of the rule they are about.
 */
import { MAX_YAML_ALIASES, readRegularFileSync } from '../config/read-file.ts';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse } from 'yaml';
import type { Config, SiteConfig } from '../config/schema.ts';
import type { GlobalPolicyConfig, SitePolicyConfig } from '../config/policy-schema.ts';
import type { IpLists } from '../core/net/ip-list.ts';
import { compilePolicy, type CompiledPolicy, type ImportLoader, type LevelPolicy, type PolicyDocument } from '../core/policy/index.ts';
import type { RuleSpec } from '../core/policy/spec.ts';
import { createLimitEvaluator, type LimitSpec, type LimiterTable } from '../core/ratelimit/index.ts';
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

export interface SitePolicyInputs {
  readonly config: Config;
  readonly site: SiteConfig;
  readonly lists: IpLists;
  readonly table: LimiterTable;
  readonly levelPolicy: LevelPolicy;
  readonly configFile?: string;
}

/** Compiles one site's policy for the runtime. Throws PolicyError / a spec error (the caller reports it). */
export function buildSitePolicy(i: SitePolicyInputs): CompiledPolicy {
  const site = i.site.policy;
  const global = i.config.policy;
  const document: PolicyDocument = {
    import: [...site.import, ...global.import],
    rules: [...ruleSpecs(site.rules), ...ruleSpecs(global.rules)],
  };
  const limits = [...limitSpecs(global.limits), ...limitSpecs(site.limits)];
  return compilePolicy(document, {
    importLoader: createImportLoader(i.configFile),
    label: `sites[${i.config.sites.indexOf(i.site)}].policy`,
    lists: i.lists,
    limits: limits.length > 0 ? createLimitEvaluator({ limits, table: i.table }) : null,
    table: i.table,
    levelPolicy: i.levelPolicy,
  });
}
