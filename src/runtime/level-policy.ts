/**
 * What a site's threat level adds to the policy (issues #3 and #6): under attack, every uncleared
 * client is challenged — browsers get the page, clients that cannot solve one get a status with
 * Retry-After (the challenge responder decides which) — while cleared visitors and allow-listed clients
 * pass. The detector's signature rules (issue #6) plug in here too.
 */
import type { LevelPolicy } from '../core/policy/index.ts';
import type { Decision } from '../core/vocabulary.ts';

const UNDER_ATTACK: Decision = Object.freeze({ action: 'challenge', by: 'level/under_attack' });

export function createLevelPolicy(): LevelPolicy {
  return (level, facts) => {
    if (level === 'under_attack' && !facts.cleared) return UNDER_ATTACK;
    return null;
  };
}
