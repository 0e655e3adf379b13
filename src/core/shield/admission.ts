/**
 * Admission control toward one site's origins: an adaptive {@link ConcurrencyLimiter} with the bounded
 * {@link FairQueue} in front of it.
 *
 * Work-conserving: while fewer than `limiter.limit()` requests are in flight and nobody waits, an
 * arrival is admitted at once, whoever it is and however many requests its address already has in
 * flight — nobody is refused for sharing an address while the origin has room. Only when the limit is
 * reached do requests wait, and then the turns are shared: strictly by priority (cleared visitors
 * first, then clients the site has seen before, then unknown, then suspicious ones), and within a
 * priority fairly between prefixes and addresses (fair-queue.ts). A client holding at least its *fair
 * share* of the slots in flight — `max(perClientShare, limit / active clients)` for its address, four
 * times that for its prefix — lets the others who wait go first; it is still served when nobody else
 * waits. The per-client limit is thus a share under contention, never a reason to refuse.
 *
 * Invariant: a request is admitted only while fewer than `limiter.limit()` are in flight — when the limit
 * shrinks below the number in flight, in-flight requests drain before anyone new is admitted. Waiters are
 * admitted only from `release` (a slot freed) and from `tryAcquire` (an arrival may find room).
 *
 * Every admitted request must be released exactly once with its client and what happened (`success`,
 * `dropped` = overload evidence, `ignored` = no latency signal, e.g. the client went away); that feeds
 * the limiter and admits the next waiter. Time-outs: no timers here — the edge runs one periodic sweep
 * calling `expire(nowMs)`; expired waiters get `{ status: 'shed', reason: 'timeout' }` and the edge
 * answers 503 "high demand" with `Retry-After`.
 */
import type { Priority } from '../vocabulary.ts';
import type { ConcurrencyLimiter } from './concurrency-limit.ts';
import { createFairQueue, PRIORITY_COUNT, type ClientKey, type FairQueueOptions, type QueueNode } from './fair-queue.ts';

export type { ClientKey } from './fair-queue.ts';

/** Options for {@link createAdmission}; queue options as in {@link FairQueueOptions}. */
export interface AdmissionOptions extends FairQueueOptions {
  readonly limiter: ConcurrencyLimiter;
  /**
   * Slots in flight one address may hold before others who wait go first (default 8); its prefix may
   * hold four times as many. Under contention only: with free capacity nobody waits.
   */
  readonly perClientShare?: number;
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
  /** Waiters per priority (cleared, returning, unknown, suspicious). */
  readonly queued: readonly number[];
  /** Distinct addresses waiting, and distinct addresses / prefixes with requests in flight. */
  readonly waitingClients: number;
  readonly inflightClients: number;
  readonly inflightPrefixes: number;
  readonly admitted: number;
  readonly admittedFromQueue: number;
  /** Admissions from the queue that passed over a client holding its fair share. */
  readonly fairSkips: number;
  readonly rejected: number;
  readonly shedTimeout: number;
  readonly shedEvicted: number;
  readonly cancelled: number;
  /** Releases without a matching admission (a bug in the caller); ignored. */
  readonly unbalancedReleases: number;
}

/** See the module comment. */
export interface Admission {
  tryAcquire(priority: Priority, client: ClientKey, nowMs: number): AcquireResult;
  /** Releases a slot admitted for `client` (the same key as at `tryAcquire`). */
  release(client: ClientKey, outcome: ReleaseOutcome, latencyMs: number, nowMs: number): void;
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

const bump = (m: Map<string, number>, key: string): void => void m.set(key, (m.get(key) ?? 0) + 1);
const drop = (m: Map<string, number>, key: string): boolean => {
  const n = m.get(key);
  if (n === undefined) return false;
  if (n <= 1) m.delete(key);
  else m.set(key, n - 1);
  return true;
};

/** Creates an admission controller around `options.limiter`. */
export function createAdmission(options: AdmissionOptions): Admission {
  const limiter = options.limiter;
  const queue = createFairQueue<Slot>(options);
  const perClient = Math.max(1, Math.floor(options.perClientShare ?? 8));
  // In flight per address and per prefix: at most one entry per request in flight (≤ the limit).
  const byAddress = new Map<string, number>();
  const byPrefix = new Map<string, number>();
  let inflight = 0;
  let share = perClient;
  const c = { admitted: 0, admittedFromQueue: 0, fairSkips: 0, rejected: 0, shedTimeout: 0, shedEvicted: 0, cancelled: 0, unbalancedReleases: 0 };

  const hold = (client: ClientKey): void => {
    inflight++;
    c.admitted++;
    bump(byAddress, client.address);
    bump(byPrefix, client.prefix);
  };
  const overShare = (client: ClientKey): boolean => {
    const over = (byAddress.get(client.address) ?? 0) >= share || (byPrefix.get(client.prefix) ?? 0) >= 4 * share;
    if (over) c.fairSkips++;
    return over;
  };

  const drain = (nowMs: number): void => {
    while (inflight < limiter.limit()) {
      share = Math.max(perClient, Math.floor(limiter.limit() / Math.max(1, byAddress.size + queue.flows())));
      const n = queue.shift(overShare);
      if (n === undefined) return;
      if (n.deadlineMs <= nowMs) {
        c.shedTimeout++;
        n.value.settle({ status: 'shed', reason: 'timeout' });
        continue;
      }
      hold(n.client);
      c.admittedFromQueue++;
      n.value.settle({ status: 'admitted', waitedMs: nowMs - n.enqueuedAtMs });
    }
  };

  return {
    tryAcquire(priority, client, nowMs) {
      if (queue.size() === 0 && inflight < limiter.limit()) {
        hold(client);
        return ADMITTED;
      }
      const slot: Slot = { settle: () => {} };
      const result = new Promise<WaitResult>((res) => (slot.settle = res));
      const pushed = queue.push(priority, client, slot, nowMs);
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
    release(client, outcome, latencyMs, nowMs) {
      if (inflight === 0 || !drop(byAddress, client.address)) {
        c.unbalancedReleases++;
        return;
      }
      drop(byPrefix, client.prefix);
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
    stats: () => ({
      inflight,
      limit: limiter.limit(),
      queued: Array.from({ length: PRIORITY_COUNT }, (_, p) => queue.sizeOf(p as Priority)),
      waitingClients: queue.flows(),
      inflightClients: byAddress.size,
      inflightPrefixes: byPrefix.size,
      ...c,
    }),
  };
}
