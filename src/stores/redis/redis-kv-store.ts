/**
 * Small settings in Redis/Valkey (the {@link KvStore} contract, e.g. threat-level overrides
 * `mode/<site>` and saved detector state `detector/<site>`), shared by every node.
 *
 * Layout: one string per key (`…:kv:<key>`, JSON `{v, u, e}`: value, updatedAtMs, expiresAtMs), expiring on
 * the server one minute after `expiresAtMs` (the TTL is computed from the caller's `nowMs`, so it is
 * right whatever the server's clock says), and a lexicographic index (`…:kv`, all scores 0) for `list`
 * by prefix in key order and for the key cap. Readers check `expiresAtMs` against their own `nowMs`.
 * Caps: `maxKeys` (default 10,000) and `maxValueChars` per value (default 64 KiB), as in SQLite.
 */
import { checkMs, invalidState, StateError } from '../state-error.ts';
import type { KvEntry, KvStore } from '../types.ts';
import type { RedisHub } from './redis-hub.ts';

/** Options of {@link createRedisKvStore}. */
export interface RedisKvStoreOptions {
  readonly maxKeys?: number;
  readonly maxValueChars?: number;
}

interface Stored {
  v: unknown;
  u: number;
  e: number | null;
}

const GRACE_MS = 60_000;
const PAGE = 500;

function checkKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) invalidState(`setting key must be 1..200 characters, got ${JSON.stringify(key)}`);
  return key;
}

function parse(text: string | null): Stored | undefined {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as Stored;
  } catch {
    return undefined;
  }
}

const live = (s: Stored | undefined, nowMs: number): s is Stored => s !== undefined && (s.e === null || s.e > nowMs);

/** Creates the settings store on a hub. */
export function createRedisKvStore(hub: RedisHub, options: RedisKvStoreOptions = {}): KvStore {
  const maxKeys = options.maxKeys ?? 10_000;
  const maxChars = options.maxValueChars ?? 64 * 1024;
  const cmd = hub.cmd;
  const index = `${hub.ks}:kv`;
  const keyOf = (key: string) => `${hub.ks}:kv:${key}`;

  async function purge(nowMs: number): Promise<number> {
    let removed = 0;
    for (let offset = 0; ; offset += PAGE) {
      const keys = await cmd.zrange(index, String(offset), String(offset + PAGE - 1));
      if (keys.length === 0) return removed;
      const values = await cmd.mget(...keys.map(keyOf));
      const dead = keys.filter((_, i) => !live(parse(values[i] ?? null), nowMs));
      if (dead.length > 0) {
        await cmd.del(...dead.map(keyOf));
        await cmd.zrem(index, ...dead);
        removed += dead.length;
        offset -= dead.length;
      }
      if (keys.length < PAGE) return removed;
    }
  }

  return {
    async get<T = unknown>(key: string, nowMs: number) {
      const s = parse(await cmd.get(keyOf(key)));
      return live(s, nowMs) ? (s.v as T) : undefined;
    },
    async set(key, value, opts) {
      const text = JSON.stringify(value);
      if (text === undefined) invalidState(`setting ${key} is not a JSON value`);
      if (text.length > maxChars) throw new StateError('BULWARK_ERR_STATE_TOO_LARGE', `setting ${key} is ${text.length} characters, above ${maxChars}`);
      const nowMs = checkMs(opts.nowMs, 'nowMs');
      const expires = opts.expiresAtMs === undefined || opts.expiresAtMs === null ? null : checkMs(opts.expiresAtMs, 'expiresAtMs');
      checkKey(key);
      if ((await cmd.zscore(index, key)) === null && (await cmd.zcard(index)) >= maxKeys) {
        await purge(nowMs);
        if ((await cmd.zcard(index)) >= maxKeys) throw new StateError('BULWARK_ERR_STATE_FULL', `settings store holds ${maxKeys} keys already; not setting ${key}`);
      }
      const body = `{"v":${text},"u":${nowMs},"e":${expires === null ? 'null' : expires}}`;
      const m = cmd.multi();
      if (expires === null) m.set(keyOf(key), body);
      else m.set(keyOf(key), body, 'PX', Math.max(1, expires - nowMs) + GRACE_MS);
      m.zadd(index, 0, key);
      await m.exec();
    },
    async delete(key) {
      const [[, n]] = ((await cmd.multi().del(keyOf(key)).zrem(index, key).exec()) ?? [[null, 0]]) as [[unknown, number]];
      return n > 0;
    },
    async list(prefix, nowMs) {
      const out: KvEntry[] = [];
      for (let offset = 0; ; offset += PAGE) {
        const page = await cmd.zrangebylex(index, prefix === '' ? '-' : `[${prefix}`, '+', 'LIMIT', offset, PAGE);
        const chunk = page.filter((k) => k.startsWith(prefix));
        if (chunk.length > 0) {
          const values = await cmd.mget(...chunk.map(keyOf));
          chunk.forEach((key, j) => {
            const s = parse(values[j] ?? null);
            if (live(s, nowMs)) out.push({ key, value: s.v, updatedAtMs: s.u, expiresAtMs: s.e });
          });
        }
        // Keys sort by their bytes: past the first key without the prefix, no later key has it.
        if (page.length < PAGE || chunk.length < page.length) return out;
      }
    },
    purgeExpired: (nowMs) => purge(checkMs(nowMs, 'nowMs')),
  };
}
