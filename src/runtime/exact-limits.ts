/**
 * Limits counted exactly across machines (`exact: true` on a limit, with `shared_state`): besides the
 * local count every process keeps, a request the local table admits is also counted on the shared server
 * in one atomic step (GCRA in a Lua script, on the server's clock), so the deployment admits exactly the
 * limit whatever the number of nodes — at the price of one round trip for the requests those limits match
 * (typically a login or search endpoint, never the whole site). A server slower than the budget, or gone,
 * leaves the local decision standing: protection never waits longer than `budgetMs`.
 */
import type { GcraLimit } from '../core/ratelimit/index.ts';

/** One limit's count to take on the shared server. */
export interface ExactCheck {
  /** The limit's readable key (`limit:login|203.0.113.7`); hashed by the implementation. */
  readonly key: string;
  readonly limit: GcraLimit;
  readonly cost: number;
}

/** The server's verdict on a request: the first refusing check, or null when every check admitted. */
export interface ExactRefusal {
  readonly index: number;
  readonly retryAfterMs: number;
}

/** Counts on the shared server. */
export interface ExactLimiter {
  /**
   * Takes every check in order, stopping at the first refusal. Resolves with the refusal, null when all
   * admitted, or `'unknown'` when the server did not answer within the budget (the caller keeps its local
   * decision). Never rejects.
   */
  check(checks: readonly ExactCheck[]): Promise<ExactRefusal | null | 'unknown'>;
  stats(): { checks: number; refused: number; unknown: number };
}
