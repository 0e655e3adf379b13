/**
 * `lane` — a request on a connection whose client a rate limit already refused, and that repeats the
 * refused request's headers exactly, is answered 429 at once from the connection's refusal lane
 * (pipeline/lane/refusal-lane.ts: when that is exact, and why). Every other request goes on to `parse`.
 */
import { answerFromLane } from '../lane/refusal-lane.ts';
import type { RequestContext } from '../context.ts';
import { CONTINUE, DONE, type Phase } from '../phase.ts';

export const lanePhase: Phase = {
  name: 'lane',
  run(ctx: RequestContext) {
    return answerFromLane(ctx) ? DONE : CONTINUE;
  },
};
