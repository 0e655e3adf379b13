/**
 * `decide` — the pure policy evaluation (core/policy/decide.ts) over this request's facts, producing a
 * {@link Decision} that names what produced it: allow list → deny list → bans → rules → rate limits →
 * the threat-level response → `default/allow`; then the detector's signature rules where
 * they are harsher than that (a client that cannot solve a challenge page gets a per-client limit from
 * them, never a status-only challenge). This adapter only builds the facts and acts on the
 * result's side effects that belong outside the pure core:
 * - an enforced rate-limit refusal counts toward escalation; a due ban is stored (and so dropped at
 *   accept from the next connection on);
 * - allow-listed clients go first in the origin queue; clients matching log or shadow rules (what an
 *   operator marked as suspect) go last;
 * - shadow hits and rule errors are counted per rule for the stats.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { decide, type DecideFacts, type DecideState } from '../../core/policy/index.ts';
import { PRIORITY_CLEARED, PRIORITY_SUSPICIOUS, type DecisionAction } from '../../core/vocabulary.ts';
import { recordEscalation } from '../escalate.ts';
import { headerValue } from '../../core/cache/cache-control.ts';
import type { ChallengeGate, ClearanceClaims } from '../../core/challenge/index.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, type Phase } from '../phase.ts';
import { challengeTargetOf } from '../enforce/challenge-responder.ts';

/** How harsh an action is: a signature rule only replaces a milder decision. */
export const SEVERITY: Readonly<Record<DecisionAction, number>> = { allow: 0, challenge: 1, rate_limit: 2, tarpit: 3, block: 4, drop: 5 };

/**
 * The request's facts for the core. A class, not an object literal with a `header` closure: one shape
 * for every request (monomorphic reads in the core) and no closure allocated per request.
 */
export class RequestDecideFacts implements DecideFacts {
  readonly address: string;
  readonly prefix: string;
  readonly asn: number | null;
  readonly country: string | null;
  readonly fingerprint: string;
  readonly site: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly host: string;
  readonly uaClass: DecideFacts['uaClass'];
  readonly cleared: boolean;
  readonly threatLevel: DecideFacts['threatLevel'];
  readonly rateAddress = 0;
  readonly ratePrefix = 0;
  readonly ip: DecideFacts['ip'];
  readonly headers: IncomingHttpHeaders;
  private readonly gate: ChallengeGate;
  private readonly clearanceClaims: ClearanceClaims | null;
  private readonly ctx: RequestContext;

  constructor(ctx: RequestContext) {
    const req = ctx.req;
    const q = ctx.path.indexOf('?');
    this.address = ctx.clientAddress;
    this.prefix = ctx.prefix;
    this.asn = ctx.asn;
    this.country = ctx.country;
    this.fingerprint = ctx.fingerprint;
    this.site = ctx.site!.name;
    this.method = req.method ?? 'GET';
    this.path = q === -1 ? ctx.path : ctx.path.slice(0, q);
    this.query = q === -1 ? '' : ctx.path.slice(q + 1);
    this.host = ctx.host;
    this.uaClass = ctx.uaClass;
    this.cleared = ctx.cleared;
    this.threatLevel = ctx.level;
    this.ip = ctx.ip;
    this.headers = req.headers;
    this.gate = ctx.site!.challenge;
    this.clearanceClaims = ctx.clearanceClaims;
    this.ctx = ctx;
  }

  /** Whether this client cannot be shown a challenge page (SignatureFacts.cannotSolvePage; see {@link cannotSolvePage}). */
  cannotSolvePage(): boolean {
    return cannotSolvePage(this.ctx);
  }

  /** Whether the client's clearance proves at least what the challenge asks (DecideFacts.satisfiesChallenge). */
  satisfiesChallenge(difficulty: number | undefined): boolean {
    return this.clearanceClaims !== null && this.gate.satisfies(this.clearanceClaims, this.threatLevel, difficulty);
  }

  /** A header's value by lower-case name; repeated fields joined as node:http would print them (never Object.prototype's). */
  header(name: string): string | undefined {
    return headerValue(this.headers, name);
  }
}

/**
 * Whether this client cannot be shown a challenge page and says it is no browser: its user agent is a
 * crawler, feed reader, library or tool (or unknown, or absent) and a challenge would be answered with
 * a bare status (feed and API paths, non-browser clients). Such a client gets a per-client limit from
 * signature rules, never their status-only challenge.
 */
export function cannotSolvePage(ctx: RequestContext): boolean {
  return ctx.uaClass !== 'browser' && challengeTargetOf(ctx).kind === 'status_only';
}

export const decidePhase: Phase = {
  name: 'decide',
  run(ctx: RequestContext) {
    const site = ctx.site!;
    const services = ctx.runtime.services;
    const state: DecideState = services.decideState;
    const facts = new RequestDecideFacts(ctx);
    const result = decide(facts, site.policy, state, ctx.startMs);
    ctx.decision = result.decision;
    ctx.limits = result.limits;
    // A prefix that overspent its 404 budget (scanners, random-path floods) is limited on every path;
    // cleared visitors, verified crawlers and allow-listed clients neither spend it nor feel it.
    if (ctx.priority !== PRIORITY_CLEARED && result.list?.kind !== 'allow' && services.policy.notFound !== null) {
      const penalty = services.policy.notFound.penalty(site.name, ctx.prefix, ctx.startMs);
      if (penalty !== null && SEVERITY[penalty.decision.action] > SEVERITY[ctx.decision.action]) {
        ctx.decision = penalty.decision;
        ctx.limits = penalty.limits;
      }
    }
    // The detector's signature rules apply where the policy had nothing harsher to say.
    const signatures = services.signatures;
    if (signatures !== null && (ctx.decision.by === 'default/allow' || ctx.decision.by.startsWith('level/'))) {
      // A client that says it is no browser (feed reader, API client, curl) and whose challenge would be a
      // bare status cannot pass one: the decider gives it a per-client limit instead of locking it out. A
      // client claiming a browser keeps the rule's answer (flood kits claim browsers).
      const sig = signatures.decide(site.name, facts, ctx.cleared || ctx.verifiedCrawler, ctx.startMs);
      if (sig !== null && SEVERITY[sig.action] > SEVERITY[ctx.decision.action]) ctx.decision = sig;
    }
    if (result.list !== null && result.list.kind === 'allow') ctx.priority = PRIORITY_CLEARED;
    if (result.shadow.length > 0) {
      ctx.priority = PRIORITY_SUSPICIOUS;
      for (const hit of result.shadow) services.policyStatsOf(site.name).shadow(hit.by, hit.action);
    }
    for (const e of result.errors) services.policyStatsOf(site.name).ruleError(e.by);
    const action = ctx.decision.action;
    if (action === 'rate_limit' || action === 'block' || action === 'tarpit') recordEscalation(ctx, ctx.decision.by);
    if (action !== 'allow') services.policyStatsOf(site.name).decided(ctx.decision.by);
    return CONTINUE;
  },
};
