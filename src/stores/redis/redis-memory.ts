/**
 * What Bulwark's shared state costs the Redis/Valkey server, for `/stats` and the CLI: the server's own
 * figures (`INFO memory`: used, the `maxmemory` limit and its eviction policy) and the fill of each of
 * Bulwark's structures with its cap, plus `MEMORY USAGE` of the largest ones.
 *
 * Every structure is bounded: bans by the mirror cap (and each ban's hash expires a day after the ban
 * ends), the ban audit by `maxAuditRows`, incidents by `maxIncidents` and their timelines by
 * `maxTimelineSeconds`, settings by `maxKeys`, baselines by `maxSites`, the admin audit log by its row
 * cap; leases, exact-limit counters and
 * id counters expire on their own. A `maxmemory-policy` that evicts keys (`allkeys-*`, `volatile-*`) could
 * silently drop a ban or an incident: `evictionRisk` says so.
 */
import type { RedisHub } from './redis-hub.ts';

/** The report. Counts are null when the server could not be asked. */
export interface RedisMemoryReport {
  readonly used_bytes: number | null;
  readonly maxmemory_bytes: number | null;
  readonly maxmemory_policy: string | null;
  /** True when the policy may evict Bulwark's keys (use `noeviction`, or give Bulwark its own server). */
  readonly eviction_risk: boolean;
  readonly bans: number | null;
  readonly ban_audit_rows: number | null;
  readonly incidents: number | null;
  readonly timeline_rows: number | null;
  readonly settings: number | null;
  readonly baselines: number | null;
  readonly audit_rows: number | null;
  /** `MEMORY USAGE` of the ban index, the ban audit and the settings index, bytes. */
  readonly index_bytes: number | null;
  readonly error?: string;
}

function infoField(info: string, name: string): string | null {
  const m = new RegExp(`^${name}:(.*)$`, 'm').exec(info);
  return m === null ? null : m[1]!.trim();
}

/**
 * `INFO memory` of the server holding the namespace, asked through a script keyed on it: a plain `INFO`
 * on a Cluster client goes to any master, which would report another shard's memory and eviction policy.
 */
const INFO_MEMORY = "return redis.call('INFO', 'memory')";

/** Asks the server (a handful of commands; call it from `/stats`, not per request). */
export async function redisMemory(hub: RedisHub): Promise<RedisMemoryReport> {
  const P = `${hub.ks}:`;
  try {
    const cmd = hub.cmd;
    const [info, bans, audit, incs, rows, kv, baselines, adminAudit] = await Promise.all([
      hub.script(INFO_MEMORY, 1)([`${P}bans`], []) as Promise<string>,
      cmd.zcard(`${P}bans`),
      cmd.zcard(`${P}bans:audit`),
      cmd.zcard(`${P}incs`),
      cmd.get(`${P}incs:rows`),
      cmd.zcard(`${P}kv`),
      cmd.hlen(`${P}baselines:at`),
      cmd.zcard(`${P}audit`),
    ]);
    let indexBytes = 0;
    for (const key of [`${P}bans`, `${P}bans:audit`, `${P}kv`]) {
      const n = (await cmd.call('MEMORY', 'USAGE', key, 'SAMPLES', '5')) as number | null;
      indexBytes += n ?? 0;
    }
    const policy = infoField(info, 'maxmemory_policy');
    return {
      used_bytes: Number(infoField(info, 'used_memory')),
      maxmemory_bytes: Number(infoField(info, 'maxmemory')),
      maxmemory_policy: policy,
      eviction_risk: policy !== null && policy !== 'noeviction',
      bans,
      ban_audit_rows: audit,
      incidents: incs,
      timeline_rows: Number(rows ?? 0),
      settings: kv,
      baselines,
      audit_rows: adminAudit,
      index_bytes: indexBytes,
    };
  } catch (err) {
    return {
      used_bytes: null, maxmemory_bytes: null, maxmemory_policy: null, eviction_risk: false, bans: null, ban_audit_rows: null,
      incidents: null, timeline_rows: null, settings: null, baselines: null, audit_rows: null, index_bytes: null, error: err instanceof Error ? err.message : String(err),
    };
  }
}
