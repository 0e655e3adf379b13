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
  /** Runs the phases from the `start`th on (a request handed over from its head; see runAtHead). */
  resume(ctx: RequestContext, start: number): boolean;
  /**
   * Runs the phases for a request answered at its parsed head, as long as each can run there
   * (`Phase.atHead`): ANSWERED_AT_HEAD when one answered (or failed: the failure handler answered), else
   * the index of the first phase that cannot run at the head, from which `resume` goes on once the
   * request has node:http's objects.
   */
  runAtHead(ctx: RequestContext): number;
}

/** `runAtHead`'s result when a phase answered. */
export const ANSWERED_AT_HEAD = -1;

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

  function atHead(ctx: RequestContext): number {
    let i = 0;
    try {
      for (; i < list.length; i++) {
        const phase = list[i]!;
        if (phase.atHead !== undefined && !phase.atHead(ctx)) return i;
        const result = phase.run(ctx);
        if (result === CONTINUE) continue;
        if (result === DONE) return ANSWERED_AT_HEAD;
        // A phase that promised to run at the head went asynchronous: nothing may write to this
        // connection later (answers leave in order), so the failure handler ends the request now.
        (result as Promise<PhaseResult>).catch(() => {});
        throw new Error(`phase ${phase.name} went asynchronous for a request answered at its head`);
      }
    } catch (err) {
      onFailure(ctx, list[i]!, err);
      return ANSWERED_AT_HEAD;
    }
    return list.length;
  }

  return {
    phases: list,
    run: (ctx) => from(ctx, 0),
    resume: (ctx, start) => from(ctx, start),
    runAtHead: atHead,
  };
}
