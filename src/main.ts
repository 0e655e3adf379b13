/**
 * The composition root: config → runtime (sites, pools, pipeline) → listeners, admin listener and the
 * recorder's sinks. Also owns the two lifecycle operations that cross every part: reload (SIGHUP: new
 * requests use the new config, in-flight ones finish on the old) and graceful stop (stop accepting,
 * finish in-flight work within a deadline).
 */
import type { Config } from './config/schema.ts';
import { createAcceptGate } from './edge/accept-gate.ts';
import { acceptSocket, bindListener, closeListeners, type BoundListener } from './edge/listeners.ts';
import { loadOrCreateChallengeKeys } from './stores/challenge-key-store.ts';
import { createServices, currentAudit } from './runtime/services.ts';
import { attachSharedStores, type SharedStores } from './cluster/shared-stores.ts';
import type { KernelDrop } from './edge/kernel/kernel-drop.ts';
import { startScale, type Scale } from './cluster/scale.ts';
import { createShieldRegistry } from './pipeline/shield/shield-registry.ts';
import { createPhaseFailureHandler } from './edge/phase-failure.ts';
import { createProxyServer } from './edge/proxy-server.ts';
import { createHttpsEdge, type HttpsEdge } from './edge/https-edge.ts';
import { createProtocolStats } from './telemetry/protocol-stats.ts';
import { createRequestIds } from './edge/request-id.ts';
import { createSlowReadGuard } from './edge/slow-read-guard.ts';
import type { Dashboard } from './admin/dashboard/dashboard.ts';
import type { AdminPlane } from './admin/start-admin.ts';
import { createAuditor } from './admin/audit.ts';
import { createReloadLog, type ReloadAttempt } from './admin/reload-log.ts';
import type { BulwarkError } from './core/errors.ts';
import { banScopeGuardFromConfig, type BanScopeGuard } from './admin/ban-guard.ts';
import { attachDetection, type AttachedDetection } from './detection/attach.ts';
import { DEFAULT_PHASES } from './pipeline/phases/index.ts';
import { createPipeline, type Pipeline } from './pipeline/runner.ts';
import { createOriginPools } from './runtime/origin-pools.ts';
import { buildRuntime, releaseRuntime, type Runtime } from './runtime/runtime.ts';
import { readListFiles, type ListFileTexts } from './runtime/lists.ts';
import { createLogger } from './telemetry/logger.ts';
import { createRecorder } from './telemetry/recorder.ts';
import { createAccessLogSink } from './main/access-log-sink.ts';
import { createProcessMetrics, startAdminAndDashboard } from './main/admin-start.ts';
import { startStateTimers } from './main/housekeeping.ts';
import { logListWarnings, warnRestartOnly } from './main/config-warnings.ts';
import { loadGeo, startKernelDrop } from './main/optional-parts.ts';
import { drainInFlight } from './main/drain.ts';
import { statsOf } from './main/stats.ts';
import type { Bulwark, BulwarkOptions, ProxyServers } from './main/types.ts';

export type { Bulwark, BulwarkOptions } from './main/types.ts';

/**
 * Builds one Bulwark process from a validated config: every part is created here and wired together;
 * nothing listens until `start`. Throws (and releases what it opened) when the config does not compile.
 */
export function createBulwark(options: BulwarkOptions): Bulwark {
  const logger = options.logger ?? createLogger(options.config.log.level);
  const recorder = createRecorder(logger);
  const protocols = createProtocolStats();
  recorder.addSink('protocols', protocols.sink);
  const pools = createOriginPools();
  const nextId = createRequestIds();
  let generation = 0;
  let draining = false;
  let started = false;
  const retired = new Set<Runtime>();
  const listeners: BoundListener[] = [];
  let admin: AdminPlane | null = null;
  let dashboard: Dashboard | null = null;
  const accessLog = createAccessLogSink(recorder);
  let detection: AttachedDetection | null = null;
  const pipeline: Pipeline = createPipeline(DEFAULT_PHASES, createPhaseFailureHandler(logger));
  const slowReads = createSlowReadGuard(() => ({ minRate: current.config.connections.min_send_rate, graceMs: current.config.connections.body_rate_grace }));

  const shields = createShieldRegistry((err, site, what) => logger.error({ err, site, code: 'BULWARK_ERR_CACHE_STORE' }, what));
  const services = createServices({
    stateDir: options.config.state_dir,
    onCorrupt: options.config.state_on_corrupt,
    maxTrackedClients: options.config.policy.max_tracked_clients,
    truncateAddresses: options.config.detection.truncate_addresses,
    crawlerResolver: options.crawlerResolver,
    logger: { warn: (o: object, m: string) => logger.warn(o, m), error: (o: object, m: string) => logger.error(o, m) },
  });
  services.slowReads = slowReads;
  /** The ban store in use (SQLite's, or the shared one once `shared_state` is attached at start). */
  const bans = () => services.stores.bans;
  let shared: SharedStores | null = null;
  let kernelDrop: KernelDrop | null = null;
  let scale: Scale | null = null;
  const worker = options.worker;
  /** Handed-over connections are spread evenly over the workers: each one enforces its share of the caps. */
  const capShare = worker !== undefined && worker.accept === 'primary' ? options.config.workers : 1;
  const auditor = createAuditor(currentAudit(services), logger);
  const reloads = createReloadLog(auditor);
  const metrics = createProcessMetrics({
    recorder,
    services,
    shields,
    gate: () => gate,
    runtime: () => current,
    bans,
    detection: () => detection,
    admin: () => admin,
    dashboard: () => dashboard,
  });
  services.onBan = (ban, change, err) => {
    if (err !== undefined) logger.error({ err, code: 'BULWARK_ERR_BAN_STORE' }, 'an automatic ban could not be stored');
    else if (ban !== null && (change === 'added' || change === 'extended')) {
      logger.warn({ code: 'BULWARK_BAN', key: ban.key, scope: ban.scope, by: ban.by, rung: ban.level, until: new Date(ban.untilMs).toISOString() }, 'source banned');
    } else if (change === 'refused_full') logger.error({ code: 'BULWARK_ERR_BANS_FULL' }, 'ban table full: automatic ban refused');
  };
  const timers: NodeJS.Timeout[] = [];
  let current: Runtime;
  try {
    current = buildRuntime({ config: options.config, generation: ++generation, pools, recorder, shields, services, file: options.file });
  } catch (err) {
    // A config that does not compile (a certificate whose key does not match...) leaves nothing running.
    slowReads.stop();
    services.stores.close();
    throw err;
  }
  logListWarnings(current, logger);

  const gate = createAcceptGate({
    maxConnections: () => Math.ceil(current.config.connections.max_connections / capShare),
    maxPerClient: () => Math.ceil(current.config.connections.max_connections_per_client / capShare),
    // Deny-listed and banned sources never meet the HTTP parser; allow-listed ones are never dropped.
    isDropped: (address) => {
      const listed = current.lists.match(address);
      if (listed !== null) return listed.kind === 'deny';
      return bans().matchAddress(address, Date.now()) !== undefined;
    },
  });

  /** Signs with the key file's current key from now on (rotated by `bulwark keys rotate`). */
  function reloadKeys(): void {
    // With shared state the deployment's keys live on the server (cluster/shared-keys.ts), not in the file.
    if (current.config.shared_state !== undefined) return;
    services.challenge.keys = loadOrCreateChallengeKeys(current.config.state_dir).ring;
    reloadWith(current.config);
    logger.info({ code: 'BULWARK_KEYS_ROTATED' }, 'challenge signing key changed: now signing with the new key');
  }

  const deps = {
    logger,
    recorder,
    nextId,
    pipeline,
    getRuntime: () => current,
    onRuntimeIdle(runtime: Runtime) {
      if (retired.delete(runtime)) releaseRuntime(runtime, pools);
    },
  };
  const servers: ProxyServers = { http: null, https: null };
  /** The HTTPS edge (handshake cap, certificates, resumption, HTTP/2): built with the https server. */
  let httpsEdge: HttpsEdge | null = null;

  /** What a ban by hand may not cover (loopback, allow lists, trusted proxies), for the running config. */
  let guardOf: { config: Config; guard: BanScopeGuard } | null = null;
  function banGuard(): BanScopeGuard {
    if (guardOf === null || guardOf.config !== current.config) guardOf = { config: current.config, guard: banScopeGuardFromConfig(current.config) };
    return guardOf.guard;
  }

  function stats(): unknown {
    return statsOf({
      recorder,
      services,
      shields,
      protocols,
      gate,
      slowReads,
      servers,
      runtime: () => current,
      draining: () => draining,
      bans,
      shared: () => shared,
      kernelDrop: () => kernelDrop,
      scale: () => scale,
      detection: () => detection,
      httpsEdge: () => httpsEdge,
      accessLogDropped: () => accessLog.dropped(),
    });
  }

  /** Runs a reload and records it (applied, or refused with its problems) in the audit log. */
  function audited(by: string, run: () => void): void {
    try {
      run();
    } catch (err) {
      reloads.refused(by, (err as { problems?: ReloadAttempt['problems'] }).problems, (err as BulwarkError).code);
      throw err;
    }
    reloads.applied(by, current.generation);
  }

  /** Swaps in a new config generation (SIGHUP, key rotation): new requests use it, in-flight ones finish on the old. */
  function reloadWith(config: Config, listTexts?: ListFileTexts): void {
    const next = buildRuntime({ config, generation: generation + 1, pools, recorder, shields, services, file: options.file, listTexts });
    logListWarnings(next, logger);
    generation++;
    const old = current;
    current = next;
    if (old.inFlight === 0) releaseRuntime(old, pools);
    else retired.add(old);
    recorder.retainSites(config.sites.map((s) => s.name));
    protocols.retain(config.sites.map((s) => s.name));
    httpsEdge?.reload(next);
    shields.retain(config.sites);
    servers.http?.applySettings(config.connections);
    servers.https?.applySettings(config.connections);
    accessLog.apply(config);
    kernelDrop?.setLists(next.lists, config.trusted_proxies);
    warnRestartOnly(old.config, config, logger);
    logger.info({ generation: next.generation, sites: config.sites.map((s) => s.name) }, 'config reloaded');
  }

  return {
    logger,
    recorder,
    gate,
    listeners,
    get admin() {
      return admin;
    },
    runtime: () => current,
    detection: () => detection,
    httpsEdge: () => httpsEdge,
    async start() {
      if (started) throw new Error('already started');
      started = true;
      const config = current.config;
      accessLog.apply(config);
      if (config.shared_state !== undefined) {
        shared = await attachSharedStores(services.stores, config.shared_state, { truncateAddresses: config.detection.truncate_addresses, logger });
        services.stores = shared.stores;
      }
      scale = await startScale({
        role: worker !== undefined ? 'worker' : 'single',
        config,
        services,
        recorder,
        logger,
        shared,
        ...(worker !== undefined ? { worker: { bus: worker.bus, seeds: worker.seeds } } : {}),
        rebuildRuntime: () => reloadWith(current.config),
        reloadKeys,
        connections: () => gate.stats(),
      });
      if (scale !== null) {
        const onBan = services.onBan;
        services.onBan = (ban, change, err) => {
          onBan?.(ban, change, err);
          if (change === 'added' || change === 'extended') scale?.banChanged();
        };
      }
      shields.start(() => current.sites);
      startStateTimers({ logger, services, bans, config: () => current.config, reloadKeys, timers });
      loadGeo(config, services, logger);
      try {
        // Detection first: it restores each site's threat level, override and signature rules (a restart
        // during an attack), so the first request a listener accepts is already decided under them. A
        // worker detects nothing itself: it enforces what its primary publishes.
        if (config.detection.enabled && worker === undefined) {
          detection = await attachDetection(
            { logger, recorder, runtime: () => current },
            { config: config.detection, queueLength: (site) => shields.get(site)?.admission.stats().queued.reduce((a, b) => a + b, 0) ?? null, ...(scale?.detection ?? {}) },
          );
          scale?.attachDetection(detection.service);
          services.signatures = detection.decider;
        } else if (scale !== null && config.detection.enabled) services.signatures = scale.signatures;
        if (config.listen.http.length > 0) servers.http = createProxyServer(deps, false, config.connections);
        if (config.listen.https.length > 0) {
          httpsEdge = createHttpsEdge({ logger, recorder, nextId, getRuntime: () => current, ticketKeys: options.ticketKeys });
          servers.https = createProxyServer(deps, true, config.connections, httpsEdge.serverOptions());
          httpsEdge.attach(servers.https);
        }
        if (worker?.accept === 'primary') {
          worker.onSocket((socket, secure) => {
            const proxy = secure ? servers.https : servers.http;
            if (proxy === null || draining) socket.destroy();
            else acceptSocket(socket, proxy, gate, secure ? httpsEdge?.secureAccept : undefined);
          });
        } else {
          for (const a of config.listen.http) listeners.push(await bindListener(a, servers.http!, gate));
          for (const a of config.listen.https) listeners.push(await bindListener(a, servers.https!, gate, undefined, httpsEdge!.secureAccept));
        }
        if (config.kernel_drop.mode !== 'off' && worker === undefined) kernelDrop = await startKernelDrop(config, listeners.map((l) => l.port), current, bans(), logger);
        if (config.admin.listen !== null && worker === undefined) {
          ({ admin, dashboard } = await startAdminAndDashboard({
            config,
            listen: config.admin.listen,
            file: options.file ?? null,
            logger,
            recorder,
            services,
            shields,
            auditor,
            reloads,
            metrics,
            detection,
            bans: bans(),
            runtime: () => current,
            ready: () => !draining && listeners.length > 0,
            stats,
            banGuard,
          }));
        }
      } catch (err) {
        shields.stop();
        await kernelDrop?.stop();
        for (const t of timers) clearInterval(t);
        await detection?.stop().catch(() => {});
        await scale?.stop();
        services.stores.close();
        await shared?.close();
        await closeListeners(listeners);
        listeners.length = 0;
        servers.http?.stop();
        servers.https?.stop();
        httpsEdge?.stop();
        dashboard?.stop();
        await admin?.close();
        await pools.destroyAll();
        throw err;
      }
      logger.info(
        { listeners: listeners.map((l) => `${l.secure ? 'https' : 'http'}://${l.address}`), admin: admin?.address ?? null, sites: config.sites.map((s) => s.name), ...(worker ? { worker: worker.index } : {}) },
        worker ? 'worker started' : 'bulwark started',
      );
      worker?.ready(listeners.map((l) => l.port));
    },
    reload(config, by = 'local') {
      audited(by, () => reloadWith(config));
    },
    async reloadAsync(config, by = 'local') {
      let lists: Awaited<ReturnType<typeof readListFiles>>;
      try {
        lists = await readListFiles(config.lists.files);
      } catch (err) {
        reloads.refused(by, (err as { problems?: ReloadAttempt['problems'] }).problems, (err as BulwarkError).code);
        throw err;
      }
      audited(by, () => reloadWith(config, lists));
    },
    reloads,
    auditor,
    metrics,
    async stop() {
      if (draining) return;
      draining = true;
      const deadline = current.config.connections.drain_timeout;
      // Stop accepting now; the listeners close for good once their connections have (awaited last:
      // waiting first would hold the drain until every keep-alive connection timed out on its own).
      const listenersClosed = closeListeners(listeners);
      servers.http?.closeIdle();
      servers.https?.closeIdle();
      httpsEdge?.closeIdle();
      const unfinished = await drainInFlight(servers, () => current.inFlight + [...retired].reduce((n, r) => n + r.inFlight, 0), deadline, logger);
      httpsEdge?.destroyAll();
      servers.http?.destroyAll();
      servers.https?.destroyAll();
      servers.http?.stop();
      servers.https?.stop();
      httpsEdge?.stop();
      // Every connection was destroyed above; a socket still closing gets a second, not a hang.
      await Promise.race([listenersClosed, new Promise((r) => setTimeout(r, 1000).unref())]);
      shields.stop();
      slowReads.stop();
      await kernelDrop?.stop();
      for (const t of timers) clearInterval(t);
      await pools.destroyAll();
      dashboard?.stop();
      await admin?.close();
      await accessLog.close();
      await detection?.stop().catch((err: unknown) => logger.error({ err }, 'detection state could not be saved'));
      await scale?.stop();
      services.stores.close();
      await shared?.close();
      logger.info({ unfinished }, 'bulwark stopped');
    },
    url(secure = false) {
      const l = listeners.find((x) => x.secure === secure);
      if (!l) throw new Error(`no ${secure ? 'https' : 'http'} listener`);
      const host = l.host === '0.0.0.0' ? '127.0.0.1' : l.host === '::' ? '[::1]' : l.host.includes(':') ? `[${l.host}]` : l.host;
      return `${secure ? 'https' : 'http'}://${host}:${l.port}`;
    },
    stats,
  };
}
