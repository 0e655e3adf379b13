/**
 * The challenge gate of one site: the few calls the pipeline makes, each returning a ready answer.
 *
 * - identify: {@link ChallengeGate.checkClearance} — does the request carry a valid clearance cookie, and
 *   is its holder a cleared visitor at this level?
 * - decide and enforce: {@link ChallengeGate.satisfies} — does that clearance satisfy this challenge
 *   (a rule's difficulty, or the level's own)? Only when it proves no less than the challenge asks.
 * - enforce, on a `challenge` decision: {@link ChallengeGate.classify} (page, status only, or pass), then
 *   {@link ChallengeGate.issue} (the page) or {@link ChallengeGate.statusOnly} (429/503 + Retry-After).
 * - the `/.bulwark/challenge/verify` route: {@link ChallengeGate.verify} (303 + Set-Cookie; on failure a
 *   small page that returns the visitor to a fresh challenge, or for an early no-JS answer the same page).
 * - the `/.bulwark/challenge/return` route: {@link ChallengeGate.afterVerify} (303 onwards when the cookie
 *   came back, else the cookies-off page) — the stateless way to notice that cookies are switched off.
 *
 * Pure like the rest of core: time is `nowMs`, randomness the injected `random`. Build one gate per site
 * at config load; after a key rotation build a new one with the new ring and the *same* replay set.
 */

import type { ThreatLevel } from '../vocabulary.ts';
import { createSiteTag, type SiteTag } from './binding.ts';
import type { KeyRing } from './key-ring.ts';
import type { ReplaySet } from './replay-set.ts';
import type { ClearanceSpread } from './clearance-spread.ts';
import { resolveChallengePolicy, expectedSolveSeconds, type ChallengePolicy } from './policy.ts';
import { challengeAsk, proofClears, proofSatisfies, type ChallengeAsk } from './proof.ts';
import { mintChallengeToken, verifyClearance, type ChallengeClaims, type ChallengeClient, type ClearanceClaims, type RandomFill, type TokenFailure } from './tokens.ts';
import { verifySubmission, type Submission, type SubmissionResult, type VerifyClient } from './verify-submission.ts';
import { findClearanceCookie } from './cookie.ts';
import { sanitizeReturnPath } from './return-path.ts';
import { createExemptions, type ChallengeTarget, type ExemptionOptions, type ExemptionRequest } from './exemptions.ts';
import { compileChallengePage, fillChallengePage, renderChallengePageFast, type ChallengePageTemplate } from './page/challenge-page.ts';
import { renderCookiesOffPage } from './page/cookies-off-page.ts';
import { renderRetryPage } from './page/retry-page.ts';
import {
  CHALLENGE_STATUS,
  COOKIES_OFF_STATUS,
  STATUS_ONLY_RETRY_AFTER_S,
  STATUS_ONLY_STATUS,
  STATUS_ONLY_UNDER_ATTACK,
  VERIFY_SUCCESS_STATUS,
  CHALLENGE_PAGE_HEADERS,
} from './page/headers.ts';
import type { PageReason } from './page/texts.ts';

/** The route that checks the cookie came back after a successful verify. */
export const CHALLENGE_RETURN_PATH = '/.bulwark/challenge/return';

/** Options of {@link createChallengeGate}. */
export interface ChallengeGateOptions {
  /** The site's id (bound into every token; renaming it signs everyone out). */
  readonly site: string;
  /** The name shown to visitors (default: the id). */
  readonly siteName?: string;
  readonly keys: KeyRing;
  readonly replay: ReplaySet;
  /** The `network` binding's spread guard (shared like the replay set); without it, no spread limit. */
  readonly spread?: ClearanceSpread;
  /** Default: {@link resolveChallengePolicy}() (the documented defaults). */
  readonly policy?: ChallengePolicy;
  readonly exemptions?: ExemptionOptions;
  /** Random bytes for token nonces (wrap `crypto.randomFillSync` in `createRandomPool`). */
  readonly random: RandomFill;
  /** Redirect through {@link CHALLENGE_RETURN_PATH} after a successful verify (default true). */
  readonly checkCookieReturn?: boolean;
}

/** A complete answer: status, headers, body (UTF-8 text; send no body for HEAD). */
export interface GateResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What enforce knows about a request it must challenge. */
export interface ChallengeRequest {
  readonly client: ChallengeClient;
  readonly level: ThreatLevel;
  /** `Decision.difficulty` from the rule, if it set one. */
  readonly difficulty?: number;
  /** The challenged request's method. */
  readonly method: string;
  /** Where to return afterwards: pass `challengeReturnPath(...)` (sanitised again here). */
  readonly returnPath: string;
  readonly requestId: string;
  /** What to tell the visitor (default: `under_attack` at that level, else `protection`). */
  readonly reason?: PageReason;
  /** Status to use (default 403; 429 when a rate limit triggered the challenge). */
  readonly status?: number;
  /** Carried in the token and back with the answer (the solve-rate stats' rule tag), 0..2^24-1. */
  readonly tag?: number;
}

/** A challenge page plus what was issued (for the solve-rate metrics). */
export interface IssuedChallenge extends GateResponse {
  readonly token: string;
  readonly claims: ChallengeClaims;
}

/** The answer of the verify route. */
export type VerifyOutcome =
  | { readonly ok: true; readonly result: Extract<SubmissionResult, { ok: true }>; readonly response: GateResponse }
  | { readonly ok: false; readonly result: Extract<SubmissionResult, { ok: false }>; readonly response: GateResponse };

/**
 * The clearance state of a request, for identify:
 * - `valid`: a proof of work satisfying the site's own challenge at this level — a cleared visitor;
 * - `limited`: satisfies the level's challenge only through the no-JS path (passes it, no privileges);
 * - `insufficient`: genuine but weaker than the level's challenge (it may still satisfy a cheaper rule's);
 * - `invalid`: forged, expired, transplanted, of another site, or (`shared`) a network-bound clearance
 *   presented from more prefixes than one visitor uses; `none`: no cookie.
 */
export type ClearanceStatus =
  | { readonly status: 'none' }
  | { readonly status: 'valid' | 'limited' | 'insufficient'; readonly claims: ClearanceClaims }
  | { readonly status: 'invalid'; readonly reason: TokenFailure | 'shared' };

/** The gate of one site. */
export interface ChallengeGate {
  readonly site: SiteTag;
  readonly policy: ChallengePolicy;
  checkClearance(cookieHeader: string | undefined, client: ChallengeClient, level: ThreatLevel, nowMs: number): ClearanceStatus;
  /**
   * Whether `clearance` (verified claims, or null for none) satisfies the challenge at `level` asking
   * `difficulty` bits (a rule's), or the level's own challenge when undefined.
   */
  satisfies(clearance: ClearanceClaims | null, level: ThreatLevel, difficulty?: number): boolean;
  /** What the challenge at `level` asks (with a rule's `difficulty` when set). */
  ask(level: ThreatLevel, difficulty?: number): ChallengeAsk;
  classify(request: ExemptionRequest): ChallengeTarget;
  issue(request: ChallengeRequest, nowMs: number): IssuedChallenge;
  statusOnly(level: ThreatLevel): GateResponse;
  verify(submission: Submission, client: VerifyClient, requestId: string, nowMs: number): VerifyOutcome;
  afterVerify(query: string, cookieHeader: string | undefined, requestId: string): GateResponse;
  cookiesOffPage(returnPath: string, requestId: string): GateResponse;
}

const STATUS_ONLY_HEADERS = Object.freeze({ 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'retry-after': String(STATUS_ONLY_RETRY_AFTER_S) });
const STATUS_ONLY_BODY = 'This site is busy protecting itself from automated traffic. Please retry later.\n';
/** The status-only answers: the same frozen values every time (the edge prepares their heads once). */
const STATUS_ONLY_ANSWERS = {
  under_attack: Object.freeze({ status: STATUS_ONLY_UNDER_ATTACK, headers: STATUS_ONLY_HEADERS, body: STATUS_ONLY_BODY }),
  other: Object.freeze({ status: STATUS_ONLY_STATUS, headers: STATUS_ONLY_HEADERS, body: STATUS_ONLY_BODY }),
} as const;

/** Rule difficulties remembered per level (a config names a handful; the detector's rules none). */
const MAX_RULE_ASKS = 64;
/** Each reason's place in a template list. */
const REASON_SLOT: Readonly<Record<PageReason, number>> = { protection: 0, under_attack: 1, expired: 2, failed: 3, too_early: 4, busy: 5 };

const FAILURE_PAGE_REASON: Readonly<Record<string, PageReason>> = { expired: 'expired', too_early: 'too_early', busy: 'busy' };

/**
 * Builds the gate of one site. Throws BULWARK_ERR_CHALLENGE_POLICY when the token lifetime exceeds the
 * replay set's horizon, and BULWARK_ERR_CHALLENGE_EXEMPTION_PATTERN on a bad path pattern.
 */
export function createChallengeGate(options: ChallengeGateOptions): ChallengeGate {
  const site = createSiteTag(options.site);
  const siteName = options.siteName ?? options.site;
  const policy = options.policy ?? resolveChallengePolicy();
  const exemptions = createExemptions(options.exemptions);
  const { keys, replay, random, spread } = options;
  if (policy.tokenLifetimeS * 1000 > replay.horizonMs) {
    throw Object.assign(
      new Error(`challenge tokenLifetimeS (${policy.tokenLifetimeS}) exceeds the replay set horizon (${replay.horizonMs / 1000} s): create the replay set with horizonMs ≥ the token lifetime`),
      { code: 'BULWARK_ERR_CHALLENGE_POLICY' },
    );
  }
  const checkCookieReturn = options.checkCookieReturn ?? true;
  const tokenBinding = policy.clearanceBinding === 'network' ? 'network' : 'prefix';
  // What each challenge asks, computed once per level and rule difficulty (the same object every time:
  // the per-request checks compare numbers, and the page templates below are found by it).
  const levelAsk = { normal: challengeAsk(policy, 'normal'), elevated: challengeAsk(policy, 'elevated'), under_attack: challengeAsk(policy, 'under_attack') };
  const ruleAsks = { normal: new Map<number, ChallengeAsk>(), elevated: new Map<number, ChallengeAsk>(), under_attack: new Map<number, ChallengeAsk>() };
  function ask(level: ThreatLevel, difficulty?: number): ChallengeAsk {
    if (difficulty === undefined) return levelAsk[level];
    const asks = ruleAsks[level];
    let a = asks.get(difficulty);
    if (a === undefined) {
      if (asks.size >= MAX_RULE_ASKS) asks.clear();
      asks.set(difficulty, (a = challengeAsk(policy, level, difficulty)));
    }
    return a;
  }

  // The site's page templates, by ask, reason and method kind (bounded like the asks).
  const templates = new Map<ChallengeAsk, ChallengePageTemplate[]>();
  function templateFor(a: ChallengeAsk, reason: PageReason, method: string): ChallengePageTemplate {
    let list = templates.get(a);
    if (list === undefined) {
      if (templates.size >= 4 * MAX_RULE_ASKS) templates.clear();
      templates.set(a, (list = []));
    }
    const slot = REASON_SLOT[reason] * 2 + (method === 'GET' || method === 'HEAD' ? 0 : 1);
    return (list[slot] ??= compileChallengePage({ siteName, reason, work: a.work, expectedS: expectedSolveSeconds(policy, a.work), noJsWaitS: a.noJsWaitS, method }));
  }

  function issue(r: ChallengeRequest, nowMs: number): IssuedChallenge {
    const a = ask(r.level, r.difficulty);
    const { token, claims } = mintChallengeToken(
      { site, client: r.client, level: r.level, work: a.work, lifetimeS: policy.tokenLifetimeS, noJsWaitS: a.noJsWaitS, binding: tokenBinding, tag: r.tag },
      keys, nowMs, random,
    );
    const reason = r.reason ?? (r.level === 'under_attack' ? 'under_attack' : 'protection');
    const returnPath = sanitizeReturnPath(r.returnPath) ?? '/';
    const body = fillChallengePage(templateFor(a, reason, r.method), token, claims.nonce, returnPath, r.requestId);
    return { status: r.status ?? CHALLENGE_STATUS, headers: CHALLENGE_PAGE_HEADERS, body, token, claims };
  }

  function statusOnly(level: ThreatLevel): GateResponse {
    return level === 'under_attack' ? STATUS_ONLY_ANSWERS.under_attack : STATUS_ONLY_ANSWERS.other;
  }

  function failurePage(sub: Submission, result: Extract<SubmissionResult, { ok: false }>, requestId: string): GateResponse {
    const returnPath = sanitizeReturnPath(sub.returnPath) ?? '/';
    if (result.reason === 'too_early' && result.challenge !== undefined) {
      // Same token, shorter wait: leaving early must not restart the wait.
      const noJsWaitS = Math.max(1, Math.ceil((result.retryAfterMs ?? 1000) / 1000));
      const work = result.challenge.work;
      const body = renderChallengePageFast({
        siteName, reason: 'too_early', token: sub.token, seed: result.challenge.nonce, work, expectedS: expectedSolveSeconds(policy, work),
        returnPath, noJsWaitS, method: 'GET', requestId,
      });
      return { status: CHALLENGE_STATUS, headers: CHALLENGE_PAGE_HEADERS, body };
    }
    const reason = FAILURE_PAGE_REASON[result.reason] ?? 'failed';
    const busy = result.reason === 'busy';
    const body = renderRetryPage({ siteName, reason, returnPath, refreshS: busy ? STATUS_ONLY_RETRY_AFTER_S : 2, requestId });
    const headers = CHALLENGE_PAGE_HEADERS;
    if (!busy) return { status: CHALLENGE_STATUS, headers, body };
    return { status: STATUS_ONLY_UNDER_ATTACK, headers: { ...headers, 'retry-after': String(STATUS_ONLY_RETRY_AFTER_S) }, body };
  }

  function verify(sub: Submission, client: VerifyClient, requestId: string, nowMs: number): VerifyOutcome {
    const result = verifySubmission(sub, { site, keys, replay, policy }, client, nowMs);
    if (!result.ok) return { ok: false, result, response: failurePage(sub, result, requestId) };
    const location = checkCookieReturn ? `${CHALLENGE_RETURN_PATH}?to=${encodeURIComponent(result.redirectTo)}` : result.redirectTo;
    return {
      ok: true,
      result,
      response: { status: VERIFY_SUCCESS_STATUS, headers: { location, 'set-cookie': result.cookie.header, 'cache-control': 'no-store' }, body: '' },
    };
  }

  function cookiesOffPage(returnPath: string, requestId: string): GateResponse {
    const body = renderCookiesOffPage({ siteName, returnPath: sanitizeReturnPath(returnPath) ?? '/', clearanceLifetimeS: policy.clearanceLifetimeS, requestId });
    return { status: COOKIES_OFF_STATUS, headers: CHALLENGE_PAGE_HEADERS, body };
  }

  function afterVerify(query: string, cookieHeader: string | undefined, requestId: string): GateResponse {
    let to: string | undefined;
    try {
      to = new URLSearchParams(query.length > 4096 ? '' : query).get('to') ?? undefined;
    } catch {
      to = undefined;
    }
    const returnPath = sanitizeReturnPath(to) ?? '/';
    if (findClearanceCookie(cookieHeader) === undefined) return cookiesOffPage(returnPath, requestId);
    return { status: VERIFY_SUCCESS_STATUS, headers: { location: returnPath, 'cache-control': 'no-store' }, body: '' };
  }

  return {
    site,
    policy,
    checkClearance(cookieHeader, client, level, nowMs) {
      const value = findClearanceCookie(cookieHeader);
      if (value === undefined) return { status: 'none' };
      const r = verifyClearance(value, keys, site, policy.clearanceBinding, client, nowMs);
      if (!r.ok) return { status: 'invalid', reason: r.reason };
      // A network-bound clearance seen from more prefixes than one visitor uses is being shared.
      if (r.claims.binding === 'network' && spread !== undefined && !spread.note(value, client.prefix, r.claims.expiresAtMs, policy.networkMaxPrefixes, nowMs)) {
        return { status: 'invalid', reason: 'shared' };
      }
      const proof = r.claims.proof;
      if (proofClears(proof, policy, level)) return { status: 'valid', claims: r.claims };
      return { status: proofSatisfies(proof, levelAsk[level]) ? 'limited' : 'insufficient', claims: r.claims };
    },
    satisfies: (clearance, level, difficulty) => clearance !== null && proofSatisfies(clearance.proof, ask(level, difficulty)),
    ask,
    classify: (request) => exemptions.classify(request),
    issue,
    statusOnly,
    verify,
    afterVerify,
    cookiesOffPage,
  };
}
