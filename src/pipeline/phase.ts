/**
 * A phase of the request pipeline (after Pingora's proxy phases and Envoy's filter status).
 *
 * A phase returns an explicit value instead of calling `next()`:
 * - `CONTINUE`: go on with the next phase;
 * - `DONE`: the request has been answered (or the answer is under way, e.g. streaming from the origin);
 *   no later phase runs. A phase that returns DONE must have set `ctx.outcome` via `ctx.end()`.
 * A phase may return a promise of either. A thrown error or rejected promise becomes a 500 page (or an
 * aborted connection if the response already started) with the request ID, and is logged once.
 */
import type { RequestContext } from './context.ts';

export const CONTINUE = 'continue';
export const DONE = 'done';
export type PhaseResult = typeof CONTINUE | typeof DONE;

/** The named per-request phases, in order. `accept` runs per connection and `record` on every exit. */
export type PhaseName = 'lane' | 'parse' | 'identify' | 'decide' | 'exact' | 'enforce' | 'shield' | 'forward';

export interface Phase {
  readonly name: PhaseName;
  run(ctx: RequestContext): PhaseResult | Promise<PhaseResult>;
  /**
   * Whether the phase can run for `ctx` on a request answered at its parsed head (edge/wire/head-run.ts):
   * it then returns synchronously and touches no more of the request and response than an answer
   * written at once does (no listeners, no body, no streaming). Absent: always. When false, the request
   * is handed to node:http's request objects and the pipeline resumes with this phase.
   */
  atHead?(ctx: RequestContext): boolean;
}
