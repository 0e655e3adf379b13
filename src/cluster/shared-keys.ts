/**
 * Challenge signing keys shared by every node (stores/redis/redis-challenge-keys.ts): at start the node
 * signs with the deployment's keys (the first node's key file seeds them), and a rotation announced on the
 * server (`bulwark keys rotate -c FILE` with `shared_state`) is applied at once; the keys are also re-read
 * every minute (a missed message, a previous key whose grace ended). While the server is unreachable the
 * node keeps the keys it has; at start without it, it signs with its own key file's keys until it can read
 * the deployment's.
 */
import { readFileSync } from 'node:fs';
import { challengeKeyFile } from '../edge/challenge-key-store.ts';
import type { Services } from '../services.ts';
import type { RedisHub } from '../stores/redis/index.ts';
import { keysChannel, loadSharedChallengeKeys, ringOf, rotateSharedChallengeKey, type SharedKeyFile } from '../stores/redis/redis-challenge-keys.ts';
import { createRedisHub } from '../stores/redis/index.ts';
import type { SharedStateConfig } from '../config/scale-schema.ts';
import { BulwarkError } from '../errors.ts';

/** This node's key file, in the shared format (it is the same format). */
export function localKeyFile(stateDir: string): SharedKeyFile {
  return JSON.parse(readFileSync(challengeKeyFile(stateDir), 'utf8')) as SharedKeyFile;
}

/** The running key sharing. */
export interface SharedKeys {
  /** When the keys in use were created (the current key), or null before the first read. */
  stats(): { shared: boolean; current_created_at: string | null; previous_until: string | null; reloads: number };
  stop(): void;
}

/**
 * Reads the deployment's keys into `services` and follows rotations; `onChange` rebuilds what signs
 * (the runtime's challenge gates). Never throws: on failure this node keeps its own keys.
 */
export async function attachSharedKeys(hub: RedisHub, services: Services, stateDir: string, onChange: () => void): Promise<SharedKeys> {
  let file: SharedKeyFile | null = null;
  let reloads = 0;
  let last = '';
  async function read(): Promise<boolean> {
    try {
      const next = await loadSharedChallengeKeys(hub, () => localKeyFile(stateDir));
      const stamp = JSON.stringify([next.current.createdAtMs, next.previous?.acceptUntilMs ?? 0, next.previous?.acceptUntilMs !== undefined && next.previous.acceptUntilMs <= Date.now()]);
      if (stamp === last) return false;
      last = stamp;
      services.challenge.keys = ringOf(next, Date.now());
      file = next;
      reloads++;
      return true;
    } catch (err) {
      hub.noteError(err);
      return false;
    }
  }
  await read();
  const refresh = (): void => {
    void read().then((changed) => {
      if (changed) onChange();
    });
  };
  hub.subscribe(keysChannel(hub), refresh);
  const timer = setInterval(refresh, 60_000);
  timer.unref();
  return {
    stats: () => ({
      shared: file !== null,
      current_created_at: file === null ? null : new Date(file.current.createdAtMs).toISOString(),
      previous_until: file?.previous === undefined ? null : new Date(file.previous.acceptUntilMs).toISOString(),
      reloads,
    }),
    stop: () => clearInterval(timer),
  };
}

/** `bulwark keys rotate` with shared state: rotates on the server; returns the end of the previous key's grace. */
export async function rotateSharedKeys(config: SharedStateConfig, stateDir: string, graceMs: number): Promise<number> {
  const hub = createRedisHub(config);
  try {
    if (!(await hub.connect())) throw new BulwarkError('BULWARK_ERR_SHARED_STATE_DOWN', `shared state ${new URL(config.url).host} is unreachable: ${hub.stats().last_error ?? 'no answer'}`, { source: 'operator' });
    const now = Date.now();
    const next = await rotateSharedChallengeKey(hub, graceMs, now, () => localKeyFile(stateDir));
    await new Promise((r) => setTimeout(r, 50)); // let the announcement leave before the connection closes
    return next.previous!.acceptUntilMs;
  } finally {
    await hub.close();
  }
}
