/**
 * The bus: small messages every Bulwark process of a deployment may see — rate-limit counts, ban hints,
 * accepted challenge answers, shares of traffic, leader views, key rotations, health. Two transports
 * carry it: IPC between a machine's workers and its primary (ipc-bus.ts), Redis/Valkey pub/sub between
 * machines (redis-bus.ts); the primary relays between them, so a worker's message reaches every other
 * worker and every other machine once.
 *
 * Delivery is best effort, at most once: every consumer can live with a lost message (limit counts are
 * re-sent in the next interval's total, bans are also read from the durable store, views are re-published
 * every second, shares only make one second's figures smaller). Nothing ever waits for the bus.
 *
 * Every message names its type (`t`), its sender process (`f`), the sender's node (`n`) and when it was
 * sent (`at`, ms): handlers never see the messages of their own process, and the Redis transport drops
 * the messages of its own node (they already went round the machine over IPC).
 */

/** A message. Payload fields are the sender's; keep them JSON. */
export interface BusMessage {
  readonly t: string;
  readonly f?: string;
  readonly n?: string;
  readonly at?: number;
  readonly [field: string]: unknown;
}

/** Figures of a bus, for `/stats`. */
export interface BusStats {
  readonly sent: number;
  readonly received: number;
  /** Messages refused by a handler (wrong seed, unreadable) or sent while the transport was down. */
  readonly dropped: number;
  /** Age of messages from other nodes when received, ms: the last one and the largest of the last minute. */
  readonly lag_ms: number | null;
  readonly lag_max_ms: number | null;
  readonly by_type: Readonly<Record<string, number>>;
}

/** A process's end of the bus. */
export interface Bus {
  /** This process's name (`node` or `node/w2`). */
  readonly self: string;
  readonly node: string;
  /** Sends to every other process (fills `f`, `n`, `at` unless already set by a relay). */
  publish(message: BusMessage): void;
  /** Calls `handler` for every message of type `type` from another process. Returns an unsubscribe. */
  on(type: string, handler: (message: BusMessage) => void): () => void;
  /** Counts a message a handler could not use. */
  noteDropped(): void;
  stats(): BusStats;
  close(): void;
}

/** Bookkeeping shared by the transports: handlers, counters, lag. */
export interface BusCore {
  readonly self: string;
  readonly node: string;
  /** Stamps a message for sending. */
  stamp(message: BusMessage): BusMessage;
  /** Hands a received message to the handlers (unless it is this process's own). */
  deliver(message: BusMessage): void;
  on(type: string, handler: (message: BusMessage) => void): () => void;
  countSent(): void;
  noteDropped(): void;
  stats(): BusStats;
}

/** Creates the shared bookkeeping of a transport. `now` is the clock (default Date.now). */
export function createBusCore(self: string, node: string, now: () => number = Date.now): BusCore {
  const handlers = new Map<string, Set<(m: BusMessage) => void>>();
  const byType: Record<string, number> = {};
  const lagRing = new Float64Array(64);
  let lagAt = 0;
  let lastLag: number | null = null;
  let sent = 0;
  let received = 0;
  let dropped = 0;
  return {
    self,
    node,
    stamp: (m) => (m.f !== undefined ? m : { ...m, f: self, n: node, at: now() }),
    deliver(m) {
      if (m.f === self) return;
      received++;
      byType[m.t] = (byType[m.t] ?? 0) + 1;
      if (m.n !== node && typeof m.at === 'number') {
        lastLag = Math.max(0, now() - m.at);
        lagRing[lagAt++ % lagRing.length] = lastLag;
      }
      for (const h of handlers.get(m.t) ?? []) {
        try {
          h(m);
        } catch {
          dropped++;
        }
      }
    },
    on(type, handler) {
      let set = handlers.get(type);
      if (set === undefined) handlers.set(type, (set = new Set()));
      set.add(handler);
      return () => void set.delete(handler);
    },
    countSent: () => void sent++,
    noteDropped: () => void dropped++,
    stats() {
      let max: number | null = null;
      for (let i = 0; i < Math.min(lagAt, lagRing.length); i++) max = Math.max(max ?? 0, lagRing[i]!);
      return { sent, received, dropped, lag_ms: lastLag, lag_max_ms: max, by_type: { ...byType } };
    },
  };
}

/**
 * An in-memory network of buses, for tests: every bus created on it receives every other bus's messages
 * (asynchronously, as a real transport would deliver them).
 */
export function createLocalBusNetwork(): { bus(self: string, node?: string): Bus } {
  const members = new Set<BusCore>();
  return {
    bus(self, node = self) {
      const core = createBusCore(self, node);
      members.add(core);
      return {
        self,
        node,
        publish(m) {
          const stamped = core.stamp(m);
          core.countSent();
          for (const other of members) if (other !== core) queueMicrotask(() => other.deliver(stamped));
        },
        on: core.on,
        noteDropped: core.noteDropped,
        stats: core.stats,
        close: () => void members.delete(core),
      };
    },
  };
}
