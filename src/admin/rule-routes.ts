/**
 * The signature rules of the detector, with the operator's word on them (detection/rule-decisions.ts):
 * - `GET /rules[?site=S]` (viewer): per site the active rules (applied and proposed), each with its
 *   evidence, collateral estimate, the operator's decision and whether decide enforces it now;
 * - `POST /rules/accept` and `POST /rules/reject` `{"site": "news", "rule": "sig/..."}` (operator).
 */
import { BulwarkError } from '../core/errors.ts';
import type { SignatureRule } from '../core/detect/index.ts';
import { ruleView } from '../detection/detection-stats.ts';
import type { RuleDecisions } from '../detection/rule-decisions.ts';
import type { AdminRequest, RouteTable } from './route-types.ts';

/** What the routes need. */
export interface RuleRouteDeps {
  readonly sites: () => readonly string[];
  readonly activeRules: (site: string) => readonly SignatureRule[];
  readonly decisions: RuleDecisions;
  readonly now?: () => number;
}

function bad(message: string): never {
  throw new BulwarkError('BULWARK_ERR_ADMIN_INVALID', message, { source: 'operator', publicReason: message });
}

function ruleTarget({ body }: AdminRequest): string | null {
  const b = (body ?? {}) as { site?: unknown; rule?: unknown };
  return typeof b.site === 'string' && typeof b.rule === 'string' ? `${b.site} ${b.rule}` : null;
}

/** A site's active rules as the API and the dashboard show them: the rule, the operator's decision, whether decide enforces it. */
export function rulesWithDecisions(deps: Pick<RuleRouteDeps, 'activeRules' | 'decisions'>, site: string, nowMs: number) {
  return deps.activeRules(site).map((r) => {
    const d = deps.decisions.get(site, r.id, nowMs);
    const enforced = d?.decision === 'reject' ? false : d?.decision === 'accept' || r.mode === 'apply';
    return { ...ruleView(r), decision: d ? { decision: d.decision, by: d.by, at: new Date(d.atMs).toISOString(), until: new Date(d.untilMs).toISOString() } : null, enforced };
  });
}

/** The routes (see the module comment). */
export function ruleRoutes(deps: RuleRouteDeps): RouteTable {
  const now = deps.now ?? Date.now;
  const view = (site: string, nowMs: number) => rulesWithDecisions(deps, site, nowMs);
  const decide = (decision: 'accept' | 'reject') => async ({ body, principal }: AdminRequest) => {
    const b = (body ?? {}) as { site?: unknown; rule?: unknown };
    if (typeof b.site !== 'string' || !deps.sites().includes(b.site)) bad(`site must be one of: ${deps.sites().join(', ')}`);
    if (typeof b.rule !== 'string') bad('rule (a signature rule id) is required');
    const nowMs = now();
    if (!deps.activeRules(b.site).some((r) => r.id === b.rule)) return { status: 404, body: { error: 'not_found', message: `no active rule ${b.rule} on ${b.site}` } };
    const d = await deps.decisions.decide(b.site, b.rule, decision, principal ? `token:${principal.name}` : 'admin', nowMs);
    return { status: 200, body: { site: b.site, rule: b.rule, decision: d.decision, until: new Date(d.untilMs).toISOString() } };
  };
  return {
    'GET /rules': {
      access: 'viewer',
      handler: ({ url }) => {
        const one = url.searchParams.get('site');
        const nowMs = now();
        const sites = one === null ? deps.sites() : deps.sites().filter((s) => s === one);
        return { status: 200, body: { sites: Object.fromEntries(sites.map((s) => [s, view(s, nowMs)])) } };
      },
    },
    'POST /rules/accept': { access: 'operator', action: 'rule.accept', target: ruleTarget, handler: decide('accept') },
    'POST /rules/reject': { access: 'operator', action: 'rule.reject', target: ruleTarget, handler: decide('reject') },
  };
}
