/**
 * Challenge tokens and clearance cookies: stateless, HMAC-SHA256-signed (RFC 2104, tag truncated to 128
 * bits as RFC 4868 §2.3 does), compact, and safe in URLs, form fields and cookies (base64url, RFC 4648 §5).
 *
 * - A *challenge token* is handed out with a challenge page. It says which site, client (prefix, or
 *   network for the `network` binding) and user agent it was issued to, when, for how long, how much
 *   work it asks (sub-challenges and their bits) at which threat level, whether the no-JS path is open
 *   (and its minimum wait), and carries a random nonce (the proof-of-work seed and the id under which an
 *   answer is accepted once).
 * - A *clearance cookie* is handed out when a challenge is solved. It says which site, which client (see
 *   {@link ClearanceBinding}) and until when, at which level it was earned, and what it proves: the work
 *   of the proof of work it answered, or the wait of the no-JS path — so it satisfies only challenges
 *   asking no more (./proof.ts).
 *
 * Both are fixed-size binary records (lengths are multiples of 3, so the base64url spelling is unique),
 * verified cheapest-check-first: length and alphabet, version, key id, then the tag in constant time
 * (`crypto.timingSafeEqual`), then times and bindings. Time is the `nowMs` argument; randomness an
 * injected function. A change of layout changes the version byte, so a record of an older layout is
 * refused as malformed (a visitor then solves one new challenge).
 *
 * Layouts: ./challenge-token.ts and ./clearance.ts; what both share: ./token-record.ts.
 */

export { MAX_CLOCK_SKEW_MS } from './token-record.ts';
export type { ChallengeClient, RandomFill, TokenFailure, VerifyResult } from './token-record.ts';
export { mintChallengeToken, verifyChallengeToken, CHALLENGE_TOKEN_LENGTH } from './challenge-token.ts';
export type { ChallengeClaims, ChallengeTokenInput, TokenBinding } from './challenge-token.ts';
export { mintClearance, verifyClearance, clearanceKindOf, CLEARANCE_LENGTH } from './clearance.ts';
export type { ClearanceBinding, ClearanceClaims, ClearanceInput, ClearanceKind, ClearanceProof, ClearanceVia } from './clearance.ts';
