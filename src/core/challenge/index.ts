/**
 * The challenge: public API. The pipeline needs only the gate (`createChallengeGate`) plus the
 * helpers it takes as inputs; the lower-level functions are exported for tests, benchmarks and the drill.
 */

export { createChallengeGate, CHALLENGE_RETURN_PATH } from './gate.ts';
export type { ChallengeGate, ChallengeGateOptions, ChallengeRequest, ClearanceStatus, GateResponse, IssuedChallenge, VerifyOutcome } from './gate.ts';
export { createKeyRing, compileSigningKey, KeyRingError, MIN_SECRET_BYTES } from './key-ring.ts';
export type { KeyRing, KeyRingInput, SigningKey } from './key-ring.ts';
export { createReplaySet } from './replay-set.ts';
export { createClearanceSpread } from './clearance-spread.ts';
export type { ClearanceSpread, ClearanceSpreadOptions, ClearanceSpreadStats } from './clearance-spread.ts';
export type { ReplaySet, ReplaySetOptions, ReplaySetStats, ReplayVerdict } from './replay-set.ts';
export { createRandomPool } from './random-pool.ts';
export { resolveChallengePolicy, workFor, noJsWaitFor, expectedSolveSeconds, DEFAULT_CHALLENGE_POLICY, DEFAULT_REFERENCE_HASH_RATE, DEFAULT_TIME_BUDGET_MS, DEFAULT_NOJS_CLEARANCE_LIFETIME_S, MIN_DIFFICULTY, MAX_DIFFICULTY } from './policy.ts';
export { challengeAsk, proofSatisfies, proofClears } from './proof.ts';
export type { ChallengeAsk } from './proof.ts';
export type { ChallengePolicy, ChallengePolicyInput } from './policy.ts';
export { mintChallengeToken, verifyChallengeToken, mintClearance, verifyClearance, CHALLENGE_TOKEN_LENGTH, CLEARANCE_LENGTH, MAX_CLOCK_SKEW_MS } from './tokens.ts';
export type { ChallengeClaims, ChallengeClient, ClearanceClaims, ClearanceBinding, ClearanceKind, ClearanceProof, ClearanceVia, RandomFill, TokenBinding, TokenFailure, VerifyResult } from './tokens.ts';
export { createSiteTag, networkKeyOf } from './binding.ts';
export type { SiteTag } from './binding.ts';
export { checkPowSolution, solvePow, splitWork, workOfBits, workHashes, MAX_COUNTER_DIGITS, MAX_SUB_CHALLENGES } from './pow.ts';
export type { PowCheck, PowWork, SolveOptions } from './pow.ts';
export { parseSubmission, verifySubmission, MAX_SUBMISSION_LENGTH } from './verify-submission.ts';
export type { Submission, SubmissionFailure, SubmissionResult, VerifyClient, VerifyContext } from './verify-submission.ts';
export { buildClearanceCookie, clearClearanceCookieHeader, findClearanceCookie, CLEARANCE_COOKIE_NAME } from './cookie.ts';
export type { ClearanceCookie } from './cookie.ts';
export { sanitizeReturnPath, challengeReturnPath, BULWARK_PATH_PREFIX, CHALLENGE_VERIFY_PATH, MAX_RETURN_PATH_LENGTH } from './return-path.ts';
export { createExemptions, DEFAULT_FEED_PATHS } from './exemptions.ts';
export type { ChallengeTarget, ExemptionOptions, ExemptionRequest, Exemptions } from './exemptions.ts';
export { KNOWN_CRAWLERS, createCrawlerMatcher, hostMatchesSuffix } from './crawlers.ts';
export type { CrawlerMatcher, CrawlerSpec } from './crawlers.ts';
export { renderChallengePage } from './page/challenge-page.ts';
export { SOLVER_SCRIPT, SOLVER_SCRIPT_PATH, SOLVER_SCRIPT_INTEGRITY } from './page/solver-script.ts';
export { PAGE_STYLES, PAGE_STYLES_PATH } from './page/styles.ts';
export type { ChallengePageInput } from './page/challenge-page.ts';
export { renderCookiesOffPage } from './page/cookies-off-page.ts';
export { renderRetryPage } from './page/retry-page.ts';
export type { PageReason } from './page/texts.ts';
export * from './page/headers.ts';
