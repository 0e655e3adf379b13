/**
 * Semantic checks of policies at config load: the policy compiler runs over the global policy and every
 * site's policy (CEL expressions, regexes, CIDRs, imports, duplicate names), and each problem becomes a
 * config problem with the key path of the rule it is about — so `bulwark check` says
 * `bulwark.yaml:42: policy.rules[3].expr: rule "block-scanners": column 7: ...`.
 */
import { compilePolicy, PolicyError, type PolicyProblem } from '../core/policy/index.ts';
import { createLimitEvaluator, createLimiterTable } from '../core/ratelimit/index.ts';
import { createImportLoader, limitSpecs, policyDocument } from './policy-specs.ts';
import type { ConfigProblem } from './load.ts';
import type { Config } from './schema.ts';

/** `sites[0].policy.rules[3]` → `['sites', 0, 'policy', 'rules', 3]`. */
export function parsePath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return out;
}

function toProblem(p: PolicyProblem, locate: (path: PropertyKey[]) => number | null): ConfigProblem {
  const base = p.index !== undefined && !p.path.includes('[') ? `${p.path}[${p.index}]` : p.path;
  const path = p.field !== undefined && !base.startsWith('import') ? `${base}.${p.field.replace(/\[\d+\]$/, '')}` : base;
  const where = p.rule !== undefined ? `rule "${p.rule}": ` : '';
  const col = p.column !== undefined ? `column ${p.column}: ` : '';
  return { path, line: base.startsWith('import') ? null : locate(parsePath(path)), message: `${where}${col}${p.message}` };
}

/** Compiles every policy of the config; returns the problems (empty when all compile). */
export function checkPolicies(config: Config, file: string | undefined, locate: (path: PropertyKey[]) => number | null): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const table = createLimiterTable({ maxKeys: 1024, seed: 1 });
  const loader = createImportLoader(file);
  const check = (label: string, doc: ReturnType<typeof policyDocument>, limits: ReturnType<typeof limitSpecs>) => {
    try {
      compilePolicy(doc, { importLoader: loader, label, table, limits: limits.length > 0 ? createLimitEvaluator({ limits, table }) : null });
    } catch (err) {
      if (err instanceof PolicyError) problems.push(...err.problems.map((p) => toProblem(p, locate)));
      else problems.push({ path: `${label}.limits`, line: locate(parsePath(`${label}.limits`)), message: (err as Error).message });
    }
  };
  check('policy', policyDocument(config.policy), limitSpecs(config.policy.limits));
  config.sites.forEach((site, i) => check(`sites[${i}].policy`, policyDocument(site.policy), [...limitSpecs(config.policy.limits), ...limitSpecs(site.policy.limits)]));
  return problems;
}
