/**
 * The words Bulwark uses everywhere — code, logs, metrics, the dashboard and incident reports.
 *
 * - *client*: whoever opened the connection to Bulwark (identified by address, prefix, fingerprint).
 * - *origin*: the protected server Bulwark forwards to.
 * - *site*: one protected website (one or more hostnames, one or more origins).
 * - *incident*: one attack episode on one site, from leaving `normal` until calm returns.
 *
 * Everything in `src/core/` is pure: time (`nowMs`, milliseconds since the epoch), randomness and
 * secrets are arguments, never read from the environment.
 */

/** A site's threat level, moved by the detector or by an operator override. */
export type ThreatLevel = 'normal' | 'elevated' | 'under_attack';
export const THREAT_LEVELS: readonly ThreatLevel[] = ['normal', 'elevated', 'under_attack'];

/** What a request's user agent looks like it is. */
export type ClientClass = 'browser' | 'crawler' | 'library' | 'unknown';
export const CLIENT_CLASSES: readonly ClientClass[] = ['browser', 'crawler', 'library', 'unknown'];

/**
 * How one request ended, as recorded in the per-site aggregates (exactly one per request).
 * - `forwarded`: answered by the origin (any status).
 * - `cached` / `stale`: answered from the micro-cache (fresh / stale).
 * - `challenged`: answered with a challenge page.
 * - `limited`: refused by a rate limit (429).
 * - `blocked`: refused by a rule or list (403).
 * - `tarpitted`: answered slowly on purpose.
 * - `dropped`: socket destroyed without an answer (bans, `drop` decisions, connection caps).
 * - `shed`: refused to protect the origin (503 high demand, open circuit).
 * - `rejected`: the request itself was invalid (400, 408, 413, 421, 431).
 * - `failed`: the origin could not be reached or timed out (502, 504).
 * - `abandoned`: the client went away before the answer was complete.
 * - `error`: a Bulwark bug (500); always logged with its cause.
 */
export type Outcome =
  | 'forwarded'
  | 'cached'
  | 'stale'
  | 'challenged'
  | 'limited'
  | 'blocked'
  | 'tarpitted'
  | 'dropped'
  | 'shed'
  | 'rejected'
  | 'failed'
  | 'abandoned'
  | 'error';

export const OUTCOMES: readonly Outcome[] = [
  'forwarded',
  'cached',
  'stale',
  'challenged',
  'limited',
  'blocked',
  'tarpitted',
  'dropped',
  'shed',
  'rejected',
  'failed',
  'abandoned',
  'error',
];

/** Index of each outcome in {@link OUTCOMES}, for typed-array counters. */
export const OUTCOME_INDEX: Readonly<Record<Outcome, number>> = Object.fromEntries(
  OUTCOMES.map((o, i) => [o, i]),
) as Record<Outcome, number>;

/**
 * What `decide` concluded for a request. It always names what produced it (`by`):
 * `rule/<name>`, `limit/<name>`, `list/deny`, `list/allow`, `ban/<key>`, `level/<level>`, `default/allow`.
 */
export type Decision =
  | { readonly action: 'allow'; readonly by: string }
  | { readonly action: 'challenge'; readonly by: string; readonly difficulty?: number }
  | { readonly action: 'rate_limit'; readonly by: string; readonly retryAfterS: number; readonly limit?: number; readonly remaining?: number; readonly resetS?: number }
  | { readonly action: 'block'; readonly by: string }
  | { readonly action: 'drop'; readonly by: string }
  | { readonly action: 'tarpit'; readonly by: string };

export type DecisionAction = Decision['action'];

/**
 * Priority of a request in the origin queue: lower is served first.
 * - cleared: cleared visitors, allow-listed clients, verified crawlers;
 * - returning: clients (by prefix) the site served normally in the last minutes, before any surge —
 *   at the onset of a flood, before the detector has decided, they keep their place ahead of it;
 * - unknown: everyone else;
 * - suspicious: clients matching an operator's log or shadow rules.
 */
export type Priority = 0 | 1 | 2 | 3;
export const PRIORITY_CLEARED: Priority = 0;
export const PRIORITY_RETURNING: Priority = 1;
export const PRIORITY_UNKNOWN: Priority = 2;
export const PRIORITY_SUSPICIOUS: Priority = 3;
