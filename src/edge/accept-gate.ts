/**
 * `accept` — the first and cheapest phase, per connection, before any HTTP parsing:
 * - sources that must be dropped (bans, deny lists: the decide layer plugs `isDropped` in) are destroyed;
 * - connections beyond `max_connections` in total or `max_connections_per_client` per address are
 *   closed at once (slowloris from one address cannot starve everyone else).
 *
 * The per-address table only holds addresses with open connections, so it is bounded by
 * `max_connections`.
 */
import type { Socket } from 'node:net';
import { normalizeAddress } from '../core/identify/client-address.ts';

export type AcceptVerdict = 'accepted' | 'dropped_total' | 'dropped_per_client' | 'dropped_banned';

export interface AcceptStats {
  open: number;
  accepted: number;
  droppedTotal: number;
  droppedPerClient: number;
  droppedBanned: number;
  distinctClients: number;
}

export interface AcceptGateOptions {
  maxConnections: () => number;
  maxPerClient: () => number;
  /** True when a source must be dropped before parsing (bans, deny lists). */
  isDropped?: (address: string) => boolean;
}

export interface AcceptGate {
  /** Decides on a new socket; when accepted, tracks it until it closes. Destroys it otherwise. */
  admit(socket: Socket): AcceptVerdict;
  stats(): AcceptStats;
  setDropCheck(check: ((address: string) => boolean) | undefined): void;
}

const kClient = Symbol('bulwark.client');

export function createAcceptGate(options: AcceptGateOptions): AcceptGate {
  const perClient = new Map<string, number>();
  let isDropped = options.isDropped;
  const s = { open: 0, accepted: 0, droppedTotal: 0, droppedPerClient: 0, droppedBanned: 0 };

  function onClose(this: Socket): void {
    s.open--;
    const address = (this as Socket & { [kClient]?: string })[kClient]!;
    const n = perClient.get(address)! - 1;
    if (n <= 0) perClient.delete(address);
    else perClient.set(address, n);
  }

  return {
    admit(socket) {
      const address = normalizeAddress(socket.remoteAddress ?? '') ?? '';
      if (isDropped !== undefined && isDropped(address)) {
        s.droppedBanned++;
        socket.destroy();
        return 'dropped_banned';
      }
      if (s.open >= options.maxConnections()) {
        s.droppedTotal++;
        socket.destroy();
        return 'dropped_total';
      }
      const n = perClient.get(address) ?? 0;
      if (n >= options.maxPerClient()) {
        s.droppedPerClient++;
        socket.destroy();
        return 'dropped_per_client';
      }
      perClient.set(address, n + 1);
      s.open++;
      s.accepted++;
      (socket as Socket & { [kClient]?: string })[kClient] = address;
      socket.once('close', onClose);
      return 'accepted';
    },
    stats() {
      return { ...s, distinctClients: perClient.size };
    },
    setDropCheck(check) {
      isDropped = check;
    },
  };
}
