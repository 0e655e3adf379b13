/**
 * Long-lived parts shared by every config generation: they are built once at start (or loaded in the
 * background) and survive reloads. Each capability adds its part here rather than threading new
 * parameters through the runtime.
 */
import { randomFillSync } from 'node:crypto';
import { createRandomPool, createReplaySet, type KeyRing, type ReplaySet } from './core/challenge/index.ts';
import type { RandomFill } from './core/challenge/tokens.ts';
import type { ThreatLevel } from './core/vocabulary.ts';
import { loadOrCreateChallengeKeys } from './edge/challenge-key-store.ts';
import { createCrawlerVerifier, type CrawlerResolver, type CrawlerVerifier } from './edge/crawler-verify.ts';
import type { GeoData } from './edge/geo-data.ts';
import { openStateStores, type StateLogger, type StateStores } from './edge/stores/index.ts';
import { createChallengeStats, type ChallengeStats } from './telemetry/challenge-stats.ts';
import { MAX_TOKEN_LIFETIME_MS } from './config/challenge-schema.ts';

export interface ChallengeServices {
  /** Signing keys (current + previous during the rotation grace), from `<state_dir>/keys/`. */
  keys: KeyRing;
  /** Solutions accepted once: shared by all sites and generations of this process. */
  readonly replay: ReplaySet;
  readonly random: RandomFill;
  /** Verified search-engine crawlers (reverse DNS + forward confirmation, cached). */
  readonly crawlers: CrawlerVerifier;
}

export interface Services {
  /** ASN and country data; null until loaded (start-up does not wait for it) or when disabled. */
  geo: GeoData | null;
  /** Durable state (SQLite under state_dir): bans, incidents, baselines, settings. */
  readonly stores: StateStores;
  readonly challenge: ChallengeServices;
  /** Each site's current threat level (issue #6 moves it; `normal` until then). */
  levelOf(site: string): ThreatLevel;
  /** Per-site challenge statistics (created on first use, kept across reloads). */
  challengeStatsOf(site: string): ChallengeStats;
  setLevel(site: string, level: ThreatLevel): void;
}

export interface ServicesOptions {
  readonly stateDir: string;
  readonly onCorrupt: 'refuse' | 'quarantine';
  readonly logger?: StateLogger;
  /** DNS for crawler verification (tests inject a fake; default node:dns). */
  readonly crawlerResolver?: CrawlerResolver;
}

/**
 * Builds the services: loads (or creates, mode 0600) the challenge signing key and opens the state
 * database. Throws a clear error (bad key file, corrupt or too-new database) instead of starting with
 * state it cannot trust.
 */
export function createServices(options: ServicesOptions): Services {
  const keys = loadOrCreateChallengeKeys(options.stateDir);
  const stores = openStateStores({ stateDir: options.stateDir, onCorrupt: options.onCorrupt, logger: options.logger });
  const levels = new Map<string, ThreatLevel>();
  const challengeStats = new Map<string, ChallengeStats>();
  return {
    geo: null,
    stores,
    challenge: {
      keys: keys.ring,
      // The horizon covers the longest token lifetime the schema allows (10 min); 500k accepted answers in
      // that window (~830/s) at most, ~50 MB when full. Beyond it answers are refused as `busy`, never replayed.
      replay: createReplaySet({ capacity: 500_000, horizonMs: MAX_TOKEN_LIFETIME_MS }),
      random: createRandomPool((b) => randomFillSync(b)),
      crawlers: createCrawlerVerifier(options.crawlerResolver ? { resolver: options.crawlerResolver } : {}),
    },
    levelOf: (site) => levels.get(site) ?? 'normal',
    setLevel: (site, level) => void levels.set(site, level),
    challengeStatsOf(site) {
      let s = challengeStats.get(site);
      if (s === undefined) challengeStats.set(site, (s = createChallengeStats()));
      return s;
    },
  };
}
