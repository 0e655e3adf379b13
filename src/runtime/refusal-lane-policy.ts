/**
 * Which refusals may open a refusal lane (pipeline/lane/refusal-lane.ts): a keep-alive connection whose client a
 * rate limit refuses is answered 429 without re-running identify and decide, until the limit would
 * admit it again. That is exact only when every later request on the connection would be refused by
 * the same limit anyway, so a limit qualifies when:
 * - it applies to every request (no `match` on path or method) and is enforced (not shadow);
 * - its key is made only of what cannot change on one connection whose headers repeat: the site,
 *   the client's address, prefix, ASN, country and header fingerprint (the lane compares the headers of
 *   every request with the first one's, {@link laneHeadersRepeat}; a changed one leaves the lane);
 * - and no enforced `allow` rule exists on the site: rules run before limits, so an allow rule on some
 *   path would let a refused client through there. (Other rules only refuse differently — a 403
 *   instead of a 429 — which the lane does not distinguish.)
 * The 404 budget (`limit/not-found`, keyed by site and prefix, "on every path") always qualifies.
 * Pure: from the site's limit specs and compiled rules, computed once per config generation.
 */
import { CLEARANCE_COOKIE_NAME } from '../core/challenge/index.ts';
import type { CompiledRule } from '../core/policy/index.ts';
import type { ClientClass } from '../core/vocabulary.ts';
import type { KeyPart } from '../core/ratelimit/index.ts';

/** The limit-spec fields this decision reads. */
export interface LaneLimitSpec {
  readonly name: string;
  readonly key: readonly KeyPart[];
  readonly match?: unknown;
  readonly shadow?: boolean;
}

/** Key parts that are the same for every request of one connection whose headers do not change. */
const CONNECTION_PARTS: ReadonlySet<string> = new Set(['site', 'address', 'prefix', 'asn', 'country', 'fingerprint']);

/**
 * Header fields whose values a lane request must repeat (lower-case names). What the lane copies from
 * the opening request or answers with depends on them: the site (Host), the client behind a trusted
 * proxy (X-Forwarded-For, Forwarded, X-Real-IP) and its request ID, the clearance's binding
 * (Authorization, Accept-Language), the page's format (Accept), what a browser says about the
 * navigation (Sec-Fetch-*), and the framing node:http and Bulwark act on. Cookie and User-Agent are
 * bound only as far as what identify derives from them goes ({@link laneHeadersRepeat}). Every other
 * field (Referer, an extension header, a cache-busting value) changes nothing a lane answer says: its
 * value may differ from request to request, as long as the names, in order, repeat (the header
 * fingerprint is made of them).
 */
export const LANE_BOUND_FIELDS: ReadonlySet<string> = new Set([
  'host', 'authorization', 'proxy-authorization', 'accept', 'accept-language',
  'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'x-real-ip', 'x-request-id', 'via',
  'sec-fetch-dest', 'sec-fetch-mode', 'sec-fetch-site', 'sec-fetch-user',
  'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'expect', 'upgrade', 'te', 'trailer',
]);

/**
 * When a lane request's User-Agent may differ from the opening request's: never (null), or when the
 * new one is of this class (by `classOf`, identify's own classifier). A lane allows it only for a client
 * without a clearance (a clearance is bound to the user agent) whose user agent claimed no crawler
 * (crawler verification depends on it): then all identify derives from the user agent is its class.
 */
export interface LaneAgentRule {
  readonly uaClass: ClientClass;
  readonly classOf: (userAgent: string) => ClientClass;
}

/**
 * Whether `next`'s header fields repeat `first`'s for the lane: the same names in the same order, and
 * the same values for every {@link LANE_BOUND_FIELDS} name; other values may differ, except that
 * - a Cookie line may change only when neither its old nor its new value contains the clearance's name
 *   (what identify looks for before it reads a clearance, pipeline/phases/identify.ts): then identify finds the same clearance (or none) in both requests — the
 *   clearance is the first `bulwark_clearance=` pair of the joined field, and a line without the name
 *   can neither add nor move one — and nothing else a lane answer depends on reads cookies;
 * - a User-Agent may change only under `agent` ({@link LaneAgentRule}): to one of the same class.
 * A flood that varies a session cookie, or rotates browsers' user agents, stays in its lane; a changed
 * clearance or user-agent class leaves it. Names are compared as received (case included: the
 * fingerprint sees them so); only a differing value costs a lower-casing.
 */
export function laneHeadersRepeat(first: readonly string[], next: readonly string[], agent: LaneAgentRule | null = null): boolean {
  if (first.length !== next.length) return false;
  for (let i = 0; i < first.length; i += 2) {
    const name = first[i]!;
    if (next[i] !== name) return false;
    const was = first[i + 1]!;
    const now = next[i + 1]!;
    if (now === was) continue;
    const lower = name.toLowerCase();
    if (lower === 'cookie') {
      if (was.includes(CLEARANCE_COOKIE_NAME) || now.includes(CLEARANCE_COOKIE_NAME)) return false;
    } else if (lower === 'user-agent') {
      if (agent === null || agent.classOf(now) !== agent.uaClass) return false;
    } else if (LANE_BOUND_FIELDS.has(lower)) return false;
  }
  return true;
}

/** The decision name of the 404 budget's refusals (runtime/not-found-budget.ts). */
export const NOT_FOUND_BY = 'limit/not-found';

/**
 * The `by` names (`limit/<name>`) whose refusals may open a lane on this site; empty when the site has
 * an enforced allow rule (then no refusal may).
 */
export function laneRefusals(limits: readonly LaneLimitSpec[], rules: readonly Pick<CompiledRule, 'action' | 'shadow'>[]): ReadonlySet<string> {
  if (rules.some((r) => r.action === 'allow' && !r.shadow)) return new Set();
  const out = new Set<string>([NOT_FOUND_BY]);
  for (const l of limits) {
    if (l.shadow === true || (l.match !== undefined && l.match !== null)) continue;
    if (l.key.every((part) => typeof part === 'string' && CONNECTION_PARTS.has(part))) out.add(`limit/${l.name}`);
  }
  return out;
}
