/**
 * The clearance replay set shared between processes: each challenge answer is accepted once per
 * deployment, not once per process. Local first — `admit` answers from this process's set at once — and
 * every accepted answer is published; other processes record it in theirs. An attacker who submits one
 * answer to several processes within the propagation delay (milliseconds) can be accepted once per
 * process in that window; after it, everywhere it is a replay.
 */
import type { ReplaySet } from '../core/challenge/index.ts';

/** A replay set that tells `onAdmitted` about every answer it accepts, and takes other processes' answers. */
export interface SharedReplaySet extends ReplaySet {
  /** Who hears about accepted answers (the bus); null: nobody. */
  onAdmitted: ((nonce: string, issuedAtMs: number) => void) | null;
  /** Records an answer another process accepted. */
  remember(nonce: string, issuedAtMs: number, nowMs: number): void;
  /** Answers other processes accepted that were new here. */
  readonly remembered: number;
}

/** Wraps a replay set. */
export function createSharedReplaySet(inner: ReplaySet): SharedReplaySet {
  let remembered = 0;
  const set: SharedReplaySet = {
    horizonMs: inner.horizonMs,
    onAdmitted: null,
    admit(nonce, issuedAtMs, nowMs) {
      const verdict = inner.admit(nonce, issuedAtMs, nowMs);
      if (verdict === 'admitted') set.onAdmitted?.(nonce, issuedAtMs);
      return verdict;
    },
    remember(nonce, issuedAtMs, nowMs) {
      if (inner.admit(nonce, issuedAtMs, nowMs) === 'admitted') remembered++;
    },
    has: (nonce, issuedAtMs) => inner.has(nonce, issuedAtMs),
    stats: () => inner.stats(),
    get remembered() {
      return remembered;
    },
  };
  return set;
}
