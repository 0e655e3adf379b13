/**
 * The bounded waiting room in front of the origin: four priorities (`PRIORITY_CLEARED` 0 <
 * `PRIORITY_RETURNING` 1 < `PRIORITY_UNKNOWN` 2 < `PRIORITY_SUSPICIOUS` 3, lower served first), and
 * within a priority a fair share between clients instead of one FIFO line, so that a flood from a few
 * sources cannot take every turn and one address full of people (a NAT) is one client among others,
 * not one attacker.
 *
 * Within a priority, waiters are grouped by the client's prefix (an IPv4 /24, an IPv6 /64: one
 * subscriber), and within a prefix by address. Turns go round robin over the prefixes that have
 * waiters, and within a prefix round robin over its addresses; each address's waiters are served
 * oldest first. A caller may ask `shift` to pass over clients that already hold more than their share
 * of the origin (`skip`): up to `scan` prefixes are looked at, and when all of them hold too much the
 * first is served anyway (work-conserving: a free slot is never left idle while someone waits).
 *
 * Caps: per priority and in total. When full, an arrival pushes out the newest waiter of the longest
 * line (the prefix with the most waiters) of the lowest priority below its own; within its own priority
 * only if its own prefix's line is shorter than that longest one (longest-queue drop: whoever floods the
 * queue loses its own waiters first). Otherwise it is refused. Every waiter has a deadline (the same wait
 * per priority, so deadlines are monotone in arrival order and expire from the head of an arrival list).
 * Push, shift, removal and expiry are O(1) (`shift` and eviction look at most `scan` lines).
 */
import type { Priority } from '../vocabulary.ts';

/** Number of priorities (see the module comment). */
export const PRIORITY_COUNT = 4;
const PRIORITIES: readonly Priority[] = [0, 1, 2, 3];

/** Who waits: the client's address and its aggregation prefix (either may be '' when unknown). */
export interface ClientKey {
  readonly address: string;
  readonly prefix: string;
}

/** Options for {@link createFairQueue}. */
export interface FairQueueOptions {
  /** Waiters per priority at most, indexed by priority (default [2 000, 2 000, 1 000, 500]). */
  readonly caps?: readonly number[];
  /** Waiters in all (default: the sum of the caps). */
  readonly maxTotal?: number;
  /** Longest wait per priority in ms, or one for all (default 5 000). */
  readonly maxWaitMs?: number | readonly number[];
  /** Lines looked at by `shift` (skipping) and by eviction, at most (default 8). */
  readonly scan?: number;
}

/** One waiter. `queued` turns false once it leaves the queue for any reason. */
export interface QueueNode<T> {
  readonly priority: Priority;
  readonly client: ClientKey;
  readonly enqueuedAtMs: number;
  readonly deadlineMs: number;
  readonly value: T;
  readonly queued: boolean;
}

/** What `push` did. `evicted` is a waiter pushed out to make room. */
export type PushResult<T> =
  | { readonly ok: true; readonly node: QueueNode<T>; readonly evicted?: QueueNode<T> }
  | { readonly ok: false; readonly reason: 'priority_full' | 'queue_full' };

/** See the module comment. */
export interface FairQueue<T> {
  push(priority: Priority, client: ClientKey, value: T, nowMs: number): PushResult<T>;
  /**
   * Removes and returns the next waiter: best priority first, then the fair turn. `skip(client)` true
   * means "this client holds its share already: serve another if one is waiting".
   */
  shift(skip?: (client: ClientKey) => boolean): QueueNode<T> | undefined;
  /** Removes a waiter still queued (cancellation); false when it had already left. */
  remove(node: QueueNode<T>): boolean;
  /** Removes and returns every waiter whose deadline is ≤ `nowMs`. */
  expire(nowMs: number): QueueNode<T>[];
  /** Earliest deadline of any waiter, `undefined` when empty. */
  nextDeadlineMs(): number | undefined;
  size(): number;
  sizeOf(priority: Priority): number;
  /** Distinct client addresses waiting (all priorities). */
  flows(): number;
}

class Node<T> implements QueueNode<T> {
  queued = true;
  fprev: Node<T> | undefined = undefined;
  fnext: Node<T> | undefined = undefined;
  aprev: Node<T> | undefined = undefined;
  anext: Node<T> | undefined = undefined;
  constructor(
    readonly priority: Priority,
    readonly client: ClientKey,
    readonly enqueuedAtMs: number,
    readonly deadlineMs: number,
    readonly value: T,
    readonly flow: Flow<T>,
  ) {}
}

/** One address's line: its waiters oldest first; a member of its prefix group's ring. */
class Flow<T> {
  head: Node<T> | undefined = undefined;
  tail: Node<T> | undefined = undefined;
  size = 0;
  prev: Flow<T> = this;
  next: Flow<T> = this;
  constructor(
    readonly key: string,
    readonly group: Group<T>,
  ) {}
}

/** One prefix's lines: a ring of flows; a member of its priority's ring. */
class Group<T> {
  readonly flows = new Map<string, Flow<T>>();
  cursor: Flow<T> | undefined = undefined;
  size = 0;
  prev: Group<T> = this;
  next: Group<T> = this;
  constructor(readonly key: string) {}
}

/** One priority: its ring of groups, the arrival list (for deadlines), groups bucketed by size. */
class Level<T> {
  readonly groups = new Map<string, Group<T>>();
  cursor: Group<T> | undefined = undefined;
  size = 0;
  flows = 0;
  head: Node<T> | undefined = undefined;
  tail: Node<T> | undefined = undefined;
  readonly bySize: Array<Set<Group<T>> | undefined> = [];
  maxSize = 0;
}

interface Ringed<X> {
  prev: X;
  next: X;
}

/** Inserts `x` just before the cursor (the end of the current round); returns the new cursor. */
function ringInsert<X extends Ringed<X>>(cursor: X | undefined, x: X): X {
  if (cursor === undefined) {
    x.prev = x.next = x;
    return x;
  }
  x.next = cursor;
  x.prev = cursor.prev;
  cursor.prev.next = x;
  cursor.prev = x;
  return cursor;
}

/** Removes `x` from its ring; returns the cursor afterwards. */
function ringRemove<X extends Ringed<X>>(cursor: X | undefined, x: X): X | undefined {
  if (x.next === x) return undefined;
  x.prev.next = x.next;
  x.next.prev = x.prev;
  const after = cursor === x ? x.next : cursor;
  x.prev = x.next = x;
  return after;
}

function checked(name: string, v: number, min: number): number {
  if (!(Number.isFinite(v) && v >= min)) {
    throw Object.assign(new Error(`fair queue option ${name} must be >= ${min}, got ${v}`), { code: 'BULWARK_ERR_SHIELD_OPTIONS' });
  }
  return v;
}

/** Creates a queue; see {@link FairQueueOptions} for defaults. */
export function createFairQueue<T>(options: FairQueueOptions = {}): FairQueue<T> {
  const rawCaps = options.caps ?? [2_000, 2_000, 1_000, 500];
  const caps = PRIORITIES.map((p) => checked(`caps[${p}]`, rawCaps[p] ?? rawCaps[rawCaps.length - 1] ?? 0, 0));
  const maxTotal = checked('maxTotal', options.maxTotal ?? caps.reduce((a, b) => a + b, 0), 0);
  const w = options.maxWaitMs ?? 5_000;
  const waits = PRIORITIES.map((p) => checked(`maxWaitMs[${p}]`, typeof w === 'number' ? w : (w[p] ?? w[w.length - 1] ?? 5_000), 0));
  const scan = Math.max(1, Math.floor(options.scan ?? 8));
  const levels = PRIORITIES.map(() => new Level<T>());
  let total = 0;
  let flowCount = 0;

  const resize = (level: Level<T>, g: Group<T>, size: number): void => {
    level.bySize[g.size]?.delete(g);
    g.size = size;
    if (size > 0) (level.bySize[size] ??= new Set()).add(g);
    if (size > level.maxSize) level.maxSize = size;
    while (level.maxSize > 0 && (level.bySize[level.maxSize]?.size ?? 0) === 0) level.maxSize--;
  };

  const unlink = (n: Node<T>): void => {
    const f = n.flow;
    const g = f.group;
    const level = levels[n.priority]!;
    if (n.fprev) n.fprev.fnext = n.fnext;
    else f.head = n.fnext;
    if (n.fnext) n.fnext.fprev = n.fprev;
    else f.tail = n.fprev;
    if (n.aprev) n.aprev.anext = n.anext;
    else level.head = n.anext;
    if (n.anext) n.anext.aprev = n.aprev;
    else level.tail = n.aprev;
    n.fprev = n.fnext = n.aprev = n.anext = undefined;
    n.queued = false;
    f.size--;
    resize(level, g, g.size - 1);
    level.size--;
    total--;
    if (f.size === 0) {
      g.flows.delete(f.key);
      g.cursor = ringRemove(g.cursor, f);
      level.flows--;
      flowCount--;
    }
    if (g.size === 0) {
      level.groups.delete(g.key);
      level.cursor = ringRemove(level.cursor, g);
    }
  };

  /** The newest waiter of the longest line in `level` (one of the biggest prefixes, its biggest address among `scan`). */
  const victimIn = (level: Level<T>): Node<T> | undefined => {
    const g = level.bySize[level.maxSize]?.values().next().value;
    if (g === undefined || g.cursor === undefined) return undefined;
    let best = g.cursor;
    let f = g.cursor.next;
    for (let i = 1; i < scan && f !== g.cursor; i++, f = f.next) if (f.size > best.size) best = f;
    return best.tail;
  };

  const groupSize = (level: Level<T>, prefix: string): number => level.groups.get(prefix)?.size ?? 0;

  /** Room for an arrival of `priority` from `prefix`: undefined (room), a victim, or a refusal. */
  const makeRoom = (priority: Priority, prefix: string): Node<T> | undefined | 'priority_full' | 'queue_full' => {
    const own = levels[priority]!;
    if (own.size >= caps[priority]!) return own.size > 0 && groupSize(own, prefix) + 1 < own.maxSize ? victimIn(own) : 'priority_full';
    if (total < maxTotal) return undefined;
    for (let q = PRIORITY_COUNT - 1; q > priority; q--) if (levels[q]!.size > 0) return victimIn(levels[q]!);
    return own.size > 0 && groupSize(own, prefix) + 1 < own.maxSize ? victimIn(own) : 'queue_full';
  };

  const take = (level: Level<T>, g: Group<T>): Node<T> => {
    const f = g.cursor!;
    const n = f.head!;
    level.cursor = g.next;
    g.cursor = f.next;
    unlink(n);
    return n;
  };

  return {
    push(priority, client, value, nowMs) {
      const room = makeRoom(priority, client.prefix);
      if (room === 'priority_full' || room === 'queue_full') return { ok: false, reason: room };
      if (room !== undefined) unlink(room as Node<T>);
      const level = levels[priority]!;
      let g = level.groups.get(client.prefix);
      if (g === undefined) {
        g = new Group<T>(client.prefix);
        level.groups.set(client.prefix, g);
        level.cursor = ringInsert(level.cursor, g);
      }
      let f = g.flows.get(client.address);
      if (f === undefined) {
        f = new Flow<T>(client.address, g);
        g.flows.set(client.address, f);
        g.cursor = ringInsert(g.cursor, f);
        level.flows++;
        flowCount++;
      }
      const n = new Node<T>(priority, client, nowMs, nowMs + waits[priority]!, value, f);
      n.fprev = f.tail;
      if (f.tail) f.tail.fnext = n;
      else f.head = n;
      f.tail = n;
      f.size++;
      n.aprev = level.tail;
      if (level.tail) level.tail.anext = n;
      else level.head = n;
      level.tail = n;
      resize(level, g, g.size + 1);
      level.size++;
      total++;
      return room === undefined ? { ok: true, node: n } : { ok: true, node: n, evicted: room as Node<T> };
    },
    shift(skip) {
      for (const level of levels) {
        const first = level.cursor;
        if (first === undefined) continue;
        if (skip === undefined) return take(level, first);
        let g = first;
        for (let i = 0; i < scan; i++) {
          if (!skip(g.cursor!.head!.client)) return take(level, g);
          g = g.next;
          if (g === first) break;
        }
        return take(level, first);
      }
      return undefined;
    },
    remove(node) {
      if (!node.queued) return false;
      unlink(node as Node<T>);
      return true;
    },
    expire(nowMs) {
      const out: QueueNode<T>[] = [];
      for (const level of levels) {
        while (level.head !== undefined && level.head.deadlineMs <= nowMs) {
          const n = level.head;
          unlink(n);
          out.push(n);
        }
      }
      return out;
    },
    nextDeadlineMs() {
      let min = Infinity;
      for (const level of levels) if (level.head !== undefined && level.head.deadlineMs < min) min = level.head.deadlineMs;
      return min === Infinity ? undefined : min;
    },
    size: () => total,
    sizeOf: (p) => levels[p]!.size,
    flows: () => flowCount,
  };
}
