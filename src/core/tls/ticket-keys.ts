/**
 * Session ticket keys on a schedule (RFC 8446 §4.6.1 tickets, RFC 5077 for TLS 1.2). A returning
 * visitor presents the ticket it got last time and skips the certificate and its signature — the
 * expensive half of a handshake. The key that seals tickets is replaced every `periodMs`: a stolen key
 * opens at most one period's tickets, and (TLS 1.3 resumption with an (EC)DHE exchange, which clients
 * use) never the traffic itself.
 *
 * Keys are numbered by period (`epoch = floor(now / periodMs)`), so processes that share a key source
 * agree on which key is current without talking: {@link createRandomTicketKeys} draws a fresh random key
 * per period (one process), {@link createDerivedTicketKeys} derives each period's key from a shared
 * secret (several workers or machines, given the same secret, seal and open each other's tickets).
 * Node's TLS holds one ticket key at a time, so a ticket outlives its key only until the next period:
 * then one full handshake and a new ticket.
 *
 * Pure: time is `nowMs`, randomness and secrets are arguments.
 */
import { hkdfSync } from 'node:crypto';

/** Bytes of a ticket key as node:tls takes it: 16 name + 16 HMAC secret + 16 AES key. */
export const TICKET_KEY_BYTES = 48;

/** The key of one period. */
export interface TicketKey {
  /** The period's number (`floor(nowMs / periodMs)`). */
  readonly epoch: number;
  readonly key: Buffer;
}

/** Where the TLS layer gets the current ticket key from; another implementation may share keys between processes. */
export interface TicketKeySource {
  readonly periodMs: number;
  /** The key for the period containing `nowMs`. */
  keyAt(nowMs: number): TicketKey;
}

function epochOf(nowMs: number, periodMs: number): number {
  return Math.floor(nowMs / periodMs);
}

function checkPeriod(periodMs: number): void {
  if (!(Number.isInteger(periodMs) && periodMs > 0)) throw new RangeError(`ticket key period must be a positive integer of ms, got ${periodMs}`);
}

/** A new random key each period (`random(n)` returns n random bytes); keeps only the current one. */
export function createRandomTicketKeys(periodMs: number, random: (bytes: number) => Buffer): TicketKeySource {
  checkPeriod(periodMs);
  let current: TicketKey | null = null;
  return {
    periodMs,
    keyAt(nowMs) {
      const epoch = epochOf(nowMs, periodMs);
      if (current === null || current.epoch !== epoch) {
        const key = random(TICKET_KEY_BYTES);
        if (key.length !== TICKET_KEY_BYTES) throw new RangeError(`random source gave ${key.length} bytes, not ${TICKET_KEY_BYTES}`);
        current = { epoch, key };
      }
      return current;
    },
  };
}

/**
 * Each period's key derived from `secret` (at least 32 bytes) with HKDF-SHA256 (RFC 5869), the epoch
 * as info: every holder of the secret computes the same key for the same period.
 */
export function createDerivedTicketKeys(periodMs: number, secret: Buffer): TicketKeySource {
  checkPeriod(periodMs);
  if (secret.length < 32) throw new RangeError('a ticket key secret needs at least 32 bytes');
  let current: TicketKey | null = null;
  return {
    periodMs,
    keyAt(nowMs) {
      const epoch = epochOf(nowMs, periodMs);
      if (current === null || current.epoch !== epoch) {
        const key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `bulwark tls ticket key ${epoch}`, TICKET_KEY_BYTES));
        current = { epoch, key };
      }
      return current;
    },
  };
}
