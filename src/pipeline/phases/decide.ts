/**
 * `decide` — the pure policy evaluation producing a {@link Decision} that names what produced it.
 * Today: the threat-level response — under attack, every uncleared browser is challenged
 * (`level/under_attack`); crawlers, libraries and API clients are left to the status-only answers of the
 * challenge (they cannot solve a page). Lists, rules, limits and bans arrive with issue #3's policy.
 */
import type { Decision } from '../../core/vocabulary.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, type Phase } from '../phase.ts';

const UNDER_ATTACK_CHALLENGE: Decision = Object.freeze({ action: 'challenge', by: 'level/under_attack' });

export const decidePhase: Phase = {
  name: 'decide',
  run(ctx: RequestContext) {
    if (ctx.level === 'under_attack' && !ctx.cleared && !ctx.verifiedCrawler) ctx.decision = UNDER_ATTACK_CHALLENGE;
    return CONTINUE;
  },
};
