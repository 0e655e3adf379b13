/**
 * The challenge policy of a site: how hard the puzzle is and whether the no-JavaScript path is open at
 * each threat level, how long a challenge and a clearance last, and what a clearance is bound to.
 *
 * Defaults (see bench/challenge.bench.ts and the closing note of issue #4 for the measurements behind
 * them):
 * - difficulty (leading zero bits): normal 14, elevated 16, under_attack 18 — a few hundred ms on an
 *   average browser at the highest level, and ~4× that on a slow phone.
 * - no-JS path: open at every level by default — 5 s at normal, 10 s elevated, 20 s under attack, so
 *   visitors without JavaScript are never locked out (an operator may close it with 0) — a bot that
 *   merely waits is cheap to run, but people without JavaScript (Tor Browser "safest", text browsers,
 *   some accessibility setups) are real visitors we should not lose on a false alarm.
 * - challenge token lifetime: 300 s (the visitor needs seconds; the replay set must remember every
 *   accepted nonce this long, so shorter is cheaper).
 * - clearance lifetime: 3600 s, bound to the client's prefix (a visitor whose address changes inside a
 *   /24 or /64 — mobile, privacy addresses — keeps the clearance).
 */

import type { ThreatLevel } from '../vocabulary.ts';
import type { ClearanceBinding } from './tokens.ts';

/** The per-site challenge policy (every field has a default; see {@link resolveChallengePolicy}). */
export interface ChallengePolicy {
  /** Leading zero bits per threat level, 1..30. */
  readonly difficulty: Readonly<Record<ThreatLevel, number>>;
  /** No-JS minimum wait per threat level in seconds, 1..120; 0 closes the no-JS path at that level. */
  readonly noJsWaitS: Readonly<Record<ThreatLevel, number>>;
  /** How long a challenge token may be answered, 30..3600 s. */
  readonly tokenLifetimeS: number;
  /** How long a clearance cookie lasts, 60 s..30 days. */
  readonly clearanceLifetimeS: number;
  /** What a clearance cookie is bound to. */
  readonly clearanceBinding: ClearanceBinding;
}

/** Bounds on the difficulty a policy or a rule may ask for. */
export const MIN_DIFFICULTY = 1;
export const MAX_DIFFICULTY = 30;

/** The defaults described above. */
export const DEFAULT_CHALLENGE_POLICY: ChallengePolicy = Object.freeze({
  difficulty: Object.freeze({ normal: 14, elevated: 16, under_attack: 18 }),
  noJsWaitS: Object.freeze({ normal: 5, elevated: 10, under_attack: 20 }),
  tokenLifetimeS: 300,
  clearanceLifetimeS: 3600,
  clearanceBinding: 'prefix' as const,
});

/** A partial policy as it may come from the config (missing fields take the defaults). */
export interface ChallengePolicyInput {
  readonly difficulty?: Partial<Record<ThreatLevel, number>>;
  readonly noJsWaitS?: Partial<Record<ThreatLevel, number>>;
  readonly tokenLifetimeS?: number;
  readonly clearanceLifetimeS?: number;
  readonly clearanceBinding?: ClearanceBinding;
}

function checkRange(name: string, value: number, min: number, max: number, problems: string[]): void {
  if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer in ${min}..${max}, got ${value}`);
}

/**
 * Merges `input` over the defaults and validates it. Throws an Error with code
 * BULWARK_ERR_CHALLENGE_POLICY listing every problem at once.
 */
export function resolveChallengePolicy(input: ChallengePolicyInput = {}): ChallengePolicy {
  const d = DEFAULT_CHALLENGE_POLICY;
  const policy: ChallengePolicy = {
    difficulty: { ...d.difficulty, ...input.difficulty },
    noJsWaitS: { ...d.noJsWaitS, ...input.noJsWaitS },
    tokenLifetimeS: input.tokenLifetimeS ?? d.tokenLifetimeS,
    clearanceLifetimeS: input.clearanceLifetimeS ?? d.clearanceLifetimeS,
    clearanceBinding: input.clearanceBinding ?? d.clearanceBinding,
  };
  const problems: string[] = [];
  for (const [level, bits] of Object.entries(policy.difficulty)) checkRange(`difficulty.${level}`, bits, MIN_DIFFICULTY, MAX_DIFFICULTY, problems);
  for (const [level, s] of Object.entries(policy.noJsWaitS)) checkRange(`noJsWaitS.${level}`, s, 0, 120, problems);
  checkRange('tokenLifetimeS', policy.tokenLifetimeS, 30, 3600, problems);
  checkRange('clearanceLifetimeS', policy.clearanceLifetimeS, 60, 30 * 86400, problems);
  for (const [level, s] of Object.entries(policy.noJsWaitS)) {
    if (s >= policy.tokenLifetimeS) problems.push(`noJsWaitS.${level} (${s}) must be shorter than tokenLifetimeS (${policy.tokenLifetimeS})`);
  }
  if (policy.clearanceBinding !== 'prefix' && policy.clearanceBinding !== 'address') problems.push(`clearanceBinding must be 'prefix' or 'address'`);
  if (problems.length > 0) {
    throw Object.assign(new Error(`invalid challenge policy: ${problems.join('; ')}`), { code: 'BULWARK_ERR_CHALLENGE_POLICY' });
  }
  return policy;
}

/**
 * The difficulty for a challenge at `level`: a rule's explicit difficulty (`Decision.difficulty`) wins,
 * clamped to {@link MIN_DIFFICULTY}..{@link MAX_DIFFICULTY}; otherwise the policy's value for the level.
 */
export function difficultyFor(policy: ChallengePolicy, level: ThreatLevel, override?: number): number {
  if (override !== undefined && Number.isFinite(override)) {
    return Math.min(MAX_DIFFICULTY, Math.max(MIN_DIFFICULTY, Math.round(override)));
  }
  return policy.difficulty[level];
}

/** The no-JS minimum wait at `level` in seconds, 0 when the no-JS path is closed. */
export function noJsWaitFor(policy: ChallengePolicy, level: ThreatLevel): number {
  return policy.noJsWaitS[level];
}
