/**
 * The flat runner: phases run in order until one answers. Synchronous phases cost a function call and a
 * string comparison; an asynchronous one suspends the loop and resumes it from the next phase.
 *
 * Every exit (answered, failed, client gone) reaches `record` through the response's `close` event,
 * attached by the listener before the pipeline starts, so there is no path that skips it.
 */
import type { RequestContext } from './context.ts';
import { CONTINUE, DONE, type Phase, type PhaseResult } from './phase.ts';

/** What the runner does when a phase throws: answer 500 (or abort) and log. Provided by the edge. */
export type PhaseFailureHandler = (ctx: RequestContext, phase: Phase, err: unknown) => void;

export interface Pipeline {
  readonly phases: readonly Phase[];
  run(ctx: RequestContext): void;
}

/** Composes the phases once (at start and on reload), never per request. */
export function createPipeline(phases: readonly Phase[], onFailure: PhaseFailureHandler): Pipeline {
  const list = [...phases];

  function from(ctx: RequestContext, start: number): void {
    let i = start;
    try {
      for (; i < list.length; i++) {
        const result = list[i]!.run(ctx);
        if (result === CONTINUE) continue;
        if (result === DONE) return;
        const phase = list[i]!;
        const next = i + 1;
        (result as Promise<PhaseResult>).then(
          (r) => {
            if (r === CONTINUE) from(ctx, next);
          },
          (err: unknown) => onFailure(ctx, phase, err),
        );
        return;
      }
    } catch (err) {
      onFailure(ctx, list[i]!, err);
    }
  }

  return {
    phases: list,
    run(ctx) {
      from(ctx, 0);
    },
  };
}
