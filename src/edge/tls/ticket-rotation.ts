/**
 * Puts the current session ticket key (core/tls/ticket-keys.ts) into the TLS server, and a new one when
 * the period turns. The key source is injected: the default draws random keys in this process; a
 * source that shares keys between processes (workers behind one primary, or machines given one
 * secret) plugs in here unchanged.
 */
import type { TicketKey, TicketKeySource } from '../../core/tls/ticket-keys.ts';

export interface TicketRotation {
  /** Applies the key of the current period if it is not applied yet; true when it changed. */
  tick(): boolean;
  /** The key applied now (epoch and when), for `/stats`; never the key bytes. */
  stats(): { epoch: number | null; rotations: number; period_ms: number };
  /** The current key's bytes (to re-apply after the server's default context was replaced). */
  current(): Buffer | null;
}

export function createTicketRotation(source: TicketKeySource, apply: (key: Buffer) => void, now: () => number): TicketRotation {
  let applied: TicketKey | null = null;
  let rotations = 0;
  return {
    tick() {
      const key = source.keyAt(now());
      if (applied !== null && applied.epoch === key.epoch && applied.key.equals(key.key)) return false;
      if (applied !== null) rotations++;
      applied = key;
      apply(key.key);
      return true;
    },
    stats: () => ({ epoch: applied?.epoch ?? null, rotations, period_ms: source.periodMs }),
    current: () => applied?.key ?? null,
  };
}
