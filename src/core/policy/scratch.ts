/**
 * Per-request scratch space owned by one compiled policy and reused by every `decide` call on it (decide
 * is synchronous, so one is enough): the client address parsed once, views of it for list lookups, and
 * the lazily built CEL context.
 */
import type { CelContext } from './cel-context.ts';
import type { RuleEvalError, ShadowHit } from './decide.ts';

/** See the module comment. Reset by `decide` at the start of every request. */
export interface MatchScratch {
  /** 0 when the address did not parse (then no `cidr` matcher and no `ipInCidr(address, …)` matches). */
  family: 0 | 4 | 6;
  /** The parsed address: `words[0]` for IPv4, all four (big-endian) for IPv6. */
  readonly words: Uint32Array;
  /** The CEL context of the current request, built on the first expression that needs the full engine. */
  cel: CelContext | null;
  /** Shadow hits and expression failures of the current request, allocated on the first one. */
  shadow: ShadowHit[] | null;
  errors: RuleEvalError[] | null;
  /** The rule gate's candidates for the current request (./rule-gate.ts), one bit per rule. */
  readonly candidates: Uint32Array;
  /** ParsedIp views over `words` for list lookups, reused (no allocation per request). */
  readonly v4: { readonly family: 4; v4: number };
  readonly v6: { readonly family: 6; readonly v6: Uint32Array };
}

/** A fresh scratch for one compiled policy whose rule gate uses `gateWords` words (default 1). */
export function createMatchScratch(gateWords = 1): MatchScratch {
  const words = new Uint32Array(4);
  return { family: 0, words, cel: null, shadow: null, errors: null, candidates: new Uint32Array(gateWords), v4: { family: 4, v4: 0 }, v6: { family: 6, v6: words } };
}
