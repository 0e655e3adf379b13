/**
 * The bounded waiting room in front of the origin (issue #5): three priorities
 * (`PRIORITY_CLEARED` 0 < `PRIORITY_UNKNOWN` 1 < `PRIORITY_SUSPICIOUS` 2, lower served first), FIFO
 * within a priority, a cap per priority and a cap on the total, and a deadline per waiter.
 *
 * When the total is full, an arrival evicts the *newest* waiter of the lowest priority below its own
 * (the one that has invested least in waiting); with nothing lower to evict it is refused. A full
 * per-priority cap refuses arrivals of that priority. Each priority is a doubly-linked list, so push,
 * shift, eviction and removal of a cancelled waiter are O(1); expiry pops from the heads (deadlines are
 * monotone within a priority because every waiter of a priority gets the same wait and time only moves
 * forward).
 */
import type { Priority } from '../vocabulary.ts';

/** Options for {@link createPriorityQueue}. */
export interface PriorityQueueOptions {
  /** Waiters per priority at most, indexed by priority (default [2 000, 1 000, 500]). */
  readonly caps?: readonly [number, number, number];
  /** Waiters in all (default: sum of caps). */
  readonly maxTotal?: number;
  /** Longest wait per priority in ms, or one for all (default 5 000). */
  readonly maxWaitMs?: number | readonly [number, number, number];
}

/** One waiter. `queued` turns false once it leaves the queue for any reason. */
export interface QueueNode<T> {
  readonly priority: Priority;
  readonly enqueuedAtMs: number;
  readonly deadlineMs: number;
  readonly value: T;
  queued: boolean;
  prev: QueueNode<T> | undefined;
  next: QueueNode<T> | undefined;
}

/** What `push` did. `evicted` is a lower-priority waiter pushed out to make room. */
export type PushResult<T> =
  | { readonly ok: true; readonly node: QueueNode<T>; readonly evicted?: QueueNode<T> }
  | { readonly ok: false; readonly reason: 'priority_full' | 'queue_full' };

/** See the module comment. */
export interface PriorityQueue<T> {
  push(priority: Priority, value: T, nowMs: number): PushResult<T>;
  /** Removes and returns the oldest waiter of the best priority. */
  shift(): QueueNode<T> | undefined;
  /** Removes a waiter still queued (cancellation); false when it had already left. */
  remove(node: QueueNode<T>): boolean;
  /** Removes and returns every waiter whose deadline is ≤ `nowMs`. */
  expire(nowMs: number): QueueNode<T>[];
  /** Earliest deadline among the heads, `undefined` when empty. */
  nextDeadlineMs(): number | undefined;
  size(): number;
  sizeOf(priority: Priority): number;
}

interface List<T> {
  head: QueueNode<T> | undefined;
  tail: QueueNode<T> | undefined;
  size: number;
}

const PRIORITIES: readonly Priority[] = [0, 1, 2];

function checkedInt(name: string, v: number, min: number): number {
  if (!(Number.isFinite(v) && v >= min)) {
    throw Object.assign(new Error(`priority queue option ${name} must be >= ${min}, got ${v}`), { code: 'BULWARK_ERR_SHIELD_OPTIONS' });
  }
  return v;
}

/** Creates a queue; see {@link PriorityQueueOptions} for defaults. */
export function createPriorityQueue<T>(options: PriorityQueueOptions = {}): PriorityQueue<T> {
  const caps = (options.caps ?? [2_000, 1_000, 500]).map((c, i) => checkedInt(`caps[${i}]`, c, 0));
  const maxTotal = checkedInt('maxTotal', options.maxTotal ?? caps[0] + caps[1] + caps[2], 0);
  const w = options.maxWaitMs ?? 5_000;
  const waits = (typeof w === 'number' ? [w, w, w] : w).map((x, i) => checkedInt(`maxWaitMs[${i}]`, x, 0));
  const lists: List<T>[] = PRIORITIES.map(() => ({ head: undefined, tail: undefined, size: 0 }));
  let total = 0;

  const unlink = (n: QueueNode<T>): void => {
    const l = lists[n.priority];
    if (n.prev) n.prev.next = n.next;
    else l.head = n.next;
    if (n.next) n.next.prev = n.prev;
    else l.tail = n.prev;
    n.prev = n.next = undefined;
    n.queued = false;
    l.size--;
    total--;
  };

  return {
    push(priority, value, nowMs) {
      const l = lists[priority];
      if (l.size >= caps[priority]) return { ok: false, reason: 'priority_full' };
      let evicted: QueueNode<T> | undefined;
      if (total >= maxTotal) {
        for (let q = 2; q > priority; q--) {
          const victim = lists[q].tail;
          if (victim !== undefined) {
            evicted = victim;
            unlink(victim);
            break;
          }
        }
        if (evicted === undefined) return { ok: false, reason: 'queue_full' };
      }
      const node: QueueNode<T> = { priority, enqueuedAtMs: nowMs, deadlineMs: nowMs + waits[priority], value, queued: true, prev: l.tail, next: undefined };
      if (l.tail) l.tail.next = node;
      else l.head = node;
      l.tail = node;
      l.size++;
      total++;
      return evicted === undefined ? { ok: true, node } : { ok: true, node, evicted };
    },
    shift() {
      for (const l of lists) {
        const n = l.head;
        if (n !== undefined) {
          unlink(n);
          return n;
        }
      }
      return undefined;
    },
    remove(node) {
      if (!node.queued) return false;
      unlink(node);
      return true;
    },
    expire(nowMs) {
      const out: QueueNode<T>[] = [];
      for (const l of lists) {
        while (l.head !== undefined && l.head.deadlineMs <= nowMs) {
          const n = l.head;
          unlink(n);
          out.push(n);
        }
      }
      return out;
    },
    nextDeadlineMs() {
      let min = Infinity;
      for (const l of lists) if (l.head !== undefined && l.head.deadlineMs < min) min = l.head.deadlineMs;
      return min === Infinity ? undefined : min;
    },
    size: () => total,
    sizeOf: (p) => lists[p].size,
  };
}
