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
  /**
   * Decides on a new socket; when accepted, tracks it until it closes. Destroys it otherwise.
   * `screened`: the address `screen` already admitted this socket on (at the listening handle, a moment
   * ago and with nothing in between): the socket is tracked under it without deciding twice.
   */
  admit(socket: Socket, screened?: string): AcceptVerdict;
  /**
   * Decides on a connection from `address` before it has a Socket (edge/accept-handle.ts): false when
   * it must be dropped — a dropped source, or a connection cap already reached — and the drop is counted
   * here. True admits nothing yet: `admit` tracks the socket once node:net made it.
   */
  screen(address: string): boolean;
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

  /** The verdict for a new connection from `address`, its drop counted. */
  function decide(address: string): AcceptVerdict {
    if (isDropped !== undefined && isDropped(address)) {
      s.droppedBanned++;
      return 'dropped_banned';
    }
    if (s.open >= options.maxConnections()) {
      s.droppedTotal++;
      return 'dropped_total';
    }
    if ((perClient.get(address) ?? 0) >= options.maxPerClient()) {
      s.droppedPerClient++;
      return 'dropped_per_client';
    }
    return 'accepted';
  }

  return {
    admit(socket, screened) {
      const address = screened ?? normalizeAddress(socket.remoteAddress ?? '') ?? '';
      if (screened === undefined) {
        const verdict = decide(address);
        if (verdict !== 'accepted') {
          socket.destroy();
          return verdict;
        }
      }
      perClient.set(address, (perClient.get(address) ?? 0) + 1);
      s.open++;
      s.accepted++;
      (socket as Socket & { [kClient]?: string })[kClient] = address;
      socket.once('close', onClose);
      return 'accepted';
    },
    screen(address) {
      return decide(address) === 'accepted';
    },
    stats() {
      return { ...s, distinctClients: perClient.size };
    },
    setDropCheck(check) {
      isDropped = check;
    },
  };
}
