/**
 * The bus inside one machine: worker ↔ primary over the IPC channel node:cluster gives each worker. The
 * primary relays: a worker's message goes to every other worker, to the primary's own handlers and up to
 * the machine's bus between machines (Redis) when there is one; a message from another machine goes to
 * every worker. Envelopes are `{ bulwark: 'bus', m }`, next to the other IPC messages (ipc-messages.ts).
 */
import { createBusCore, type Bus, type BusMessage } from './bus.ts';

/** The IPC envelope of a bus message. */
export interface BusEnvelope {
  readonly bulwark: 'bus';
  readonly m: BusMessage;
}

/** True for a bus envelope. */
export function isBusEnvelope(x: unknown): x is BusEnvelope {
  return typeof x === 'object' && x !== null && (x as { bulwark?: unknown }).bulwark === 'bus' && typeof (x as { m?: { t?: unknown } }).m?.t === 'string';
}

/** A worker's end: `send` is `process.send`; call `receive` with every envelope from the primary. */
export function createWorkerBus(self: string, node: string, send: (envelope: BusEnvelope) => boolean): Bus & { receive(envelope: BusEnvelope): void } {
  const core = createBusCore(self, node);
  return {
    self,
    node,
    publish(message) {
      try {
        send({ bulwark: 'bus', m: core.stamp(message) });
        core.countSent();
      } catch {
        core.noteDropped(); // the channel is closing: the primary is gone or replacing us
      }
    },
    on: core.on,
    noteDropped: core.noteDropped,
    stats: core.stats,
    receive: (envelope) => core.deliver(envelope.m),
    close() {},
  };
}

/** The primary's end: a bus for its own components, plus the relay between its workers and `upstream`. */
export interface PrimaryBus extends Bus {
  /** A worker joined (`send` delivers an envelope to it). */
  addWorker(id: string, send: (envelope: BusEnvelope) => void): void;
  removeWorker(id: string): void;
  /** An envelope arrived from worker `id`. */
  fromWorker(id: string, envelope: BusEnvelope): void;
}

/** Creates the primary's bus; `upstream` is the bus between machines (null: one machine). */
export function createPrimaryBus(self: string, node: string, upstream: Bus | null): PrimaryBus {
  const core = createBusCore(self, node);
  const workers = new Map<string, (envelope: BusEnvelope) => void>();

  function toWorkers(m: BusMessage, except: string | null): void {
    for (const [id, send] of workers) {
      if (id === except) continue;
      try {
        send({ bulwark: 'bus', m });
      } catch {
        core.noteDropped();
      }
    }
  }

  // Messages from other machines: to our handlers and to every worker.
  const relayTypes = new Set<string>();
  function relayUpstream(type: string): void {
    if (upstream === null || relayTypes.has(type)) return;
    relayTypes.add(type);
    upstream.on(type, (m) => {
      core.deliver(m);
      toWorkers(m, null);
    });
  }
  // The types every process uses are relayed from the start; others when a handler asks for them.
  for (const t of ['limits', 'bans', 'replay', 'contrib', 'view', 'keys', 'health']) relayUpstream(t);

  return {
    self,
    node,
    publish(message) {
      const m = core.stamp(message);
      core.countSent();
      toWorkers(m, null);
      upstream?.publish(m);
    },
    on(type, handler) {
      relayUpstream(type);
      return core.on(type, handler);
    },
    noteDropped: core.noteDropped,
    stats: core.stats,
    addWorker(id, send) {
      workers.set(id, send);
    },
    removeWorker(id) {
      workers.delete(id);
    },
    fromWorker(id, envelope) {
      const m = envelope.m;
      core.deliver(m);
      toWorkers(m, id);
      upstream?.publish(m);
    },
    close() {
      workers.clear();
    },
  };
}
