/**
 * Compiling a site's policy: the site's own rules, then the global rules; the global limits
 * and the site's limits; the allow/deny lists; the threat-level response. Keys of limits and of
 * rate_limit rules are scoped by site (every key starts with the site), so sites sharing the process's
 * bounded limiter table never share counters.
 *
 * The same compiler validates policies at config load (config/policy-check.ts), where its problems get
 * the key path and line of the rule they are about.
 */
import { createImportLoader, limitSpecs, ruleSpecs } from '../config/policy-specs.ts';
import type { Config, SiteConfig } from '../config/schema.ts';
import type { IpLists } from '../core/net/ip-list.ts';
import { compilePolicy, type CompiledPolicy, type LevelPolicy, type PolicyDocument } from '../core/policy/index.ts';
import { createLimitEvaluator, type LimiterTable } from '../core/ratelimit/index.ts';

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
