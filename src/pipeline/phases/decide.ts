/**
 * `decide` — the pure policy evaluation producing a {@link Decision} that names what produced it.
 * Until issue #3 lands the policy is empty and every request gets `default/allow`.
 */
import type { RequestContext } from '../context.ts';
import { CONTINUE, type Phase } from '../phase.ts';

export const decidePhase: Phase = {
  name: 'decide',
  run(_ctx: RequestContext) {
    return CONTINUE;
  },
};
