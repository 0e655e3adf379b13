/**
 * Admission control toward one site's origins (issue #5): an adaptive {@link ConcurrencyLimiter} with the
 * bounded {@link PriorityQueue} in front of it.
 *
 * Invariant: a request is admitted only while fewer than `limiter.limit()` are in flight — when the limit
 * shrinks below the number in flight, in-flight requests drain before anyone new is admitted. Waiters are
 * admitted strictly by priority, FIFO within a priority, only from `release` (a slot freed) and from
 * `tryAcquire` (an arrival may find room).
 *
 * Every admitted request must be released exactly once with what happened (`success`, `dropped` =
 * overload evidence, `ignored` = no latency signal, e.g. the client went away); that feeds the limiter
 * and admits the next waiter. Time-outs: no timers here — the edge runs one periodic sweep (or one timer
 * re-armed at `nextDeadlineMs()`) calling `expire(nowMs)`; expired waiters get `{ status: 'shed',
 * reason: 'timeout' }` and the edge answers 503 "high demand" with `Retry-After`.
 */
import type { Priority } from '../vocabulary.ts';
import type { ConcurrencyLimiter } from './concurrency-limit.ts';
import { createPriorityQueue, type PriorityQueueOptions, type QueueNode } from './priority-queue.ts';

/** Options for {@link createAdmission}; queue options as in {@link PriorityQueueOptions}. */
export interface AdmissionOptions extends PriorityQueueOptions {
  readonly limiter: ConcurrencyLimiter;
}

/** How a queued request's wait ended. Never rejects. */
export type WaitResult =
  | { readonly status: 'admitted'; readonly waitedMs: number }
  | { readonly status: 'shed'; readonly reason: 'timeout' | 'evicted' | 'cancelled' };

/** A queued request: await `result`; call `cancel(ticket)` if the client goes away first. */
export interface Ticket {
  readonly priority: Priority;
  readonly deadlineMs: number;
  readonly result: Promise<WaitResult>;
}

/** What `tryAcquire` decided. `rejected`: the queue has no room — answer 503 at once. */
export type AcquireResult =
  | { readonly status: 'admitted' }
  | { readonly status: 'queued'; readonly ticket: Ticket }
  | { readonly status: 'rejected'; readonly reason: 'priority_full' | 'queue_full' };

/** How an admitted request ended, for the limiter. */
export type ReleaseOutcome = 'success' | 'dropped' | 'ignored';

/** Fill levels and counters. */
export interface AdmissionStats {
  readonly inflight: number;
  readonly limit: number;
  readonly queued: readonly [number, number, number];
  readonly admitted: number;
  readonly admittedFromQueue: number;
  readonly rejected: number;
  readonly shedTimeout: number;
  readonly shedEvicted: number;
  readonly cancelled: number;
  /** Releases without a matching admission (a bug in the caller); ignored. */
  readonly unbalancedReleases: number;
}

/** See the module comment. */
export interface Admission {
  tryAcquire(priority: Priority, nowMs: number): AcquireResult;
  release(outcome: ReleaseOutcome, latencyMs: number, nowMs: number): void;
  /** True when the ticket was still queued (now removed). False: it already ended — if it was admitted, release it. */
  cancel(ticket: Ticket): boolean;
  /** Sheds waiters past their deadline; returns how many. */
  expire(nowMs: number): number;
  nextDeadlineMs(): number | undefined;
  stats(): AdmissionStats;
}

interface Slot {
  settle: (r: WaitResult) => void;
}

interface TicketImpl extends Ticket {
  readonly node: QueueNode<Slot>;
}

const ADMITTED: AcquireResult = Object.freeze({ status: 'admitted' });

/** Creates an admission controller around `options.limiter`. */
export function createAdmission(options: AdmissionOptions): Admission {
  const limiter = options.limiter;
  const queue = createPriorityQueue<Slot>(options);
  let inflight = 0;
  const c = { admitted: 0, admittedFromQueue: 0, rejected: 0, shedTimeout: 0, shedEvicted: 0, cancelled: 0, unbalancedReleases: 0 };

  const drain = (nowMs: number): void => {
    while (inflight < limiter.limit()) {
      const n = queue.shift();
      if (n === undefined) return;
      if (n.deadlineMs <= nowMs) {
        c.shedTimeout++;
        n.value.settle({ status: 'shed', reason: 'timeout' });
        continue;
      }
      inflight++;
      c.admitted++;
      c.admittedFromQueue++;
      n.value.settle({ status: 'admitted', waitedMs: nowMs - n.enqueuedAtMs });
    }
  };

  return {
    tryAcquire(priority, nowMs) {
      if (queue.size() === 0 && inflight < limiter.limit()) {
        inflight++;
        c.admitted++;
        return ADMITTED;
      }
      const slot: Slot = { settle: () => {} };
      const result = new Promise<WaitResult>((res) => (slot.settle = res));
      const pushed = queue.push(priority, slot, nowMs);
      if (!pushed.ok) {
        c.rejected++;
        return { status: 'rejected', reason: pushed.reason };
      }
      if (pushed.evicted !== undefined) {
        c.shedEvicted++;
        pushed.evicted.value.settle({ status: 'shed', reason: 'evicted' });
      }
      const ticket: TicketImpl = { priority, deadlineMs: pushed.node.deadlineMs, result, node: pushed.node };
      drain(nowMs);
      return { status: 'queued', ticket };
    },
    release(outcome, latencyMs, nowMs) {
      if (inflight === 0) {
        c.unbalancedReleases++;
        return;
      }
      if (outcome !== 'ignored') limiter.onSample(latencyMs, outcome === 'dropped', inflight, nowMs);
      inflight--;
      drain(nowMs);
    },
    cancel(ticket) {
      const node = (ticket as TicketImpl).node;
      if (!queue.remove(node)) return false;
      c.cancelled++;
      node.value.settle({ status: 'shed', reason: 'cancelled' });
      return true;
    },
    expire(nowMs) {
      const expired = queue.expire(nowMs);
      for (const n of expired) n.value.settle({ status: 'shed', reason: 'timeout' });
      c.shedTimeout += expired.length;
      return expired.length;
    },
    nextDeadlineMs: () => queue.nextDeadlineMs(),
    stats: () => ({ inflight, limit: limiter.limit(), queued: [queue.sizeOf(0), queue.sizeOf(1), queue.sizeOf(2)], ...c }),
  };
}
