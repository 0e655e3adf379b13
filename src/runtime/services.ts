/**
 * Long-lived parts shared by every config generation: they are built once at start (or loaded in the
 * background) and survive reloads. Each capability adds its part here rather than threading new
 * parameters through the runtime.
 */
import { randomFillSync, randomInt } from 'node:crypto';
import { createEscalation, createLimiterTable, type Escalation, type LimiterTable } from '../core/ratelimit/index.ts';
import type { GlobalPolicyConfig } from '../config/policy-schema.ts';
import { createNotFoundBudget, type NotFoundBudget } from './not-found-budget.ts';
import { createClearanceSpread, createRandomPool, createReplaySet, type ClearanceSpread, type KeyRing } from '../core/challenge/index.ts';
import type { RandomFill } from '../core/challenge/tokens.ts';
import type { ThreatLevel } from '../core/vocabulary.ts';
import { loadOrCreateChallengeKeys } from '../stores/challenge-key-store.ts';
import { createCrawlerVerifier, type CrawlerResolver, type CrawlerVerifier } from './crawler-verify.ts';
import type { GeoData } from './geo-data.ts';
import { openStateStores, type StateLogger, type StateStores } from '../stores/index.ts';
import { createChallengeStats, type ChallengeStats } from '../telemetry/challenge-stats.ts';
import { createPolicyStats, type PolicyStats } from '../telemetry/policy-stats.ts';
import type { DecideState } from '../core/policy/index.ts';
import type { AuditStore, StoredBan } from '../stores/index.ts';
import type { SignatureDecider } from '../core/detect/signature-decider.ts';
import type { ServerResponse } from 'node:http';
import { MAX_TOKEN_LIFETIME_MS } from '../config/challenge-schema.ts';
import { createSharedReplaySet, type SharedReplaySet } from './shared-replay.ts';
import type { ExactLimiter } from '../stores/exact-limits.ts';

/**
 * Watches a response whose client socket backed up and cuts the client off when it reads slower than
 * `connections.min_send_rate` (forward calls `watch`; the guard itself, with its timer, is
 * edge/slow-read-guard.ts, built by the composition root).
 */
export interface SlowReadWatch {
  /** Starts watching a response whose socket just backed up (called again: no-op). */
  watch(res: ServerResponse, nowMs: number): void;
}

export interface ChallengeServices {
  /** Signing keys (current + previous during the rotation grace), from `<state_dir>/keys/`. */
  keys: KeyRing;
  /** Solutions accepted once: shared by all sites and generations of this process, and with the other processes of a deployment. */
  readonly replay: SharedReplaySet;
  /** Prefixes each network-bound clearance was presented from (bounded; per process: workers and nodes count on their own). */
  readonly spread: ClearanceSpread;
  readonly random: RandomFill;
  /** Verified search-engine crawlers (reverse DNS + forward confirmation, cached). */
  readonly crawlers: CrawlerVerifier;
}

/** Rate-limit state shared by every site and generation (fixed memory, see core/ratelimit). */
export interface PolicyServices {
  /** Replaced once at start when several processes share limits (see {@link replaceLimiterTable}). */
  table: LimiterTable;
  /** The 404 budget per client prefix (runtime/not-found-budget.ts); rebuilt when its config changes. */
  notFound: NotFoundBudget | null;
  notFoundConfig: string;
  /** Repeat offenders → bans; rebuilt (strikes reset, bans kept) when its config changes. */
  escalation: Escalation | null;
  escalationConfig: string;
}

export interface Services {
  /** ASN and country data; null until loaded (start-up does not wait for it) or when disabled. */
  geo: GeoData | null;
  /**
   * Durable state (SQLite under state_dir): bans, incidents, baselines, settings. With `shared_state`, the
   * composition root replaces the shared four with their Redis/Valkey versions at start (before any
   * listener opens), so read it through `services.stores` rather than keeping a reference.
   */
  stores: StateStores;
  readonly challenge: ChallengeServices;
  readonly policy: PolicyServices;
  /** Each site's current threat level (the detector or an operator override moves it; `normal` until then). */
  levelOf(site: string): ThreatLevel;
  /** Per-site challenge statistics (created on first use, kept across reloads). */
  challengeStatsOf(site: string): ChallengeStats;
  /** Per-site policy statistics (decisions, shadow hits, rule errors by source). */
  policyStatsOf(site: string): PolicyStats;
  /** What decide consults: bans from the durable store's in-memory mirror. */
  readonly decideState: DecideState;
  /** The detector's signature rules, enforced by decide; null when detection is off. */
  signatures: SignatureDecider | null;
  /** Limits counted exactly on the shared server (`exact: true`); null without shared state. */
  exactLimits: ExactLimiter | null;
  /** Cuts off clients reading responses slower than min_send_rate; set by the composition root. */
  slowReads: SlowReadWatch | null;
  /** Told about every automatic ban (for the log); set by the composition root. */
  onBan?: (ban: StoredBan | null, change: string, err?: unknown) => void;
  setLevel(site: string, level: ThreatLevel): void;
}

export interface ServicesOptions {
  readonly stateDir: string;
  /** Store incident source addresses truncated (/24, /48). */
  readonly truncateAddresses: boolean;
  /** Rate-limit table size (allocated once). */
  readonly maxTrackedClients: number;
  readonly onCorrupt: 'refuse' | 'quarantine';
  readonly logger?: StateLogger;
  /** DNS for crawler verification (tests inject a fake; default node:dns). */
  readonly crawlerResolver?: CrawlerResolver;
}

/** Builds (or keeps, when unchanged) the 404 budget for a config's `policy.not_found`. */
export function configureNotFound(policy: PolicyServices, c: GlobalPolicyConfig['not_found']): void {
  const key = JSON.stringify(c);
  if (key === policy.notFoundConfig) return;
  policy.notFoundConfig = key;
  policy.notFound = c.enabled ? createNotFoundBudget(policy.table, c) : null;
}

/**
 * Swaps the rate-limit table (before the first request: several processes of a deployment must hash
 * keys with one shared seed, known only once the shared state answered). The 404 budget is rebuilt on
 * the new table at the next runtime build; the caller rebuilds the runtime.
 */
export function replaceLimiterTable(policy: PolicyServices, table: LimiterTable): void {
  policy.table = table;
  policy.notFoundConfig = '';
}

/**
 * The audit log as the services hold it at each call — SQLite's, or the shared one once `shared_state`
 * is attached at start — for parts built before that (the auditor).
 */
export function currentAudit(services: Services): AuditStore {
  return {
    get cap() {
      return services.stores.audit.cap;
    },
    append: (e) => services.stores.audit.append(e),
    list: (o) => services.stores.audit.list(o),
    purge: (t) => services.stores.audit.purge(t),
    count: () => services.stores.audit.count(),
  };
}

/** Builds (or keeps, when unchanged) the escalation ladder for a config's `policy.escalation`. */
export function configureEscalation(policy: PolicyServices, e: GlobalPolicyConfig['escalation']): void {
  const key = JSON.stringify(e);
  if (key === policy.escalationConfig) return;
  policy.escalationConfig = key;
  policy.escalation = e.enabled
    ? createEscalation({
        seed: randomInt(0, 2 ** 47),
        ladderMs: e.ladder,
        forgiveMs: e.forgive_after,
        address: { threshold: e.address_threshold, windowMs: e.address_window },
        prefix: e.prefix_threshold === null ? false : { threshold: e.prefix_threshold, windowMs: e.prefix_window },
      })
    : null;
}

/**
 * Builds the services: loads (or creates, mode 0600) the challenge signing key and opens the state
 * database. Throws a clear error (bad key file, corrupt or too-new database) instead of starting with
 * state it cannot trust.
 */
export function createServices(options: ServicesOptions): Services {
  const keys = loadOrCreateChallengeKeys(options.stateDir);
  const stores = openStateStores({ stateDir: options.stateDir, onCorrupt: options.onCorrupt, logger: options.logger, incidents: { truncateAddresses: options.truncateAddresses } });
  const levels = new Map<string, ThreatLevel>();
  const challengeStats = new Map<string, ChallengeStats>();
  const policyStats = new Map<string, PolicyStats>();
  const decideState: DecideState = {
    // decide asks by address first: the mirror finds a ban on the address or on any prefix length in
    // use (an operator may ban a /20); the later prefix question is then already answered.
    ban: (key, nowMs) => {
      if (key.includes('/')) return null;
      return services.stores.bans.matchAddress(key, nowMs) !== undefined ? { untilMs: nowMs + 1 } : null;
    },
  };
  const services: Services = {
    geo: null,
    stores,
    policy: { table: createLimiterTable({ maxKeys: options.maxTrackedClients, seed: randomInt(0, 2 ** 47) }), escalation: null, escalationConfig: '', notFound: null, notFoundConfig: '' },
    challenge: {
      keys: keys.ring,
      // The horizon covers the longest token lifetime the schema allows (10 min); 500k accepted answers in
      // that window (~830/s) at most, ~50 MB when full. Beyond it answers are refused as `busy`, never replayed.
      replay: createSharedReplaySet(createReplaySet({ capacity: 500_000, horizonMs: MAX_TOKEN_LIFETIME_MS })),
      spread: createClearanceSpread(),
      random: createRandomPool((b) => randomFillSync(b)),
      crawlers: createCrawlerVerifier(options.crawlerResolver ? { resolver: options.crawlerResolver } : {}),
    },
    levelOf: (site) => levels.get(site) ?? 'normal',
    setLevel: (site, level) => void levels.set(site, level),
    decideState,
    signatures: null,
    exactLimits: null,
    slowReads: null,
    policyStatsOf(site) {
      let s = policyStats.get(site);
      if (s === undefined) policyStats.set(site, (s = createPolicyStats()));
      return s;
    },
    challengeStatsOf(site) {
      let s = challengeStats.get(site);
      if (s === undefined) challengeStats.set(site, (s = createChallengeStats()));
      return s;
    },
  };
  return services;
}
