/**
 * The composition root: config → runtime (sites, pools, pipeline) → listeners, admin listener and the
 * recorder's sinks. Also owns the two lifecycle operations that cross every part: reload (SIGHUP: new
 * requests use the new config, in-flight ones finish on the old) and graceful stop (stop accepting,
 * finish in-flight work within a deadline).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config/schema.ts';
import { createAcceptGate, type AcceptGate } from './edge/accept-gate.ts';
import { acceptSocket, bindListener, closeListeners, type BoundListener } from './edge/listeners.ts';
import { loadGeoData } from './runtime/geo-data.ts';
import { challengeKeyFile, loadOrCreateChallengeKeys } from './stores/challenge-key-store.ts';
import { statSync } from 'node:fs';
import type { CrawlerResolver } from './runtime/crawler-verify.ts';
import { createServices, currentAudit } from './runtime/services.ts';
import { attachSharedStores, type SharedStores } from './cluster/shared-stores.ts';
import { createKernelDrop, type KernelDrop } from './edge/kernel/kernel-drop.ts';
import { startScale, type Scale } from './cluster/scale.ts';
import type { WorkerLink } from './cluster/worker-link.ts';
import { createShieldRegistry } from './pipeline/shield/shield-registry.ts';
import { createPhaseFailureHandler, createProxyServer, type ProxyServer } from './edge/proxy-server.ts';
import { createHttpsEdge, type HttpsEdge } from './edge/https-edge.ts';
import type { TicketKeySource } from './core/tls/ticket-keys.ts';
import { createProtocolStats } from './telemetry/protocol-stats.ts';
import { createRequestIds } from './edge/request-id.ts';
import { createSlowReadGuard } from './edge/slow-read-guard.ts';
import { planeRoutes } from './admin/plane-routes.ts';
import { detectionRoutes } from './admin/detection-routes.ts';
import { createMetricsSource } from './admin/metrics-source.ts';
import { attachDashboard } from './admin/dashboard/attach.ts';
import type { Dashboard } from './admin/dashboard/dashboard.ts';
import { createMetrics, type Metrics } from './telemetry/metrics.ts';
import { startAdminPlane, type AdminPlane } from './admin/start-admin.ts';
import { createAuditor, type Auditor } from './admin/audit.ts';
import { createReloadLog, type ReloadAttempt, type ReloadLog } from './admin/reload-log.ts';
import type { BulwarkError } from './core/errors.ts';
import { banScopeGuardFromConfig, type BanScopeGuard } from './admin/ban-guard.ts';
import { attachDetection, type AttachedDetection } from './detection/attach.ts';
import { DEFAULT_PHASES } from './pipeline/phases/index.ts';
import { createPipeline, type Pipeline } from './pipeline/runner.ts';
import { createOriginPools } from './runtime/origin-pools.ts';
import { buildRuntime, releaseRuntime, type Runtime } from './runtime/runtime.ts';
import { readListFiles, type ListFileTexts } from './runtime/lists.ts';
import { openAccessLog, type AccessLog } from './telemetry/access-log.ts';
import { createLogger } from './telemetry/logger.ts';
import { createRecorder, type Recorder } from './telemetry/recorder.ts';
import { UNROUTED_SITE } from './telemetry/request-record.ts';

export interface BulwarkOptions {
  readonly config: Config;
  /** The config file, for reloads and messages; absent for zero-config and tests. */
  readonly file?: string;
  readonly logger?: Logger;
  /** DNS used to verify search-engine crawlers (tests inject a fake resolver). */
  readonly crawlerResolver?: CrawlerResolver;
  /** TLS session ticket keys (default: random, rotated every `tls.ticket_key_rotation`); processes that share one source resume each other's sessions. */
  readonly ticketKeys?: TicketKeySource;
  /**
   * Set when this process is one of several workers (src/worker.ts): no admin listener, no detection
   * (its primary detects from every worker's share), connections handed over or accepted on the shared
   * socket, and state exchanged with the other workers through the primary (src/cluster/).
   */
  readonly worker?: WorkerLink;
}

export interface Bulwark {
  readonly logger: Logger;
  readonly recorder: Recorder;
  readonly gate: AcceptGate;
  /** Binds every listener and the admin listener. Rejects (and releases what it bound) on failure. */
  start(): Promise<void>;
  /** Swaps in a new validated config. Throws ConfigError (and keeps the old config) if it cannot compile. `by` names who asked (audit log). */
  reload(config: Config, by?: string): void;
  /**
   * {@link reload}, with the config's list files read off the event loop first, so the process keeps
   * serving while they are read (SIGHUP). Rejects with ConfigError and keeps the old config.
   */
  reloadAsync(config: Config, by?: string): Promise<void>;
  /** Reload attempts: applied and refused ones are audited; the last of each is shown on the config page. */
  readonly reloads: ReloadLog;
  /** The audit writer (admin API, reloads). */
  readonly auditor: Auditor;
  /** Graceful stop: stop accepting, let in-flight requests finish up to `drain_timeout`, then cut. */
  stop(): Promise<void>;
  readonly listeners: readonly BoundListener[];
  readonly admin: AdminPlane | null;
  runtime(): Runtime;
  /** The attached detection service (after start; null when `detection.enabled` is false). */
  detection(): AttachedDetection | null;
  /** The HTTPS edge (after start; null without https listeners). */
  httpsEdge(): HttpsEdge | null;
  /** Prometheus exposition of this Bulwark (served as /metrics on the admin listener). */
  readonly metrics: Metrics;
  /** `http://host:port` of the first plain-HTTP listener (tests, demo). */
  url(secure?: boolean): string;
  stats(): unknown;
}

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
  let accessLog: AccessLog | null = null;
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
  const metrics = createMetrics(
    createMetricsSource({
      recorder,
      sites: () => current.config.sites.map((s) => s.name),
      levelOf: (site) => services.levelOf(site),
      shield: (site) => shields.get(site),
      challenge: (site) => services.challengeStatsOf(site),
      detection: () => detection?.service.stats() ?? null,
      bans: () => bans().stats(),
      limiter: () => services.policy.table.stats(),
      connections: () => gate.stats(),
      admin: async () =>
        admin === null
          ? null
          : { streams: dashboard?.streams.stats().open ?? 0, streamCapacity: dashboard?.streams.stats().capacity ?? 0, sessions: await services.stores.sessions.count(), loginFailuresTracked: admin.limiter.stats().tracked, auditRows: await services.stores.audit.count() },
    }),
  );
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
  logListWarnings(current);

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

  /** Housekeeping of durable state: bans written by the CLI or another node, expiry. */
  function startStateTimers(): void {
    const every = (ms: number, fn: () => Promise<unknown>) => {
      const t = setInterval(() => void fn().catch((err: unknown) => logger.error({ err, code: 'BULWARK_ERR_STATE_TIMER' }, 'state housekeeping failed')), ms);
      t.unref();
      timers.push(t);
    };
    every(1000, () => bans().sync());
    // A key rotated by `bulwark keys rotate` (another process) is picked up here: new gates, same config.
    let keyStamp = keyFileStamp(current.config.state_dir);
    every(10_000, async () => {
      const stamp = keyFileStamp(current.config.state_dir);
      if (stamp === keyStamp) return;
      keyStamp = stamp;
      reloadKeys();
    });
    every(60_000, () => bans().purgeExpired(Date.now()));
    // Browser sessions past their end or idle expiry (each request checks too; this keeps the table small).
    every(60_000, () => services.stores.sessions.purge(Date.now(), current.config.admin.session.idle));
    // Audit retention: rows older than admin.audit_retention go (and the row cap is kept), daily.
    every(86_400_000, () => services.stores.audit.purge(Date.now() - current.config.admin.audit_retention));
  }

  /** Signs with the key file's current key from now on (rotated by `bulwark keys rotate`). */
  function reloadKeys(): void {
    // With shared state the deployment's keys live on the server (cluster/shared-keys.ts), not in the file.
    if (current.config.shared_state !== undefined) return;
    services.challenge.keys = loadOrCreateChallengeKeys(current.config.state_dir).ring;
    reloadWith(current.config);
    logger.info({ code: 'BULWARK_KEYS_ROTATED' }, 'challenge signing key changed: now signing with the new key');
  }

  function logListWarnings(runtime: Runtime): void {
    const stats = runtime.lists.stats();
    for (const w of runtime.lists.warnings.slice(0, 50)) logger.warn({ code: 'BULWARK_WARN_LIST_ENTRY', ...w }, `list entry skipped or flagged: ${w.reason}`);
    if (runtime.lists.warnings.length > 50) logger.warn({ code: 'BULWARK_WARN_LIST_ENTRY', more: runtime.lists.warnings.length - 50 }, 'more list warnings not shown');
    if (stats.allowPrefixes + stats.denyPrefixes > 0) logger.info({ allow: stats.allowPrefixes, deny: stats.denyPrefixes }, 'ip lists compiled');
  }

  function keyFileStamp(stateDir: string): number {
    try {
      return statSync(challengeKeyFile(stateDir)).mtimeMs;
    } catch {
      return 0;
    }
  }

  /** Mirrors bans and deny lists into nftables (config `kernel_drop`); null when unavailable in `auto` mode. */
  async function startKernelDrop(config: Config): Promise<KernelDrop | null> {
    const kd = createKernelDrop({ mode: config.kernel_drop.mode as 'auto' | 'on', table: config.kernel_drop.table, logger });
    kd.setPorts(listeners.map((l) => l.port));
    kd.setLists(current.lists, config.trusted_proxies);
    kd.followBans(bans());
    if (!(await kd.start())) await kd.stop();
    return kd;
  }

  /** Geo data loads in the background: the listeners do not wait for it (ASN/country are null until then). */
  function loadGeo(config: Config): void {
    const g = config.identify.geo;
    if (!g.enabled) return;
    loadGeoData({ asnV4Path: g.asn_v4, asnV6Path: g.asn_v6, countryPath: g.country, cacheDir: join(config.state_dir, 'geo') })
      .then((geo) => {
        services.geo = geo;
        logger.info({ load_ms: geo.stats().loadMs }, 'geo data loaded (ASN: RouteViews and DB-IP, CC BY 4.0)');
      })
      .catch((err: unknown) => logger.error({ err, code: (err as { code?: string }).code ?? 'BULWARK_ERR_GEO' }, 'geo data could not be loaded; ASN and country stay unknown'));
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
  const servers: { http: ProxyServer | null; https: ProxyServer | null } = { http: null, https: null };
  /** The HTTPS edge (handshake cap, certificates, resumption, HTTP/2): built with the https server. */
  let httpsEdge: HttpsEdge | null = null;

  /** What a ban by hand may not cover (loopback, allow lists, trusted proxies), for the running config. */
  let guardOf: { config: Config; guard: BanScopeGuard } | null = null;
  function banGuard(): BanScopeGuard {
    if (guardOf === null || guardOf.config !== current.config) guardOf = { config: current.config, guard: banScopeGuardFromConfig(current.config) };
    return guardOf.guard;
  }

  function setAccessLog(config: Config): void {
    const want = config.log.access_log;
    if (accessLog) {
      const old = accessLog;
      recorder.removeSink('access_log');
      accessLog = null;
      void old.close();
    }
    if (want) {
      const log = openAccessLog(want.path, want.format);
      accessLog = log;
      recorder.addSink('access_log', (r) => log.write(r));
    }
  }

  /** The wire (edge/wire): connections taken from node:http's native reads and given back, copies answered. */
  function wireStats(): { connections_taken: number; connections_returned: number; answered: number } {
    let taken = 0;
    let returned = 0;
    let answered = 0;
    for (const server of [servers.http, servers.https]) {
      const w = server?.wire.stats();
      taken += w?.taken ?? 0;
      returned += w?.returned ?? 0;
      answered += w?.answered ?? 0;
    }
    return { connections_taken: taken, connections_returned: returned, answered };
  }

  function stats(): unknown {
    const now = Date.now();
    return {
      time: new Date(now).toISOString(),
      generation: current.generation,
      draining,
      connections: gate.stats(),
      rate_limit_table: services.policy.table.stats(),
      escalation: services.policy.escalation?.stats() ?? null,
      bans: bans().stats(),
      shared_state: shared?.stats() ?? null,
      kernel_drop: kernelDrop?.stats() ?? null,
      cluster: scale?.stats() ?? null,
      challenge: { replay: services.challenge.replay.stats(), spread: services.challenge.spread.stats() },
      detection: detection?.service.stats() ?? null,
      slow_bodies_closed: (servers.http?.slowBodies.closed ?? 0) + (servers.https?.slowBodies.closed ?? 0),
      slow_reads_closed: slowReads.closed,
      wire: wireStats(),
      https: httpsEdge?.stats() ?? null,
      access_log_dropped: accessLog?.dropped ?? 0,
      record_sink_errors: recorder.sinkErrors,
      process: { rss_bytes: process.memoryUsage.rss(), uptime_s: Math.round(process.uptime()) },
      sites: recorder.allStats().map((s) => ({
        ...s.snapshot(now, 60),
        level: services.levelOf(s.site),
        shield: shields.get(s.site)?.stats(now) ?? null,
        challenge: s.site === UNROUTED_SITE ? null : services.challengeStatsOf(s.site).snapshot(),
        policy: s.site === UNROUTED_SITE ? null : services.policyStatsOf(s.site).snapshot(),
        protocols: protocols.of(s.site),
      })),
    };
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
    logListWarnings(next);
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
    setAccessLog(config);
    kernelDrop?.setLists(next.lists, config.trusted_proxies);
    const listenChanged =
      JSON.stringify(config.listen) !== JSON.stringify(old.config.listen) || JSON.stringify(config.admin) !== JSON.stringify(old.config.admin);
    if (listenChanged) logger.warn({ code: 'BULWARK_WARN_RELOAD_LISTEN' }, 'listen and admin addresses change only on restart; keeping the current ones');
    if (config.connections.max_header_bytes !== old.config.connections.max_header_bytes) {
      logger.warn({ code: 'BULWARK_WARN_RELOAD_HEADER_SIZE' }, 'connections.max_header_bytes changes only on restart');
    }
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
      setAccessLog(config);
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
      startStateTimers();
      loadGeo(config);
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
        if (config.kernel_drop.mode !== 'off' && worker === undefined) kernelDrop = await startKernelDrop(config);
        if (config.admin.listen !== null && worker === undefined) {
          let reported = false;
          dashboard = attachDashboard({
            recorder,
            config: () => current.config,
            generation: () => current.generation,
            file: options.file ?? null,
            levelOf: (site) => services.levelOf(site),
            shield: (site) => shields.get(site),
            challenge: (site) => services.challengeStatsOf(site),
            detection: () => detection,
            geo: () => services.geo,
            reloads: () => reloads.view(),
            audit: services.stores.audit,
            onError: (err) => {
              if (!reported) logger.error({ err, code: 'BULWARK_ERR_DASHBOARD_TICK' }, 'dashboard sampling failed (reported once)');
              reported = true;
            },
          });
          admin = await startAdminPlane({
            config: { ...config.admin, listen: config.admin.listen },
            stateDir: config.state_dir,
            stores: services.stores,
            logger,
            auditor,
            routes: planeRoutes({
              ready: () => !draining && listeners.length > 0,
              stats,
              bans: bans(),
              banGuard,
              adminClients: () => admin?.recentClients.list(Date.now()) ?? [],
              audit: services.stores.audit,
              metrics,
              detection: detection === null ? {} : detectionRoutes(detection),
              extra: dashboard.routes,
            }),
          });
          dashboard.start();
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
      const inFlight = () => current.inFlight + [...retired].reduce((n, r) => n + r.inFlight, 0);
      const until = Date.now() + deadline;
      while (inFlight() > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50));
        servers.http?.closeIdle();
        servers.https?.closeIdle();
      }
      const unfinished = inFlight();
      if (unfinished > 0) logger.warn({ unfinished, code: 'BULWARK_WARN_DRAIN_DEADLINE' }, 'drain deadline passed; closing remaining connections');
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
      if (accessLog) await accessLog.close();
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
