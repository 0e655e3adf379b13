/**
 * What `bulwark cluster` shows of a running deployment, read from outside it: with `shared_state`, the
 * shared server itself — which node leads each site (the leases), every process's last heartbeat heard on
 * the bus for a moment (role, requests per second, CPU, memory, what it leads, bans mirrored, its level
 * per site), the bus lag (age of those heartbeats) and the server's round trip and memory. Without shared
 * state there is nothing to listen to from outside: the admin listener's `/stats` (`cluster` section)
 * shows the same for one machine.
 */
import type { SharedStateConfig } from '../config/scale-schema.ts';
import { createRedisHub, type RedisMemoryReport } from '../stores/redis/index.ts';
import { redisMemory } from '../stores/redis/redis-memory.ts';
import { BulwarkError } from '../errors.ts';
import type { ProcessHealth } from './health.ts';

/** The status. */
export interface ClusterStatus {
  readonly namespace: string;
  readonly leaders: Record<string, string | null>;
  readonly processes: Array<ProcessHealth & { lag_ms: number }>;
  readonly redis: { latency_ms: number; memory: RedisMemoryReport };
}

/** Listens for `listenMs` (default 1500: every process beats once a second) and reads the leases. */
export async function clusterStatus(config: SharedStateConfig, sites: readonly string[], listenMs = 1500): Promise<ClusterStatus> {
  const hub = createRedisHub(config, {});
  try {
    if (!(await hub.connect())) throw new BulwarkError('BULWARK_ERR_SHARED_STATE_DOWN', `shared state ${new URL(config.url).host} is unreachable: ${hub.stats().last_error ?? 'no answer'}`, { source: 'operator' });
    const heard = new Map<string, ProcessHealth & { lag_ms: number }>();
    hub.subscribe(`${hub.ks}:bus`, (text) => {
      try {
        const m = JSON.parse(text) as { t?: string; h?: ProcessHealth; at?: number };
        if (m.t === 'health' && m.h !== undefined && heard.size < 1024) heard.set(m.h.name, { ...m.h, lag_ms: Math.max(0, Date.now() - (m.at ?? Date.now())) });
      } catch {
        // not ours
      }
    });
    const t0 = performance.now();
    await hub.cmd.ping();
    const latency = performance.now() - t0;
    const leaders: Record<string, string | null> = {};
    for (const site of sites) leaders[site] = await hub.cmd.get(`${hub.ks}:lease:${site}`);
    await new Promise((r) => setTimeout(r, listenMs));
    return {
      namespace: config.namespace,
      leaders,
      processes: [...heard.values()].sort((a, b) => a.name.localeCompare(b.name)),
      redis: { latency_ms: Math.round(latency * 100) / 100, memory: await redisMemory(hub) },
    };
  } finally {
    await hub.close();
  }
}

/** The status as text, one line per process. */
export function formatClusterStatus(s: ClusterStatus): string {
  const lines = [`namespace ${s.namespace}; Redis round trip ${s.redis.latency_ms} ms, memory ${s.redis.memory.used_bytes ?? '?'} bytes (${s.redis.memory.maxmemory_policy ?? '?'})`];
  for (const [site, leader] of Object.entries(s.leaders)) lines.push(`site ${site}: led by ${leader ?? 'nobody (no lease held)'}`);
  if (s.processes.length === 0) lines.push('no heartbeat heard: no node is running, or none can reach the server');
  for (const p of s.processes) {
    const extra = p.extra as { bans?: number; levels?: Record<string, string>; workers?: number } | undefined;
    lines.push(
      `${p.name.padEnd(28)} ${p.role.padEnd(7)} pid ${String(p.pid).padEnd(7)} ${String(p.rps).padStart(6)} req/s  cpu ${String(p.cpu_pct).padStart(5)}%  rss ${(p.rss_bytes / 1048576).toFixed(0).padStart(4)} MiB  lag ${p.lag_ms} ms` +
        (p.leads.length > 0 ? `  leads ${p.leads.join(',')}` : '') +
        (extra?.bans !== undefined ? `  bans ${extra.bans}` : '') +
        (extra?.levels !== undefined ? `  levels ${Object.entries(extra.levels).map(([k, v]) => `${k}=${v}`).join(',')}` : ''),
    );
  }
  return `${lines.join('\n')}\n`;
}
