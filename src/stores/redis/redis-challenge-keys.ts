/**
 * The challenge signing keys of a deployment in Redis/Valkey (`bulwark:{ns}:challenge-keys`), so a
 * clearance earned on one node is accepted on every node, and a rotation reaches every node at once
 * (`bulwark:{ns}:keys` is published on every change). The value has the key file's format
 * (edge/challenge-key-store.ts): `{ version: 1, current: { secret, createdAtMs }, previous?: { secret,
 * createdAtMs, acceptUntilMs } }`, secrets in base64url.
 *
 * The first node to start writes its own key file's keys (SET NX), so a deployment that grows from one
 * machine keeps its visitors' clearances; every later node adopts what is stored. The value never expires
 * and is never logged.
 */
import { randomBytes } from 'node:crypto';
import { createKeyRing, MIN_SECRET_BYTES, type KeyRing } from '../../core/challenge/key-ring.ts';
import { StateError } from '../state-error.ts';
import type { RedisHub } from './redis-hub.ts';

/** The stored keys (the key file's format). */
export interface SharedKeyFile {
  readonly version: 1;
  readonly current: { readonly secret: string; readonly createdAtMs: number };
  readonly previous?: { readonly secret: string; readonly createdAtMs: number; readonly acceptUntilMs: number };
}

const keyOf = (hub: RedisHub) => `${hub.ks}:challenge-keys`;
/** The channel a rotation is announced on. */
export const keysChannel = (hub: RedisHub) => `${hub.ks}:keys`;

function secretOf(text: unknown): Buffer {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]+$/.test(text)) throw new StateError('BULWARK_ERR_STATE_CORRUPT', 'shared challenge keys: a secret is not base64url');
  const b = Buffer.from(text, 'base64url');
  if (b.length < MIN_SECRET_BYTES) throw new StateError('BULWARK_ERR_STATE_CORRUPT', `shared challenge keys: a secret is shorter than ${MIN_SECRET_BYTES} bytes`);
  return b;
}

/** The key ring of stored keys at `nowMs` (a previous key past its grace is left out). */
export function ringOf(file: SharedKeyFile, nowMs: number): KeyRing {
  const prev = file.previous !== undefined && file.previous.acceptUntilMs > nowMs ? file.previous : undefined;
  return createKeyRing({ current: secretOf(file.current.secret), ...(prev ? { previous: { secret: secretOf(prev.secret), acceptUntilMs: prev.acceptUntilMs } } : {}) });
}

function parse(text: string | null): SharedKeyFile | null {
  if (text === null) return null;
  const v = JSON.parse(text) as SharedKeyFile;
  if (v?.version !== 1 || typeof v.current?.createdAtMs !== 'number') throw new StateError('BULWARK_ERR_STATE_CORRUPT', 'shared challenge keys are not in the key file format');
  return v;
}

/**
 * The deployment's keys; when none are stored yet, `seed()` (this node's key file) is stored first — by
 * whichever node asks first. Throws when the server does not answer (the caller keeps its own keys).
 */
export async function loadSharedChallengeKeys(hub: RedisHub, seed: () => SharedKeyFile): Promise<SharedKeyFile> {
  const stored = parse(await hub.cmd.get(keyOf(hub)));
  if (stored !== null) return stored;
  await hub.cmd.set(keyOf(hub), JSON.stringify(seed()), 'NX');
  return parse(await hub.cmd.get(keyOf(hub)))!;
}

/**
 * Rotates: a new current key, the old current kept as previous until `nowMs + graceMs`; stored, then
 * announced so every node switches at once. Returns the new keys.
 */
export async function rotateSharedChallengeKey(hub: RedisHub, graceMs: number, nowMs: number, seed: () => SharedKeyFile): Promise<SharedKeyFile> {
  const old = await loadSharedChallengeKeys(hub, seed);
  const next: SharedKeyFile = { version: 1, current: { secret: randomBytes(32).toString('base64url'), createdAtMs: nowMs }, previous: { ...old.current, acceptUntilMs: nowMs + graceMs } };
  ringOf(next, nowMs); // refuses an id collision with the previous key (chance 2^-32): the caller retries
  await hub.cmd.set(keyOf(hub), JSON.stringify(next));
  hub.publish(keysChannel(hub), String(nowMs));
  return next;
}
