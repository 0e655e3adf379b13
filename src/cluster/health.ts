/**
 * Health of every process of a deployment, for `/stats` and `bulwark cluster`: each process publishes a
 * heartbeat once a second (its role, pid, requests per second, CPU, memory, what it leads) and keeps the
 * heartbeats it hears, so any node can show every worker of every node. An entry not refreshed for 5 s is
 * shown as `missing` for a minute, then forgotten; at most 512 entries are kept (the oldest go first).
 */
import type { Bus } from './bus.ts';

/** One process as its heartbeat described it. */
export interface ProcessHealth {
  readonly name: string;
  readonly node: string;
  readonly role: 'single' | 'primary' | 'worker';
  readonly pid: number;
  readonly rps: number;
  /** CPU used over the last second, percent of one core. */
  readonly cpu_pct: number;
  readonly rss_bytes: number;
  readonly uptime_s: number;
  /** Sites this process leads (detection hosts only). */
  readonly leads: readonly string[];
  /** Anything else the process reports (worker restarts, connections…). */
  readonly extra?: Record<string, unknown>;
}

/** The registry plus this process's heartbeat. */
export interface HealthBoard {
  /** Counts one request (a recorder sink). */
  count(): void;
  /** Every process known, this one included, with the age of its last heartbeat. */
  list(): Array<ProcessHealth & { age_ms: number; missing: boolean }>;
  stop(): void;
}

const MAX_ENTRIES = 512;
const MISSING_MS = 5000;
const FORGET_MS = 60_000;

/** Options of {@link startHealthBoard}. */
export interface HealthBoardOptions {
  readonly bus: Bus | null;
  readonly role: ProcessHealth['role'];
  readonly leads?: () => readonly string[];
  readonly extra?: () => Record<string, unknown>;
  readonly now?: () => number;
}

/** Starts publishing this process's heartbeat and collecting the others'. */
export function startHealthBoard(options: HealthBoardOptions): HealthBoard {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { h: ProcessHealth; atMs: number }>();
  let requests = 0;
  let lastCpu = process.cpuUsage();
  let lastAt = performance.now();
  let mine: ProcessHealth = beat();

  function beat(): ProcessHealth {
    const t = performance.now();
    const cpu = process.cpuUsage(lastCpu);
    const elapsed = Math.max(1, t - lastAt);
    const h: ProcessHealth = {
      name: options.bus?.self ?? 'local',
      node: options.bus?.node ?? 'local',
      role: options.role,
      pid: process.pid,
      rps: Math.round((requests * 1000) / elapsed),
      cpu_pct: Math.round(((cpu.user + cpu.system) / 1000 / elapsed) * 1000) / 10,
      rss_bytes: process.memoryUsage.rss(),
      uptime_s: Math.round(process.uptime()),
      leads: options.leads?.() ?? [],
      ...(options.extra ? { extra: options.extra() } : {}),
    };
    requests = 0;
    lastCpu = process.cpuUsage();
    lastAt = t;
    return h;
  }

  const off = options.bus?.on('health', (m) => {
    const h = m.h as ProcessHealth | undefined;
    if (h === undefined || typeof h.name !== 'string') return;
    entries.delete(h.name);
    entries.set(h.name, { h, atMs: now() });
    if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  });
  const timer = setInterval(() => {
    mine = beat();
    options.bus?.publish({ t: 'health', h: mine });
    const t = now();
    for (const [name, e] of entries) if (t - e.atMs > FORGET_MS) entries.delete(name);
  }, 1000);
  timer.unref();

  return {
    count: () => void requests++,
    list() {
      const t = now();
      const out = [{ ...mine, age_ms: 0, missing: false }];
      for (const e of entries.values()) out.push({ ...e.h, age_ms: t - e.atMs, missing: t - e.atMs > MISSING_MS });
      return out.sort((a, b) => (a.node === b.node ? a.name.localeCompare(b.name) : a.node.localeCompare(b.node)));
    },
    stop() {
      clearInterval(timer);
      off?.();
    },
  };
}
