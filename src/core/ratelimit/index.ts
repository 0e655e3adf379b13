/**
 * Rate limiting and escalation: GCRA limits in Traefik's words,
 * kept in bounded tables that no flood can grow or reset, a compiled multi-limit evaluator, the response
 * fields for refusals, and the ban ladder. Everything here is pure: time is `nowMs`, the seed an argument.
 */
export { compileGcra, gcraDecide, gcraNextTat, gcraAllows, assertCost, GCRA_EPSILON_MS } from './gcra.ts';
export type { GcraSpec, GcraLimit, RateLimitResult } from './gcra.ts';
export { createLimiterTable } from './limiter-table.ts';
export type { LimiterTable, LimiterTableOptions, LimiterTableStats, CheckMode } from './limiter-table.ts';
export { createLimitEvaluator, compileLimit } from './evaluator.ts';
export type { LimitSpec, CompiledLimit, LimitCheck, LimitsVerdict, LimitEvaluator, LimitEvaluatorOptions } from './evaluator.ts';
export type { RequestFacts } from './facts.ts';
export type { KeyPart, CompiledKey } from './key.ts';
export type { LimitMatch } from './match.ts';
export { rateLimitFields, rateLimitDecision, retryAfterSeconds, rateLimitItem, rateLimitPolicyItem, formatRateLimitItem } from './headers.ts';
export type { RateLimitFields } from './headers.ts';
export { createEscalation } from './escalation.ts';
export type { Escalation, EscalationOptions, EscalationDecision, Ban, BanScope, RefusalFacts, StrikePolicy, Standing, EscalationStats } from './escalation.ts';
