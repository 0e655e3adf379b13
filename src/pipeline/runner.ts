/**
 * The flat runner: phases run in order until one answers. Synchronous phases cost a function call and a
 * string comparison; an asynchronous one suspends the loop and resumes it from the next phase.
 *
 * `run` says whether a phase answered before it returned (synchronously). The edge records such a
 * request at once; every other exit (asynchronous answer, failure, client gone) reaches `record`
 * through the response's `close` event, which the edge listens to when `run` returns false, so there
 * is no path that skips it.
 */
import type { RequestContext } from './context.ts';
import { CONTINUE, DONE, type Phase, type PhaseResult } from './phase.ts';

/** What the runner does when a phase throws: answer 500 (or abort) and log. Provided by the edge. */
export type PhaseFailureHandler = (ctx: RequestContext, phase: Phase, err: unknown) => void;

export interface Pipeline {
  readonly phases: readonly Phase[];
  /** Runs the phases; true when one of them answered (returned DONE) before this call returned. */
  run(ctx: RequestContext): boolean;
}

/** Composes the phases once (at start and on reload), never per request. */
export function createPipeline(phases: readonly Phase[], onFailure: PhaseFailureHandler): Pipeline {
  const list = [...phases];

  function from(ctx: RequestContext, start: number): boolean {
    let i = start;
    try {
      for (; i < list.length; i++) {
        const result = list[i]!.run(ctx);
        if (result === CONTINUE) continue;
        if (result === DONE) return true;
        const phase = list[i]!;
        const next = i + 1;
        (result as Promise<PhaseResult>).then(
          (r) => {
            if (r === CONTINUE) from(ctx, next);
          },
          (err: unknown) => onFailure(ctx, phase, err),
        );
        return false;
      }
    } catch (err) {
      onFailure(ctx, list[i]!, err);
    }
    return false;
  }

  return {
    phases: list,
    run: (ctx) => from(ctx, 0),
  };
}
