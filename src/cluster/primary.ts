/**
 * The primary of `workers: N` (N > 1): one process per machine that serves no request itself and keeps
 * the workers in agreement, so N workers behave as one Bulwark:
 * - accepts connections and refuses banned and deny-listed sources before any worker sees them, handing
 *   the rest over in turn (handover.ts) — or, with `worker_accept: shared`, lets the workers accept on
 *   the shared listening socket (node:cluster without round robin);
 * - relays the bus (ipc-bus.ts) between its workers and, with `shared_state`, the other machines: rate
 *   limits, replay answers, ban hints, traffic shares, leader views;
 * - detects: every worker's share of each site's traffic is merged here, the level and rules are
 *   published to every worker, and the incident written once (with shared state: when this machine
 *   leads the site);
 * - owns the admin listener, the kernel-drop table, the housekeeping of bans; a ban by any worker, the
 *   CLI or the admin listener reaches every worker within one poll (50 ms) or at once by the bus;
 * - replaces a worker that dies; SIGHUP reloads every worker; a graceful stop drains every worker.
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.ts';
import type { ConfigProblem } from '../config/load.ts';
import { createServices, currentAudit } from '../services.ts';
import { buildLists } from '../runtime/lists.ts';
import type { IpLists } from '../core/net/ip-list.ts';
import { attachDetection, type AttachedDetection } from '../detection/attach.ts';
import { createKernelDrop, type KernelDrop } from '../edge/kernel/kernel-drop.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createRecorder } from '../telemetry/recorder.ts';
import { createReloadLog, type ReloadLog } from '../admin/reload-log.ts';
import { createAuditor } from '../admin/audit.ts';
import { createPrimaryBus } from './ipc-bus.ts';
import { createRedisBus } from './redis-bus.ts';
import { createDetectionLink, type DetectionLink } from './detection-link.ts';
import { createRedisLeases, createStaticLeases, type Leases } from './leases.ts';
import { newSecret, seedsOf, sharedSecret, type SharedSeeds } from './secret.ts';
import { attachSharedStores, type SharedStores } from './shared-stores.ts';
import { createWorkerPool, type WorkerPool } from './worker-pool.ts';
import { bindHandover, type HandoverListener, type HandoverStats } from './handover.ts';
import { startHealthBoard, type HealthBoard } from './health.ts';
import { startPrimaryAdmin, type PrimaryAdmin } from './primary-admin.ts';
import { defaultNodeName } from '../stores/redis/index.ts';
import { COORDINATED_TICK_OFFSET_MS } from './scale.ts';

/** Options of {@link createPrimary}. */
export interface PrimaryOptions {
  readonly config: Config;
  readonly file?: string;
  readonly logger?: Logger;
}

/** What the command line runs (the part of main.ts's Bulwark it uses). */
export interface Primary {
  readonly logger: Logger;
  readonly reloads: ReloadLog;
  start(): Promise<void>;
  reloadAsync(config: Config, by?: string): Promise<void>;
  stop(): Promise<void>;
  /** `http://host:port` of the first plain listener (handover mode), for tests. */
  url(): string;
  stats(): unknown;
}

/** Creates the primary (nothing runs until `start()`). */
export function createPrimary(options: PrimaryOptions): Primary {
  let config = options.config;
  const logger = options.logger ?? createLogger(config.log.level);
  const node = config.shared_state?.node_name ?? defaultNodeName();
  const services = createServices({
    stateDir: config.state_dir, onCorrupt: config.state_on_corrupt, maxTrackedClients: 1024, truncateAddresses: config.detection.truncate_addresses,
    logger: { warn: (o: object, m: string) => logger.warn(o, m), error: (o: object, m: string) => logger.error(o, m) },
  });
  const auditor = createAuditor(currentAudit(services), logger);
  const reloads = createReloadLog(auditor);
  const recorder = createRecorder(logger);
  const handover: HandoverStats = { handed: 0, dropped_banned: 0, no_worker: 0 };
  const listeners: HandoverListener[] = [];
  const timers: NodeJS.Timeout[] = [];
  let lists: IpLists = compileLists(config);
  let shared: SharedStores | null = null;
  let pool: WorkerPool | null = null;
  let detection: AttachedDetection | null = null;
  let link: DetectionLink | null = null;
  let leases: Leases | null = null;
  let kernelDrop: KernelDrop | null = null;
  let health: HealthBoard | null = null;
  let admin: PrimaryAdmin | null = null;
  let seeds: SharedSeeds | null = null;
  let stopping = false;
  let generation = 1;
  const sites = () => config.sites.map((s) => s.name);
  const isDropped = (address: string): boolean => {
    const listed = lists.match(address);
    if (listed !== null) return listed.kind === 'deny';
    return services.stores.bans.matchAddress(address, Date.now()) !== undefined;
  };
  // Shared-handle scheduling must be chosen before the first fork.
  cluster.schedulingPolicy = config.worker_accept === 'shared' ? cluster.SCHED_NONE : cluster.SCHED_RR;

  function compileLists(c: Config): IpLists {
    const problems: ConfigProblem[] = [];
    return buildLists(c.lists, c.trusted_proxies, problems);
  }

  const upstream = () => (shared === null ? null : createRedisBus(shared.redis.hub));
  let primaryBus = createPrimaryBus(node, node, null);

  /** Every ban change, however made, tells the workers to re-read the store at once. */
  function watchBans(): void {
    let last = -1;
    const t = setInterval(() => {
      void services.stores.bans.sync().then((n) => {
        if (n > 0 && last !== -1) primaryBus.publish({ t: 'bans' });
        last = n;
      }).catch(() => {});
    }, 50);
    t.unref();
    timers.push(t);
    const purge = setInterval(() => void services.stores.bans.purgeExpired(Date.now()).catch(() => {}), 60_000);
    purge.unref();
    timers.push(purge);
  }

  async function startDetection(): Promise<void> {
    leases = shared === null ? createStaticLeases(node, sites) : createRedisLeases(shared.redis.hub, { leaseMs: config.shared_state!.lease, sites });
    link = createDetectionLink({ bus: primaryBus, leases, tag: seeds!.tag, leaseMs: config.shared_state?.lease ?? 3000 });
    detection = await attachDetection(
      { logger, recorder, runtime: () => ({ config, services }) as never },
      { config: config.detection, coordination: link, tickOffsetMs: COORDINATED_TICK_OFFSET_MS, observeRecords: false, hashSeed: seeds!.hashSeed },
    );
    link.attach(detection.service);
  }

  /** The client-facing listeners: the primary's own, or (shared socket) those the workers listen on. */
  function listenerUrls(): string[] {
    if (listeners.length > 0) return listeners.map((l) => `${l.secure ? 'https' : 'http'}://${l.address}`);
    const ports = pool?.ready()[0]?.ports ?? [];
    const addrs = [...config.listen.http.map((a) => ['http', a] as const), ...config.listen.https.map((a) => ['https', a] as const)];
    return addrs.map(([scheme, a], i) => `${scheme}://${a.slice(0, a.lastIndexOf(':'))}:${ports[i] ?? a.slice(a.lastIndexOf(':') + 1)}`);
  }

  /** This machine's figures, summed over its workers' last heartbeats (at most a second old). */
  function workerFigures(): { sites: unknown[]; connections: { open: number; droppedTotal: number; droppedBanned: number } } {
    type Extra = { sites?: Record<string, { outcomes?: Record<string, number> }>; connections?: { open: number; droppedTotal: number; droppedBanned: number } | null };
    const mine = (health?.list() ?? []).filter((p) => p.role === 'worker' && p.node === node && !p.missing).map((p) => (p.extra ?? {}) as Extra);
    const connections = { open: 0, droppedTotal: 0, droppedBanned: handover.dropped_banned };
    for (const e of mine) {
      connections.open += e.connections?.open ?? 0;
      connections.droppedTotal += e.connections?.droppedTotal ?? 0;
      connections.droppedBanned += e.connections?.droppedBanned ?? 0;
    }
    const sitesOut = sites().map((site) => {
      const outcomes: Record<string, number> = {};
      for (const e of mine) for (const [k, v] of Object.entries(e.sites?.[site]?.outcomes ?? {})) outcomes[k] = (outcomes[k] ?? 0) + v;
      return { site, level: detection?.service.levelOf(site) ?? 'normal', totals: { outcomes } };
    });
    return { sites: sitesOut, connections };
  }

  function stats(): unknown {
    const figures = workerFigures();
    return {
      time: new Date().toISOString(),
      role: 'primary',
      connections: figures.connections,
      sites: figures.sites,
      node,
      worker_accept: config.worker_accept,
      workers: pool?.stats() ?? null,
      accept: { ...handover },
      bans: services.stores.bans.stats(),
      shared_state: shared?.stats() ?? null,
      kernel_drop: kernelDrop?.stats() ?? null,
      detection: detection?.service.stats() ?? null,
      cluster: {
        role: 'primary',
        node,
        process: node,
        leaders: link?.leaders(sites()) ?? null,
        leases: leases?.stats() ?? null,
        bus: primaryBus.stats(),
        processes: health?.list() ?? [],
      },
      process: { rss_bytes: process.memoryUsage.rss(), uptime_s: Math.round(process.uptime()) },
    };
  }

  return {
    logger,
    reloads,
    async start() {
      if (config.shared_state !== undefined) {
        shared = await attachSharedStores(services.stores, config.shared_state, { truncateAddresses: config.detection.truncate_addresses, logger });
        services.stores = shared.stores;
        seeds = (await sharedSecret(shared.redis.hub)).seeds;
      } else seeds = seedsOf(newSecret());
      primaryBus = createPrimaryBus(node, node, upstream());
      watchBans();
      pool = createWorkerPool({ config: () => config, file: options.file, secret: seeds.secret, node, bus: primaryBus, logger });
      health = startHealthBoard({ bus: primaryBus, role: 'primary', leads: () => sites().filter((s) => leases?.holds(s, Date.now()) ?? false), extra: () => ({ workers: pool?.stats().ready ?? 0, handed: handover.handed }) });
      if (config.detection.enabled) await startDetection();
      await pool.start();
      if (config.worker_accept === 'primary') {
        for (const a of config.listen.http) listeners.push(await bindHandover(a, false, pool, isDropped, handover));
        for (const a of config.listen.https) listeners.push(await bindHandover(a, true, pool, isDropped, handover));
      }
      if (config.kernel_drop.mode !== 'off') {
        kernelDrop = createKernelDrop({ mode: config.kernel_drop.mode as 'auto' | 'on', table: config.kernel_drop.table, logger });
        kernelDrop.setPorts(listeners.length > 0 ? listeners.map((l) => l.port) : pool.ready().flatMap((w) => w.ports));
        kernelDrop.setLists(lists, config.trusted_proxies);
        kernelDrop.followBans(services.stores.bans);
        if (!(await kernelDrop.start())) await kernelDrop.stop();
      }
      admin = await startPrimaryAdmin({ config, services, logger, auditor, stats, detection, ready: () => !stopping && (pool?.ready().length ?? 0) > 0, onBanChange: () => primaryBus.publish({ t: 'bans' }) });
      logger.info(
        { listeners: listenerUrls(), admin: admin?.address ?? null, workers: config.workers, worker_accept: config.worker_accept, sites: sites() },
        'bulwark started',
      );
    },
    async reloadAsync(next, by = 'local') {
      if (next.workers !== config.workers || next.worker_accept !== config.worker_accept) logger.warn({ code: 'BULWARK_WARN_RELOAD_WORKERS' }, 'workers and worker_accept change only on restart');
      const nextLists = compileLists(next);
      config = { ...next, workers: config.workers, worker_accept: config.worker_accept };
      lists = nextLists;
      kernelDrop?.setLists(lists, config.trusted_proxies);
      pool?.broadcast({ bulwark: 'reload', config });
      reloads.applied(by, ++generation);
      logger.info({ sites: sites() }, 'config reloaded (sent to every worker)');
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      await Promise.all(listeners.map((l) => new Promise<void>((r) => l.server.close(() => r()))));
      await pool?.stop(config.connections.drain_timeout + 2000);
      for (const t of timers) clearInterval(t);
      await detection?.stop().catch((err: unknown) => logger.error({ err }, 'detection state could not be saved'));
      link?.stop();
      await leases?.release();
      health?.stop();
      await kernelDrop?.stop();
      await admin?.close();
      services.stores.close();
      await shared?.close();
      logger.info({}, 'bulwark stopped');
    },
    url() {
      const l = listeners.find((x) => !x.secure);
      if (l === undefined) throw new Error('no plain listener on the primary (worker_accept: shared?)');
      return `http://${l.host === '0.0.0.0' ? '127.0.0.1' : l.host}:${l.port}`;
    },
    stats,
  };
}
