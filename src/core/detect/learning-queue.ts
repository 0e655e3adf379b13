/**
 * Seconds of traffic waiting to be learned by a baseline. A second is learned only once it is old enough
 * (the baseline's learning delay, default 30 s) and no level rise happened since it was queued: the first
 * seconds of an attack — before the detector had seen enough to raise the level — must never become
 * normal, or an attacker could teach the detector with bursts that stop just before a rise.
 *
 * A bounded FIFO: `capacity` entries (the delay in seconds plus a margin); when it is full the oldest
 * entry is dropped unlearned and counted (`dropped`), never learned early. `discard` empties it (a rise,
 * a level above normal, an open incident) and counts what it threw away (`discarded`).
 */

/** One queued second: when it was queued (ms, the tick's clock) and what will be learned. */
export interface QueuedSecond<T> {
  readonly atMs: number;
  readonly item: T;
}

/** Fill and history of a learning queue, for the detection view. */
export interface LearningQueueStats {
  /** Seconds waiting. */
  readonly pending: number;
  readonly capacity: number;
  /** Seconds thrown away because a rise (or a level above normal, or an open incident) came before they were old enough. */
  readonly discarded: number;
  /** Seconds dropped unlearned because the queue was full (more than one tick a second). */
  readonly dropped: number;
}

/** A bounded FIFO of seconds waiting to be learned. */
export interface LearningQueue<T> {
  /** Queues a second; drops (and counts) the oldest when full. */
  push(atMs: number, item: T): void;
  /** Throws every waiting second away; returns how many. */
  discard(): number;
  /** Removes and returns, oldest first, the seconds queued at or before `nowMs − delayMs`. */
  release(nowMs: number, delayMs: number): T[];
  stats(): LearningQueueStats;
}

/** Creates an empty queue holding at most `capacity` seconds (at least 1). */
export function createLearningQueue<T>(capacity: number): LearningQueue<T> {
  const cap = Math.max(1, Math.floor(capacity));
  const ring: Array<QueuedSecond<T> | undefined> = new Array(cap);
  let head = 0;
  let size = 0;
  let discarded = 0;
  let dropped = 0;
  return {
    push(atMs, item) {
      if (size === cap) {
        ring[head] = undefined;
        head = (head + 1) % cap;
        size--;
        dropped++;
      }
      ring[(head + size) % cap] = { atMs, item };
      size++;
    },
    discard() {
      const n = size;
      ring.fill(undefined);
      head = 0;
      size = 0;
      discarded += n;
      return n;
    },
    release(nowMs, delayMs) {
      const out: T[] = [];
      while (size > 0) {
        const e = ring[head]!;
        if (e.atMs > nowMs - delayMs) break;
        out.push(e.item);
        ring[head] = undefined;
        head = (head + 1) % cap;
        size--;
      }
      return out;
    },
    stats: () => ({ pending: size, capacity: cap, discarded, dropped }),
  };
}
