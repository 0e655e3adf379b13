/**
 * The `/.bulwark/challenge/verify` logic as a pure function: a submitted answer in, a clearance cookie and
 * a redirect (or a typed refusal) out.
 *
 * Checks run cheapest first, so a flood of bogus submissions costs Bulwark as little as possible: shape
 * (no crypto) → token tag (one HMAC block) → times and bindings (two digests) → the answer (one SHA-256
 * block per sub-challenge, stopping at the first wrong one, or a clock comparison for the no-JS path) →
 * the replay set (one Set lookup). Only an answer that passes everything is recorded, so bogus answers
 * cannot fill the replay set.
 *
 * The clearance minted says what the answer proved (the work asked, or the wait), so it satisfies only
 * challenges asking no more (./proof.ts). A no-JS answer gets the policy's shorter no-JS lifetime and is
 * bound to the exact address and user agent, whatever the site's binding.
 */

import type { SiteTag } from './binding.ts';
import type { KeyRing } from './key-ring.ts';
import type { ReplaySet } from './replay-set.ts';
import type { ChallengePolicy } from './policy.ts';
import { checkPowSolution } from './pow.ts';
import { buildClearanceCookie, type ClearanceCookie } from './cookie.ts';
import { sanitizeReturnPath } from './return-path.ts';
import {
  mintClearance,
  verifyChallengeToken,
  type ChallengeClaims,
  type ChallengeClient,
  type ClearanceClaims,
  type ClearanceProof,
  type ClearanceVia,
  type TokenFailure,
} from './tokens.ts';

/** One answer to a challenge, as submitted by the page's form or its no-JS link. */
export interface Submission {
  /** The HTTP method of the verify request: GET (no-JS link) or POST (forms). */
  readonly method: string;
  readonly token: string;
  /** The proof-of-work counters joined by `.` (JS path). */
  readonly solution?: string;
  /** True for the no-JS path (wait, then submit). */
  readonly noJs?: boolean;
  /** Where to go afterwards; sanitised, `/` when missing or unsafe. */
  readonly returnPath?: string;
}

/** Longest urlencoded submission accepted (query string or form body), in characters. */
export const MAX_SUBMISSION_LENGTH = 4096;
/** Most `name=value` pairs read from one submission (ours are 4; bounds the work on junk). */
const MAX_SUBMISSION_FIELDS = 16;

function decodeField(raw: string): string | undefined {
  if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) return raw;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

const FIELDS = ['token', 'solution', 'nojs', 'return'] as const;
type Field = (typeof FIELDS)[number];

/** Which of our fields the pair at `start` (ending at `eq`) names, if any. */
function fieldAt(encoded: string, start: number, eq: number): Field | undefined {
  for (const name of FIELDS) if (eq - start === name.length && encoded.startsWith(name, start)) return name;
  return undefined;
}

/**
 * Reads a submission from an `application/x-www-form-urlencoded` string (a POST body or a GET query
 * without `?`). Fields: `token`, `solution`, `nojs=1`, `return`. Unknown fields are ignored; a repeated
 * field, bad percent-encoding, a missing token, more than 16 fields or an input over
 * {@link MAX_SUBMISSION_LENGTH} → undefined.
 * A single left-to-right scan without intermediate arrays: this runs for every submission, bogus or not.
 */
export function parseSubmission(method: string, encoded: string): Submission | undefined {
  if (encoded.length > MAX_SUBMISSION_LENGTH) return undefined;
  const fields: Partial<Record<Field, string>> = {};
  let pairs = 0;
  for (let start = 0; start < encoded.length; ) {
    if (++pairs > MAX_SUBMISSION_FIELDS) return undefined;
    let end = encoded.indexOf('&', start);
    if (end < 0) end = encoded.length;
    let eq = start;
    while (eq < end && encoded.charCodeAt(eq) !== 0x3d) eq++;
    const name = fieldAt(encoded, start, eq);
    if (name !== undefined) {
      if (fields[name] !== undefined) return undefined;
      const value = decodeField(encoded.slice(Math.min(eq + 1, end), end));
      if (value === undefined) return undefined;
      fields[name] = value;
    }
    start = end + 1;
  }
  if (fields.token === undefined) return undefined;
  return { method, token: fields.token, solution: fields.solution, noJs: fields.nojs === '1', returnPath: fields.return };
}

/** Why a submission was refused (counted per reason; repeated failures feed decide's limits and bans). */
export type SubmissionFailure =
  | 'malformed'
  | 'forged'
  | 'expired'
  | 'replayed'
  | 'wrong_client'
  | 'too_early'
  | 'bad_solution'
  | 'busy';

/** The result of {@link verifySubmission}. */
export type SubmissionResult =
  | {
      readonly ok: true;
      readonly via: ClearanceVia;
      readonly cookie: ClearanceCookie;
      /** A safe same-site path for the 303 Location. */
      readonly redirectTo: string;
      readonly challenge: ChallengeClaims;
      readonly clearance: ClearanceClaims;
      /** Time from issuing the challenge to this answer (the "solve time" metric). */
      readonly solveMs: number;
    }
  | {
      readonly ok: false;
      readonly reason: SubmissionFailure;
      /** Finer cause for logs, e.g. the token failure (`bad_signature`, `wrong_prefix`) or `nojs_closed`. */
      readonly detail: string;
      /** Present when the token itself was genuine (e.g. `too_early`, `bad_solution`, `replayed`). */
      readonly challenge?: ChallengeClaims;
      /** For `too_early`: how long the visitor still has to wait. */
      readonly retryAfterMs?: number;
    };

/** What the verify route needs besides the submission. */
export interface VerifyContext {
  readonly site: SiteTag;
  readonly keys: KeyRing;
  readonly replay: ReplaySet;
  readonly policy: ChallengePolicy;
}

/** The client sending the submission, and whether it came over HTTPS (→ `Secure` cookie). */
export interface VerifyClient extends ChallengeClient {
  readonly secure: boolean;
}

const TOKEN_FAILURE_REASON: Readonly<Record<TokenFailure, SubmissionFailure>> = {
  malformed: 'malformed',
  unknown_key: 'forged',
  bad_signature: 'forged',
  expired: 'expired',
  not_yet_valid: 'expired',
  wrong_site: 'wrong_client',
  wrong_prefix: 'wrong_client',
  wrong_address: 'wrong_client',
  wrong_network: 'wrong_client',
  wrong_ua: 'wrong_client',
  wrong_binding_mode: 'wrong_client',
};

type Failure = Extract<SubmissionResult, { ok: false }>;

function fail(reason: SubmissionFailure, detail: string, challenge?: ChallengeClaims, retryAfterMs?: number): Failure {
  return { ok: false, reason, detail, challenge, retryAfterMs };
}

/** Checks the answer itself: the no-JS wait, or the proof of work. Undefined when it holds. */
function checkAnswer(sub: Submission, claims: ChallengeClaims, nowMs: number): Failure | undefined {
  if (sub.noJs === true) {
    if (claims.noJsWaitS === 0) return fail('bad_solution', 'nojs_closed', claims);
    const readyAtMs = claims.issuedAtMs + claims.noJsWaitS * 1000;
    if (nowMs < readyAtMs) return fail('too_early', 'nojs_wait', claims, readyAtMs - nowMs);
    return undefined;
  }
  const check = checkPowSolution(claims.nonce, sub.solution ?? '', claims.work);
  if (check === 'malformed') return fail('malformed', 'solution_format', claims);
  if (check === 'insufficient') return fail('bad_solution', 'pow_insufficient', claims);
  return undefined;
}

/**
 * Verifies one submission and, when it holds, mints the clearance cookie (proving what the challenge
 * asked, bound as the policy says for its path, at the level the challenge was issued at) and the redirect. The caller answers success with
 * `303 See Other`, `Location: redirectTo`, `Set-Cookie: cookie.header`, `Cache-Control: no-store`.
 */
export function verifySubmission(sub: Submission, ctx: VerifyContext, client: VerifyClient, nowMs: number): SubmissionResult {
  if (sub.method !== 'POST' && sub.method !== 'GET') return fail('malformed', 'method');
  if (typeof sub.token !== 'string') return fail('malformed', 'token');
  if (sub.noJs !== true && typeof sub.solution !== 'string') return fail('malformed', 'solution_missing');
  const verified = verifyChallengeToken(sub.token, ctx.keys, ctx.site, client, nowMs, ctx.policy.clearanceBinding === 'network' ? 'network' : 'prefix');
  if (!verified.ok) return fail(TOKEN_FAILURE_REASON[verified.reason], verified.reason);
  const claims = verified.claims;
  const answerFailure = checkAnswer(sub, claims, nowMs);
  if (answerFailure !== undefined) return answerFailure;
  const verdict = ctx.replay.admit(claims.nonce, claims.issuedAtMs, nowMs);
  if (verdict === 'replayed') return fail('replayed', 'nonce_seen', claims);
  if (verdict === 'too_old' || verdict === 'too_new') return fail('expired', `replay_${verdict}`, claims);
  if (verdict === 'full') return fail('busy', 'replay_full', claims);
  const via: ClearanceVia = sub.noJs === true ? 'nojs' : 'pow';
  const proof: ClearanceProof = via === 'nojs' ? { via, waitS: claims.noJsWaitS } : { via, work: claims.work };
  const lifetimeS = via === 'nojs' ? ctx.policy.noJsClearanceLifetimeS : ctx.policy.clearanceLifetimeS;
  const minted = mintClearance({ site: ctx.site, client, binding: ctx.policy.clearanceBinding, level: claims.level, proof, lifetimeS }, ctx.keys, nowMs);
  return {
    ok: true,
    via,
    cookie: buildClearanceCookie(minted.value, lifetimeS, client.secure),
    redirectTo: sanitizeReturnPath(sub.returnPath) ?? '/',
    challenge: claims,
    clearance: minted.claims,
    solveMs: Math.max(0, nowMs - claims.issuedAtMs),
  };
}
