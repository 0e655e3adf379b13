/**
 * What a site's threat level adds to the policy: under attack, every browser client (and clients that do
 * not say what they are) is challenged unless its clearance satisfies the level's own challenge — one
 * from a cheaper challenge (a rule's low difficulty, a shorter no-JS wait) does not — while cleared
 * visitors, allow-listed clients, crawlers and feed readers, and API clients pass on to the limits, the
 * shield and the detector's signature rules — a challenge would lock them out, and the mission is never
 * to lock out crawlers, feed readers or API clients. Bots that claim a browser's user agent get the page.
 */
import type { LevelPolicy } from '../core/policy/index.ts';
import type { Decision } from '../core/vocabulary.ts';

const UNDER_ATTACK: Decision = Object.freeze({ action: 'challenge', by: 'level/under_attack' });

export function createLevelPolicy(): LevelPolicy {
  return (level, facts) => {
    if (level !== 'under_attack' || (facts.uaClass !== 'browser' && facts.uaClass !== 'unknown')) return null;
    // A clearance passes only when it proves at least what this level's own challenge asks.
    const satisfied = facts.satisfiesChallenge === undefined ? facts.cleared : facts.satisfiesChallenge(undefined);
    return satisfied ? null : UNDER_ATTACK;
  };
}
