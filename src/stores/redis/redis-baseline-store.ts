/**
 * Per-site detector baselines in Redis/Valkey (the {@link BaselineStore} contract), so the node that
 * takes over a site's leadership starts from what the previous leader learned.
 *
 * Layout: two hashes, `…:baselines:at` (site → updatedAtMs) and `…:baselines:json` (site → JSON). A save
 * is one Lua script, so "never back in time" holds between nodes: a slower writer cannot overwrite a
 * newer baseline. Caps: `maxSites` (default 10,000) and `maxJsonChars` per blob (default 4 MiB). The
 * hashes expire 30 days after the last save (a deployment gone for a month re-learns anyway).
 */
import { checkMs, invalidState, StateError } from '../state-error.ts';
import type { BaselineRecord, BaselineStore } from '../types.ts';
import type { RedisHub } from './redis-hub.ts';

/** Options of {@link createRedisBaselineStore}. */
export interface RedisBaselineStoreOptions {
  readonly maxSites?: number;
  readonly maxJsonChars?: number;
}

const KEEP_MS = 30 * 86_400_000;

/** KEYS: at-hash, json-hash. ARGV: site, updatedAtMs, json, maxSites, ttlMs. Returns 1 stored, 0 older, -1 full. */
const SAVE = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  if tonumber(cur) > tonumber(ARGV[2]) then return 0 end
elseif redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then
  return -1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return 1
`;

/** Creates the baseline store on a hub. */
export function createRedisBaselineStore(hub: RedisHub, options: RedisBaselineStoreOptions = {}): BaselineStore {
  const maxSites = options.maxSites ?? 10_000;
  const maxChars = options.maxJsonChars ?? 4 << 20;
  const at = `${hub.ks}:baselines:at`;
  const json = `${hub.ks}:baselines:json`;
  const save = hub.script(SAVE, 2);
  const cmd = hub.cmd;

  function record(site: string, u: string | null | undefined, j: string | null | undefined): BaselineRecord | undefined {
    if (u === null || u === undefined || j === null || j === undefined) return undefined;
    try {
      return { site, updatedAtMs: Number(u), json: JSON.parse(j) as unknown };
    } catch {
      return undefined;
    }
  }

  return {
    async save(r) {
      if (typeof r.site !== 'string' || r.site.length === 0) invalidState('baseline site must be a non-empty string');
      const text = JSON.stringify(r.json);
      if (text === undefined) invalidState(`baseline of ${r.site} is not a JSON value`);
      if (text.length > maxChars) throw new StateError('BULWARK_ERR_STATE_TOO_LARGE', `baseline of ${r.site} is ${text.length} characters, above ${maxChars}`);
      const n = Number(await save([at, json], [r.site, checkMs(r.updatedAtMs, 'updatedAtMs'), text, maxSites, KEEP_MS]));
      if (n < 0) throw new StateError('BULWARK_ERR_STATE_FULL', `baseline store holds ${maxSites} sites already; not saving ${r.site}`);
      return n === 1;
    },
    async load(site) {
      const [u, j] = await Promise.all([cmd.hget(at, site), cmd.hget(json, site)]);
      return record(site, u, j);
    },
    async loadAll() {
      const [us, js] = await Promise.all([cmd.hgetall(at), cmd.hgetall(json)]);
      return Object.keys(us)
        .sort()
        .map((site) => record(site, us[site], js[site]))
        .filter((r): r is BaselineRecord => r !== undefined);
    },
    async delete(site) {
      const [[, n]] = ((await cmd.multi().hdel(at, site).hdel(json, site).exec()) ?? [[null, 0]]) as [[unknown, number]];
      return n > 0;
    },
  };
}
