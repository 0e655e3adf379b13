/**
 * The drill's scenarios, one per attack class of docs/threats.md, in the order `bulwark drill --list` shows
 * them. Each lives in its own file with its defaults and what "repelled" means for it.
 */
import { DrillError } from '../errors.ts';
import { burstTeach } from './burst-teach.ts';
import { cacheBusting } from './cache-busting.ts';
import { getFloodFew } from './get-flood-few.ts';
import { getFloodMany } from './get-flood-many.ts';
import { h2Continuation } from './h2-continuation.ts';
import { h2RapidReset } from './h2-rapid-reset.ts';
import { h2StreamFlood } from './h2-stream-flood.ts';
import { tlsHandshakeFlood } from './tls-handshake-flood.ts';
import { ipv6Rotation } from './ipv6-rotation.ts';
import { malformed } from './malformed.ts';
import { originCollapse } from './origin-collapse.ts';
import { postFlood } from './post-flood.ts';
import { recurrence } from './recurrence.ts';
import { slowPost } from './slow-post.ts';
import { slowRamp } from './slow-ramp.ts';
import { slowRead } from './slow-read.ts';
import { slowloris } from './slowloris.ts';
import { uaRotation } from './ua-rotation.ts';
import type { Scenario } from './context.ts';

/** The scenario types, for callers that import the scenarios from here. */
export type * from './context.ts';

/** Every scenario, in listing order. */
export const SCENARIOS: readonly Scenario[] = [
  getFloodFew,
  getFloodMany,
  cacheBusting,
  postFlood,
  uaRotation,
  ipv6Rotation,
  slowloris,
  slowPost,
  slowRead,
  malformed,
  originCollapse,
  recurrence,
  slowRamp,
  burstTeach,
  h2RapidReset,
  h2Continuation,
  h2StreamFlood,
  tlsHandshakeFlood,
];

/** The scenario called `name`; throws `BULWARK_ERR_DRILL_UNKNOWN_CASE` (listing the names) otherwise. */
export function findScenario(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) {
    throw new DrillError('BULWARK_ERR_DRILL_UNKNOWN_CASE', `no drill scenario named ${JSON.stringify(name)}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`);
  }
  return found;
}

/** `bulwark drill --list`: one line per scenario, names aligned, with its default bounds. */
export function listScenarios(): string {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  return SCENARIOS.map((s) => `${s.name.padEnd(width)}  ${s.summary}`).join('\n') + '\n';
}
