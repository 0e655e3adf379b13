/**
 * The deployment's shared secret, from which every process derives the same hash seeds: rate-limit keys
 * must hash alike everywhere for their counts to add up, and HyperLogLog registers for distinct sources
 * to merge. It stays secret (never logged, never sent outside the deployment) so nobody can aim requests
 * at one table bucket or one sketch cell.
 *
 * Where it lives: in Redis/Valkey (`bulwark:{ns}:secret`, 32 random bytes, created by the first node);
 * without shared state the primary draws one and gives it to its workers in their environment. A node
 * that starts while the server is unreachable draws its own and shares nothing seed-bound (limits, traffic
 * shares) until it is restarted with the server there: its messages carry a tag of the secret and the
 * others ignore mismatched ones.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RedisHub } from '../stores/redis/index.ts';

/** What the secret gives. */
export interface SharedSeeds {
  /** The secret itself (hex), for workers' environment. */
  readonly secret: string;
  /** Seed of the limiter table, an integer below 2^47. */
  readonly limiterSeed: number;
  /** Seed of the detection hashes (addresses into HyperLogLogs and heavy hitters), 31 bits. */
  readonly hashSeed: number;
  /** A short public tag of the secret, carried by seed-bound messages. */
  readonly tag: string;
}

/** Seeds derived from a secret (hex). */
export function seedsOf(secret: string): SharedSeeds {
  const d = createHash('sha256').update(`bulwark seeds\0${secret}`).digest();
  return {
    secret,
    limiterSeed: d.readUIntBE(0, 6) % 2 ** 47,
    hashSeed: d.readUInt32BE(6) & 0x7fffffff,
    tag: createHash('sha256').update(`bulwark tag\0${secret}`).digest('hex').slice(0, 8),
  };
}

/** A fresh secret (hex). */
export function newSecret(): string {
  return randomBytes(32).toString('hex');
}

/** The deployment's secret from Redis (created there when missing); a local one when the server does not answer. */
export async function sharedSecret(hub: RedisHub): Promise<{ seeds: SharedSeeds; shared: boolean }> {
  const key = `${hub.ks}:secret`;
  try {
    await hub.cmd.set(key, newSecret(), 'NX');
    const secret = await hub.cmd.get(key);
    if (secret !== null) return { seeds: seedsOf(secret), shared: true };
  } catch (err) {
    hub.noteError(err);
  }
  return { seeds: seedsOf(newSecret()), shared: false };
}
