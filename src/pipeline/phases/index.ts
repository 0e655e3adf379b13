/**
 * The phase order of a proxied request (docs/architecture.md walks one request through them).
 * `accept` runs per connection in edge/accept-gate.ts; `record` runs on every exit through the response's close event.
 * `lane` answers a refused flood's repeated requests before `parse` (pipeline/lane/refusal-lane.ts); `exact` counts
 * limits marked `exact` on the shared server (a no-op without shared state).
 */
import type { Phase } from '../phase.ts';
import { decidePhase } from './decide.ts';
import { exactPhase } from './exact.ts';
import { enforcePhase } from './enforce.ts';
import { forwardPhase } from './forward.ts';
import { identifyPhase } from './identify.ts';
import { lanePhase } from './lane.ts';
import { parsePhase } from './parse.ts';
import { shieldPhase } from './shield.ts';

export const DEFAULT_PHASES: readonly Phase[] = [lanePhase, parsePhase, identifyPhase, decidePhase, exactPhase, enforcePhase, shieldPhase, forwardPhase];
