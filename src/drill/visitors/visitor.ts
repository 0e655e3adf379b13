/**
 * What every simulated visitor is: a kind, a source address, and a `visit()` that sends a few logical
 * requests and records each one (served or not, latency) into its kind's recorder.
 */
import type { ChallengeDetector } from '../answer-outcome.ts';
import type { Random } from '../attackers/traffic-shapes.ts';
import type { VisitorKind, VisitorRecorder } from './visitor-stats.ts';
import type { LogicalResult, VisitorClient } from './visitor-http.ts';

/** One simulated visitor. */
export interface Visitor {
  readonly kind: VisitorKind;
  readonly localAddress: string;
  /** One visit; `mayRequest()` takes one request from the run's budget and says whether it may be sent. */
  visit(mayRequest: () => boolean): Promise<void>;
}

/** What a visitor factory receives from the runner. */
export interface VisitorDeps {
  readonly client: VisitorClient;
  readonly recorder: VisitorRecorder;
  /** The visitor's number within its kind (picks its user agent, API key…). */
  readonly index: number;
  readonly random: Random;
  readonly isChallenge?: ChallengeDetector;
  /** Also receives every logical request's result (the run's timeline, a group's recorder); `asset`: a page's subresource. */
  readonly sink?: (result: LogicalResult, asset: boolean) => void;
}

/** Records a logical request's result into a recorder. */
export function recordInto(recorder: VisitorRecorder, result: LogicalResult): void {
  if (result.served) recorder.served(result.status ?? 0, result.latencyMs, result.challenged);
  else if (result.error !== undefined) recorder.error(result.error, result.outcome);
  else recorder.notServed(result.outcome, result.status, result.challenged, result.detail);
}

/** Records a logical request's result into the visitor's recorder and its sink; `asset` for a page's subresource. */
export function recordLogical(deps: Pick<VisitorDeps, 'recorder' | 'sink'>, result: LogicalResult, asset = false): void {
  recordInto(deps.recorder, result);
  deps.sink?.(result, asset);
}
