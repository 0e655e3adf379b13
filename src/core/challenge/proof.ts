/**
 * What a challenge asks and whether a clearance proves at least that.
 *
 * A clearance carries what it proves ({@link ClearanceProof}): the work of the proof of work it answered,
 * or the wait of the no-JS path. A challenge — a rule's, the threat level's, or a detector signature's —
 * asks a proof of work of some size, or (when the no-JS path is open at that level) a wait of some
 * length. A clearance satisfies a challenge only when it proves no less than that challenge asks:
 * - a proof of work of at least the asked work (`count × 2^bits` expected attempts, ./pow.ts);
 * - a no-JS wait at least as long as the asked wait, and only while the no-JS path is open.
 *
 * So a clearance earned at the cheapest challenge (a rule asking one bit, or the 5 s wait at `normal`)
 * satisfies that challenge and nothing harder — not the 20 s wait or the larger puzzle under attack.
 * A *cleared* visitor (queue priority, the 404 budget's exemption, the detector's signature rules'
 * exemption) is one whose proof of work satisfies the site's own challenge at the current level: a no-JS
 * clearance passes challenges but never makes its holder a cleared visitor.
 */

import type { ThreatLevel } from '../vocabulary.ts';
import { workHashes, type PowWork } from './pow.ts';
import { noJsWaitFor, workFor, type ChallengePolicy } from './policy.ts';
import type { ClearanceProof } from './tokens.ts';

/** What one challenge asks: a proof of work, or (when `noJsWaitS > 0`) a wait without JavaScript. */
export interface ChallengeAsk {
  readonly work: PowWork;
  /** 0 when the no-JS path is closed. */
  readonly noJsWaitS: number;
}

/** What the challenge at `level` asks, with a rule's explicit `difficulty` (bits) when it set one. */
export function challengeAsk(policy: ChallengePolicy, level: ThreatLevel, difficulty?: number): ChallengeAsk {
  return { work: workFor(policy, level, difficulty), noJsWaitS: noJsWaitFor(policy, level) };
}

/** Whether `proof` satisfies a challenge asking `ask` (see the module comment). */
export function proofSatisfies(proof: ClearanceProof, ask: ChallengeAsk): boolean {
  if (proof.via === 'pow') return workHashes(proof.work) >= workHashes(ask.work);
  return ask.noJsWaitS > 0 && proof.waitS >= ask.noJsWaitS;
}

/** Whether `proof` makes its holder a cleared visitor at `level`: proof of work satisfying the level's own challenge. */
export function proofClears(proof: ClearanceProof, policy: ChallengePolicy, level: ThreatLevel): boolean {
  return proof.via === 'pow' && workHashes(proof.work) >= workHashes(policy.work[level]);
}
