/**
 * The bus between machines: Redis/Valkey pub/sub on one channel of the namespace (`bulwark:{ns}:bus`),
 * JSON messages. A machine's own messages come back from the server and are dropped here (its processes
 * already exchanged them over IPC). While the server is unreachable messages are counted as dropped, not
 * queued: every consumer re-sends or re-reads what matters (see bus.ts).
 */
import type { RedisHub } from '../stores/redis/index.ts';
import { createBusCore, type Bus, type BusMessage } from './bus.ts';

/** Creates the bus of a node (`self` is the node's process name, usually the node name itself). */
export function createRedisBus(hub: RedisHub, self: string = hub.nodeName): Bus {
  const core = createBusCore(self, hub.nodeName);
  const channel = `${hub.ks}:bus`;
  hub.subscribe(channel, (text) => {
    let m: BusMessage;
    try {
      m = JSON.parse(text) as BusMessage;
    } catch {
      core.noteDropped();
      return;
    }
    if (m.n === hub.nodeName) return;
    core.deliver(m);
  });
  return {
    self,
    node: hub.nodeName,
    publish(message) {
      if (!hub.up()) {
        core.noteDropped();
        return;
      }
      core.countSent();
      hub.publish(channel, JSON.stringify(core.stamp(message)));
    },
    on: core.on,
    noteDropped: core.noteDropped,
    stats: core.stats,
    close() {},
  };
}
