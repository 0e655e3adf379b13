/**
 * The challenge (issue #4): public API. The pipeline needs only the gate (`createChallengeGate`) plus the
 * helpers it takes as inputs; the lower-level functions are exported for tests, benchmarks and the drill.
 */

export { createChallengeGate, CHALLENGE_RETURN_PATH } from './gate.ts';
export type { ChallengeGate, ChallengeGateOptions, ChallengeRequest, ClearanceStatus, GateResponse, IssuedChallenge, VerifyOutcome } from './gate.ts';
export { createKeyRing, compileSigningKey, KeyRingError, MIN_SECRET_BYTES } from './key-ring.ts';
export type { KeyRing, KeyRingInput, SigningKey } from './key-ring.ts';
export { createReplaySet } from './replay-set.ts';
export type { ReplaySet, ReplaySetOptions, ReplaySetStats, ReplayVerdict } from './replay-set.ts';
export { createRandomPool } from './random-pool.ts';
export { resolveChallengePolicy, difficultyFor, noJsWaitFor, DEFAULT_CHALLENGE_POLICY, MIN_DIFFICULTY, MAX_DIFFICULTY } from './policy.ts';
export type { ChallengePolicy, ChallengePolicyInput } from './policy.ts';
export { mintChallengeToken, verifyChallengeToken, mintClearance, verifyClearance, CHALLENGE_TOKEN_LENGTH, CLEARANCE_LENGTH, MAX_CLOCK_SKEW_MS } from './tokens.ts';
export type { ChallengeClaims, ChallengeClient, ClearanceClaims, ClearanceBinding, ClearanceVia, RandomFill, TokenFailure, VerifyResult } from './tokens.ts';
export { createSiteTag } from './binding.ts';
export type { SiteTag } from './binding.ts';
export { checkPowSolution, solvePow, MAX_COUNTER_DIGITS } from './pow.ts';
export type { PowCheck, SolveOptions } from './pow.ts';
export { parseSubmission, verifySubmission, clearanceSufficient, MAX_SUBMISSION_LENGTH } from './verify-submission.ts';
export type { Submission, SubmissionFailure, SubmissionResult, VerifyClient, VerifyContext } from './verify-submission.ts';
export { buildClearanceCookie, clearClearanceCookieHeader, findClearanceCookie, CLEARANCE_COOKIE_NAME } from './cookie.ts';
export type { ClearanceCookie } from './cookie.ts';
export { sanitizeReturnPath, challengeReturnPath, BULWARK_PATH_PREFIX, CHALLENGE_VERIFY_PATH, MAX_RETURN_PATH_LENGTH } from './return-path.ts';
export { createExemptions, DEFAULT_FEED_PATHS } from './exemptions.ts';
export type { ChallengeTarget, ExemptionOptions, ExemptionRequest, Exemptions } from './exemptions.ts';
export { KNOWN_CRAWLERS, createCrawlerMatcher, hostMatchesSuffix } from './crawlers.ts';
export type { CrawlerMatcher, CrawlerSpec } from './crawlers.ts';
export { renderChallengePage } from './page/challenge-page.ts';
export type { ChallengePageInput } from './page/challenge-page.ts';
export { renderCookiesOffPage } from './page/cookies-off-page.ts';
export { renderRetryPage } from './page/retry-page.ts';
export type { PageReason } from './page/texts.ts';
export * from './page/headers.ts';
