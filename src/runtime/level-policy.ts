/**
 * What a site's threat level adds to the policy (issues #3 and #6): under attack, every uncleared
 * browser client (and clients that do not say what they are) is challenged, while cleared visitors,
 * allow-listed clients, crawlers and feed readers, and API clients pass on to the limits, the shield and
 * the detector's signature rules — a challenge would lock them out, and the mission is never to lock
 * out crawlers, feed readers or API clients. Bots that claim a browser's user agent get the page.
 */
import type { LevelPolicy } from '../core/policy/index.ts';
import type { Decision } from '../core/vocabulary.ts';

const UNDER_ATTACK: Decision = Object.freeze({ action: 'challenge', by: 'level/under_attack' });

export function createLevelPolicy(): LevelPolicy {
  return (level, facts) => {
    if (level === 'under_attack' && !facts.cleared && (facts.uaClass === 'browser' || facts.uaClass === 'unknown')) return UNDER_ATTACK;
    return null;
  };
}
