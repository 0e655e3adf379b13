/**
 * Growing one serving process into a deployment (README, "Scaling out"), composed once at start by
 * main.ts when the process is a worker or has `shared_state`:
 * 1. the shared seeds (secret.ts) — a rate-limit table on them replaces the process's own, journaled
 *    (limit-journal.ts), and the runtime is rebuilt on it before the first request;
 * 2. the bus: IPC to the primary for a worker, Redis pub/sub for a node of its own;
 * 3. the exchange of limits, replay answers, ban hints, traffic shares and leader views (process-sync.ts);
 * 4. for a node of its own (not a worker): leases and the detection coordination, so one node per site
 *    detects from everyone's traffic and writes the incident (detection-link.ts);
 * 5. heartbeats (health.ts).
 * A single process without shared state uses none of this: nothing changes for small sites.
 */
import type { Config } from '../config/schema.ts';
import { createLimiterTable } from '../core/ratelimit/index.ts';
import { createContributionCollector } from '../detection/contribution.ts';
import type { DetectionCoordination } from '../detection/coordination.ts';
import type { DetectionService } from '../detection/detection-service.ts';
import { createSignatureDecider, type SignatureDecider } from '../detection/signature-decider.ts';
import { replaceLimiterTable, type Services } from '../services.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import type { Bus } from './bus.ts';
import { createDetectionLink, type DetectionLink } from './detection-link.ts';
import { startHealthBoard, type HealthBoard } from './health.ts';
import { createRedisLeases, type Leases } from './leases.ts';
import { createJournaledTable } from './limit-journal.ts';
import { startProcessSync, type ProcessSync } from './process-sync.ts';
import { createRedisBus } from './redis-bus.ts';
import { sharedSecret, type SharedSeeds } from './secret.ts';
import type { SharedStores } from './shared-stores.ts';
import { attachSharedKeys, type SharedKeys } from './shared-keys.ts';
import { createRedisExactLimiter } from '../stores/redis/redis-gcra.ts';

/** The tick of a coordinated detection service runs this long after each second, so every share has arrived. */
export const COORDINATED_TICK_OFFSET_MS = 250;

/** What the serving process gives the scale layer. */
export interface ScaleHost {
  readonly role: 'single' | 'worker';
  readonly config: Config;
  readonly services: Services;
  readonly recorder: Pick<Recorder, 'addSink' | 'removeSink' | 'allStats'>;
  /** The accept gate's figures (connections open, dropped), reported in the heartbeat. */
  readonly connections?: () => { readonly open: number; readonly droppedTotal: number; readonly droppedBanned: number };
  readonly logger: { info(o: object, m: string): void; warn(o: object, m: string): void };
  /** The shared stores (`shared_state`), or null. */
  readonly shared: SharedStores | null;
  /** A worker's bus to its primary, and the seeds the primary handed it. */
  readonly worker?: { readonly bus: Bus; readonly seeds: SharedSeeds };
  /** Rebuilds the runtime on the current config (after the limiter table was replaced). */
  rebuildRuntime(): void;
  /** Re-reads the challenge signing keys (another process rotated them). */
  reloadKeys(): void;
}

/** The scale layer of a serving process. */
export interface Scale {
  readonly bus: Bus;
  readonly seeds: SharedSeeds;
  /** Options for attachDetection on a node of its own; null on a worker (its primary detects). */
  readonly detection: { readonly coordination: DetectionCoordination; readonly tickOffsetMs: number; readonly observeRecords: false; readonly hashSeed: number } | null;
  /** A worker's enforcement of the leaders' signature rules. */
  readonly signatures: SignatureDecider;
  /** Plugs the node's detection service in (shares from the bus and from this process). */
  attachDetection(service: DetectionService): void;
  /** Tells the other processes this one changed a ban. */
  banChanged(): void;
  stats(): Record<string, unknown>;
  stop(): Promise<void>;
}

/** Composes the scale layer (see the module comment). Returns null when the process stands alone. */
export async function startScale(host: ScaleHost): Promise<Scale | null> {
  const { config, services } = host;
  const redis = host.shared?.redis ?? null;
  if (host.worker === undefined && redis === null) return null;
  let seedShared = true;
  let seeds: SharedSeeds;
  if (host.worker !== undefined) seeds = host.worker.seeds;
  else {
    const s = await sharedSecret(redis!.hub);
    seeds = s.seeds;
    seedShared = s.shared;
    if (!s.shared) host.logger.warn({ code: 'BULWARK_WARN_SHARED_SEED_LOCAL' }, 'shared state unreachable at start: rate limits and traffic shares stay local to this node until it restarts with the server there');
  }
  const bus = host.worker?.bus ?? createRedisBus(redis!.hub);
  const table = createJournaledTable(createLimiterTable({ maxKeys: config.policy.max_tracked_clients, seed: seeds.limiterSeed }));
  replaceLimiterTable(services.policy, table);
  // One set of signing keys for every node: a clearance earned on one is accepted on all.
  if (redis !== null) services.exactLimits = createRedisExactLimiter(redis.hub, config.shared_state!.exact_timeout);
  const keys: SharedKeys | null = redis === null ? null : await attachSharedKeys(redis.hub, services, config.state_dir, () => host.rebuildRuntime());
  host.rebuildRuntime();

  const sites = () => config.sites.map((s) => s.name);
  const collector = config.detection.enabled ? createContributionCollector({ hashSeed: seeds.hashSeed, sites }) : null;
  if (collector !== null) host.recorder.addSink('contribution', collector.observe);
  let service: DetectionService | null = null;
  const sync: ProcessSync = startProcessSync({
    bus,
    services,
    table,
    tag: seeds.tag,
    limitsIntervalMs: host.worker !== undefined ? 50 : (config.shared_state?.limits_interval ?? 250),
    collector,
    onOwnContribution: host.worker === undefined ? (c) => void service?.mergeContribution(c) : undefined,
    onKeys: host.reloadKeys,
  });

  let leases: Leases | null = null;
  let link: DetectionLink | null = null;
  if (host.worker === undefined && redis !== null && config.detection.enabled) {
    const leaseMs = config.shared_state!.lease;
    leases = createRedisLeases(redis.hub, { leaseMs, sites });
    link = createDetectionLink({ bus, leases, tag: seeds.tag, leaseMs, apply: sync.applyView });
  }
  const health: HealthBoard = startHealthBoard({
    bus,
    role: host.role,
    leads: () => (leases === null ? [] : sites().filter((s) => leases!.holds(s, Date.now()))),
    extra: () => heartbeatExtra(host),
  });
  host.recorder.addSink('health', health.count);

  return {
    bus,
    seeds,
    detection: link === null ? null : { coordination: link, tickOffsetMs: COORDINATED_TICK_OFFSET_MS, observeRecords: false, hashSeed: seeds.hashSeed },
    signatures: createSignatureDecider((site) => sync.followed(site)?.rules ?? []),
    attachDetection(s) {
      service = s;
      link?.attach(s);
    },
    banChanged: sync.banChanged,
    stats: () => ({
      role: host.role,
      node: bus.node,
      process: bus.self,
      seed_shared: seedShared,
      leaders: link?.leaders(sites()) ?? null,
      leases: leases?.stats() ?? null,
      bus: bus.stats(),
      exchange: sync.stats(),
      contributions: collector?.stats() ?? null,
      challenge_keys: keys?.stats() ?? null,
      exact_limits: services.exactLimits?.stats() ?? null,
      processes: health.list(),
    }),
    async stop() {
      host.recorder.removeSink('contribution');
      host.recorder.removeSink('health');
      health.stop();
      keys?.stop();
      sync.stop();
      link?.stop();
      await leases?.release();
    },
  };
}

/**
 * What a serving process adds to its heartbeat, so its primary can show one machine's figures (and the
 * drill can read them): bans mirrored, each site's level and request outcomes so far, connections.
 */
function heartbeatExtra(host: ScaleHost): Record<string, unknown> {
  const now = Date.now();
  const sites: Record<string, { outcomes: Record<string, number> }> = {};
  for (const s of host.recorder.allStats()) sites[s.site] = { outcomes: { ...s.snapshot(now, 1).totals.outcomes } };
  return {
    bans: host.services.stores.bans.stats().mirrored,
    levels: Object.fromEntries(host.config.sites.map((s) => [s.name, host.services.levelOf(s.name)])),
    sites,
    connections: host.connections?.() ?? null,
  };
}
