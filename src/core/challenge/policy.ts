/**
 * The challenge policy of a site: how much work the puzzle asks and whether the no-JavaScript path is
 * open at each threat level, how long a challenge and a clearance last, and what a clearance is bound to.
 *
 * Work follows a time budget, not a fixed bit count: the operator says how long a visitor on a slow
 * phone may spend at each level, and the work is that budget times {@link DEFAULT_REFERENCE_HASH_RATE}
 * (the attempts per second of one core of a budget phone running the page's solver), split into
 * sub-challenges (./pow.ts) so that the slow tail stays close to the budget. A fixed bit count per level
 * (`difficulty`) can still be set and then wins. Defaults (bench/challenge-solve.bench.ts measures them in
 * Chromium with CPU throttling):
 * - time budget: normal 0.5 s, elevated 1 s, under_attack 1.2 s on the reference phone (~127k, 254k and
 *   295k SHA-256 attempts — under attack a little more than the single 18-bit search it replaces, with a
 *   far shorter tail: a desktop browser needs a fraction of a second, one core throttled 6× about one
 *   second of hashing plus the page's start).
 * - no-JS path: open at every level — 5 s at normal, 10 s elevated, 20 s under attack — so visitors
 *   without JavaScript (Tor Browser "safest", text browsers, some accessibility setups) are never locked
 *   out by a false alarm; an operator may close it with 0. What it grants is deliberately less than a
 *   solved puzzle: a clearance of {@link DEFAULT_NOJS_CLEARANCE_LIFETIME_S} bound to the exact address and
 *   user agent, that passes challenges whose no-JS wait is no longer than the one waited and brings none
 *   of a cleared visitor's privileges (queue priority, the 404 budget's exemption, the detector's
 *   signature rules' exemption).
 * - challenge token lifetime: 300 s (the visitor needs seconds; the replay set must remember every
 *   accepted nonce this long, so shorter is cheaper).
 * - clearance lifetime: 3600 s, bound to the client's prefix (a visitor whose address changes inside a
 *   /24 or /64 — mobile, privacy addresses — keeps the clearance); `network` binding for dual-stack and
 *   carrier-pool visitors, each clearance then usable from at most 8 prefixes (see
 *   docs/security.md, "Clearances and challenges", for what each binding costs).
 */

import type { ThreatLevel } from '../vocabulary.ts';
import type { ClearanceBinding } from './tokens.ts';
import { splitWork, workOfBits, workHashes, type PowWork } from './pow.ts';

/** The per-site challenge policy (every field has a default; see {@link resolveChallengePolicy}). */
export interface ChallengePolicy {
  /** The proof of work asked at each threat level (sub-challenges and their bits). */
  readonly work: Readonly<Record<ThreatLevel, PowWork>>;
  /** No-JS minimum wait per threat level in seconds, 1..120; 0 closes the no-JS path at that level. */
  readonly noJsWaitS: Readonly<Record<ThreatLevel, number>>;
  /** How long a challenge token may be answered, 30..3600 s. */
  readonly tokenLifetimeS: number;
  /** How long a proof-of-work clearance lasts, 60 s..30 days. */
  readonly clearanceLifetimeS: number;
  /** How long a no-JS clearance lasts, 60 s..the proof-of-work clearance's lifetime. */
  readonly noJsClearanceLifetimeS: number;
  /** What a proof-of-work clearance is bound to. */
  readonly clearanceBinding: ClearanceBinding;
  /** `network` binding: distinct client prefixes one clearance may be presented from (./clearance-spread.ts), 2..64. */
  readonly networkMaxPrefixes: number;
  /** SHA-256 attempts per second of the slow device the time budgets are written for (page estimates). */
  readonly referenceHashRate: number;
}

/** Bounds on the difficulty (leading zero bits of one search) a policy or a rule may ask for. */
export const MIN_DIFFICULTY = 1;
export const MAX_DIFFICULTY = 30;
/** Attempts per second of one core of a budget phone running the page's JavaScript SHA-256 (a desktop core: ~2–3 million). */
export const DEFAULT_REFERENCE_HASH_RATE = 250_000;
/** Default lifetime of a no-JS clearance: 10 minutes (a proof-of-work clearance: 1 hour). */
export const DEFAULT_NOJS_CLEARANCE_LIFETIME_S = 600;
/** Default time budget per level on the reference device, in ms. */
export const DEFAULT_TIME_BUDGET_MS: Readonly<Record<ThreatLevel, number>> = Object.freeze({ normal: 500, elevated: 1000, under_attack: 1200 });

/** A partial policy as it may come from the config (missing fields take the defaults). */
export interface ChallengePolicyInput {
  /** Fixed leading zero bits per level (the work of one search of that many bits); wins over the time budget. */
  readonly difficulty?: Partial<Record<ThreatLevel, number>>;
  /** Time a visitor on the reference device may spend per level, ms (100..30000). */
  readonly timeBudgetMs?: Partial<Record<ThreatLevel, number>>;
  readonly referenceHashRate?: number;
  readonly noJsWaitS?: Partial<Record<ThreatLevel, number>>;
  readonly tokenLifetimeS?: number;
  readonly clearanceLifetimeS?: number;
  readonly noJsClearanceLifetimeS?: number;
  readonly clearanceBinding?: ClearanceBinding;
  readonly networkMaxPrefixes?: number;
}

function checkRange(name: string, value: number, min: number, max: number, problems: string[]): void {
  if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer in ${min}..${max}, got ${value}`);
}

const LEVELS: readonly ThreatLevel[] = ['normal', 'elevated', 'under_attack'];

function workPerLevel(input: ChallengePolicyInput, rate: number, problems: string[]): Record<ThreatLevel, PowWork> {
  const budget = { ...DEFAULT_TIME_BUDGET_MS, ...input.timeBudgetMs };
  const out = {} as Record<ThreatLevel, PowWork>;
  for (const level of LEVELS) {
    const bits = input.difficulty?.[level];
    if (bits !== undefined) checkRange(`difficulty.${level}`, bits, MIN_DIFFICULTY, MAX_DIFFICULTY, problems);
    else checkRange(`timeBudgetMs.${level}`, budget[level], 100, 30_000, problems);
    out[level] = bits !== undefined ? workOfBits(bits) : splitWork((budget[level] / 1000) * rate);
  }
  return out;
}

/**
 * Merges `input` over the defaults and validates it. Throws an Error with code
 * BULWARK_ERR_CHALLENGE_POLICY listing every problem at once.
 */
export function resolveChallengePolicy(input: ChallengePolicyInput = {}): ChallengePolicy {
  const problems: string[] = [];
  const referenceHashRate = input.referenceHashRate ?? DEFAULT_REFERENCE_HASH_RATE;
  checkRange('referenceHashRate', referenceHashRate, 10_000, 100_000_000, problems);
  const clearanceLifetimeS = input.clearanceLifetimeS ?? 3600;
  const policy: ChallengePolicy = {
    work: workPerLevel(input, referenceHashRate, problems),
    noJsWaitS: { normal: 5, elevated: 10, under_attack: 20, ...input.noJsWaitS },
    tokenLifetimeS: input.tokenLifetimeS ?? 300,
    clearanceLifetimeS,
    noJsClearanceLifetimeS: input.noJsClearanceLifetimeS ?? Math.min(DEFAULT_NOJS_CLEARANCE_LIFETIME_S, clearanceLifetimeS),
    clearanceBinding: input.clearanceBinding ?? 'prefix',
    networkMaxPrefixes: input.networkMaxPrefixes ?? 8,
    referenceHashRate,
  };
  checkRange('networkMaxPrefixes', policy.networkMaxPrefixes, 2, 64, problems);
  for (const [level, s] of Object.entries(policy.noJsWaitS)) checkRange(`noJsWaitS.${level}`, s, 0, 120, problems);
  checkRange('tokenLifetimeS', policy.tokenLifetimeS, 30, 3600, problems);
  checkRange('clearanceLifetimeS', policy.clearanceLifetimeS, 60, 30 * 86400, problems);
  checkRange('noJsClearanceLifetimeS', policy.noJsClearanceLifetimeS, 60, Math.max(60, policy.clearanceLifetimeS), problems);
  if (policy.noJsClearanceLifetimeS > policy.clearanceLifetimeS) problems.push('noJsClearanceLifetimeS must not exceed clearanceLifetimeS: the no-JS path grants less than a solved puzzle');
  for (const [level, s] of Object.entries(policy.noJsWaitS)) {
    if (s >= policy.tokenLifetimeS) problems.push(`noJsWaitS.${level} (${s}) must be shorter than tokenLifetimeS (${policy.tokenLifetimeS})`);
  }
  if (!['prefix', 'address', 'network'].includes(policy.clearanceBinding)) problems.push(`clearanceBinding must be 'prefix', 'address' or 'network'`);
  if (problems.length > 0) {
    throw Object.assign(new Error(`invalid challenge policy: ${problems.join('; ')}`), { code: 'BULWARK_ERR_CHALLENGE_POLICY' });
  }
  return policy;
}

/** The policy with every default (for tests and tools). */
export const DEFAULT_CHALLENGE_POLICY: ChallengePolicy = resolveChallengePolicy();

/**
 * The work of a challenge at `level`: a rule's explicit difficulty (`Decision.difficulty`, leading zero
 * bits of one search) wins, clamped to {@link MIN_DIFFICULTY}..{@link MAX_DIFFICULTY} and split into
 * sub-challenges of the same expected work; otherwise the policy's work for the level.
 */
export function workFor(policy: ChallengePolicy, level: ThreatLevel, difficulty?: number): PowWork {
  if (difficulty !== undefined && Number.isFinite(difficulty)) {
    return workOfBits(Math.min(MAX_DIFFICULTY, Math.max(MIN_DIFFICULTY, Math.round(difficulty))));
  }
  return policy.work[level];
}

/** The no-JS minimum wait at `level` in seconds, 0 when the no-JS path is closed. */
export function noJsWaitFor(policy: ChallengePolicy, level: ThreatLevel): number {
  return policy.noJsWaitS[level];
}

/**
 * Seconds the page announces for `work`: the reference device's average, rounded up (most visitors are
 * faster; the sub-challenges keep the slow ones close to it), at least 1.
 */
export function expectedSolveSeconds(policy: ChallengePolicy, work: PowWork): number {
  return Math.max(1, Math.ceil(workHashes(work) / policy.referenceHashRate - 0.05));
}
