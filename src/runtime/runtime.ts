/**
 * A runtime is one compiled generation of the config: sites with their router, origin pools, TLS
 * contexts, policies, challenge gates and the trusted-proxy matcher. Everything per-request reads from the
 * runtime the request started under, so a reload (SIGHUP) never changes a request mid-flight: new
 * requests take the new runtime, and the old one is retired once its in-flight requests are done.
 */
import type { SecureContext } from 'node:tls';
import type { Config, SiteConfig } from '../config/schema.ts';
import { ConfigError, type ConfigProblem } from '../config/load.ts';
import type { BulwarkError } from '../core/errors.ts';
import { compileTrustedProxies, type TrustedProxyMatcher } from '../core/identify/client-address.ts';
import { createChallengeGate, resolveChallengePolicy, type ChallengeGate } from '../core/challenge/index.ts';
import type { IpLists } from '../core/net/ip-list.ts';
import type { CompiledPolicy } from '../core/policy/index.ts';
import { configureEscalation, configureNotFound } from './services.ts';
import { createLevelPolicy } from './level-policy.ts';
import { limitSpecs } from '../config/policy-specs.ts';
import { buildSitePolicy } from './policy-build.ts';
import { laneRefusals } from './refusal-lane-policy.ts';
import type { Services } from './services.ts';
import { buildLists, type ListFileTexts } from './lists.ts';
import type { SiteShield, SiteShields } from './site-shield.ts';
import type { ChallengeStats } from '../telemetry/challenge-stats.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import type { SiteStats } from '../telemetry/site-stats.ts';
import type { OriginPools, Upstream } from './origin-pools.ts';
import { createSiteRouter, type SiteRouter } from './site-router.ts';
import { loadSiteCertificate, type CertificateOptions, type SiteCertificate } from './site-certificates.ts';

export interface SiteRuntime {
  readonly name: string;
  readonly config: SiteConfig;
  readonly upstreams: readonly Upstream[];
  readonly secureContext: SecureContext | null;
  /** The certificates behind `secureContext` as this generation loaded them (renewals replace them at the edge). */
  readonly certificate: SiteCertificate | null;
  /** The site's aggregates (they outlive config generations). */
  readonly stats: SiteStats;
  /** The site's compiled policy: lists, rules (site's then global), limits, threat-level response. */
  readonly policy: CompiledPolicy;
  /** The site's challenge gate: clearance checks, challenge pages, verification. */
  readonly challenge: ChallengeGate;
  /** Challenges issued, solved, failed and solve time, per rule (outlive generations). */
  readonly challengeStats: ChallengeStats;
  /** The site's shield (cache, admission, balancer): outlives config generations. */
  readonly shield: SiteShield;
  /** Refusals (`limit/<name>`) that may open a refusal lane on a connection (refusal-lane-policy.ts). */
  readonly laneRefusals: ReadonlySet<string>;
  /** Methods answered 405 by parse, never forwarded (`refused_methods`, upper-case). */
  readonly refusedMethods: ReadonlySet<string>;
  /** The origin to use for the next request (round robin). */
  pickUpstream(): Upstream;
}

export interface Runtime {
  readonly generation: number;
  readonly config: Config;
  readonly sites: readonly SiteRuntime[];
  readonly isTrustedProxy: TrustedProxyMatcher;
  /** Allow and deny lists (deny-listed sources are dropped at accept). */
  readonly lists: IpLists;
  /** Long-lived parts shared by every generation (geo data, later bans and keys). */
  readonly services: Services;
  route(host: string): SiteRuntime | null;
  /** TLS context for an SNI name; falls back to the first site with TLS. */
  secureContextFor(servername: string): SecureContext | null;
  /** Requests currently running under this runtime. */
  inFlight: number;
}

export interface BuildRuntimeOptions {
  readonly config: Config;
  readonly generation: number;
  readonly pools: OriginPools;
  readonly recorder: Recorder;
  /** Each site's shield, kept across generations (pipeline/shield/shield-registry.ts). */
  readonly shields: SiteShields;
  readonly services: Services;
  /** Where the config came from, for error messages. */
  readonly file?: string;
  /** The list files already read (reloads read them off the event loop); read here when absent. */
  readonly listTexts?: ListFileTexts;
}

/** How a config's `tls:` block builds certificate contexts. */
export function certificateOptionsOf(config: Config): CertificateOptions {
  return { minVersion: config.tls.min_version, tickets: config.tls.session_resumption, sessionTimeoutS: Math.round(config.tls.ticket_key_rotation / 1000) };
}

function loadCertificate(site: SiteConfig, index: number, options: CertificateOptions, problems: ConfigProblem[]): SiteCertificate | null {
  if (!site.tls) return null;
  try {
    return loadSiteCertificate(site, options);
  } catch (err) {
    problems.push({ path: `sites[${index}].tls`, line: null, message: `${(err as Error).message} (${(err as BulwarkError).code ?? 'BULWARK_ERR_TLS'})` });
    return null;
  }
}

function buildGate(site: SiteConfig, index: number, services: Services, problems: ConfigProblem[]): ChallengeGate | null {
  const c = site.challenge;
  const seconds = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms / 1000));
  try {
    const defined = <T>(levels: Partial<Record<string, T | undefined>>, map: (v: T) => unknown) =>
      Object.fromEntries(Object.entries(levels).flatMap(([level, v]) => (v === undefined ? [] : [[level, map(v)]])));
    const policy = resolveChallengePolicy({
      difficulty: defined(c.difficulty, (bits) => bits),
      timeBudgetMs: defined(c.time_budget, (ms) => ms),
      referenceHashRate: c.reference_hash_rate,
      noJsWaitS: defined(c.nojs_wait, seconds),
      tokenLifetimeS: seconds(c.token_lifetime),
      clearanceLifetimeS: seconds(c.clearance_lifetime),
      noJsClearanceLifetimeS: Math.min(seconds(c.nojs_clearance_lifetime)!, seconds(c.clearance_lifetime)!),
      clearanceBinding: c.binding,
      networkMaxPrefixes: c.network_max_prefixes,
    });
    return createChallengeGate({
      site: site.name,
      siteName: c.site_name ?? site.name,
      keys: services.challenge.keys,
      replay: services.challenge.replay,
      spread: services.challenge.spread,
      random: services.challenge.random,
      policy,
      exemptions: { apiPaths: c.api_paths, feedPaths: c.feed_paths, passPaths: c.pass_paths, statusOnlyPaths: c.status_only_paths },
    });
  } catch (err) {
    problems.push({ path: `sites[${index}].challenge`, line: null, message: (err as Error).message });
    return null;
  }
}

/** Compiles a validated config. Throws ConfigError for problems only visible now (unreadable TLS files). */
export function buildRuntime(options: BuildRuntimeOptions): Runtime {
  const { config, pools } = options;
  const problems: ConfigProblem[] = [];
  const certificateOptions = certificateOptionsOf(config);
  const certificates = config.sites.map((site, i) => loadCertificate(site, i, certificateOptions, problems));
  const lists = buildLists(config.lists, config.trusted_proxies, problems, options.listTexts);
  const gates = config.sites.map((site, i) => buildGate(site, i, options.services, problems));
  const policies = config.sites.map((site, i) => {
    try {
      return buildSitePolicy({ config, site, lists, table: options.services.policy.table, levelPolicy: createLevelPolicy(), configFile: options.file });
    } catch (err) {
      problems.push({ path: `sites[${i}].policy`, line: null, message: (err as Error).message });
      return null;
    }
  });
  configureEscalation(options.services.policy, config.policy.escalation);
  configureNotFound(options.services.policy, config.policy.not_found);
  if (problems.length > 0) throw new ConfigError(options.file ?? '(config)', problems);

  const sites: SiteRuntime[] = config.sites.map((site, i) => {
    const upstreams = site.origins.map((url) => pools.acquire(url, site.origin));
    let next = 0;
    return {
      name: site.name,
      config: site,
      upstreams,
      secureContext: certificates[i]?.context ?? null,
      certificate: certificates[i] ?? null,
      stats: options.recorder.stats(site.name),
      challenge: gates[i]!,
      policy: policies[i]!,
      challengeStats: options.services.challengeStatsOf(site.name),
      shield: options.shields.forSite(site),
      laneRefusals: laneRefusals([...limitSpecs(config.policy.limits), ...limitSpecs(site.policy.limits)], policies[i]!.rules),
      refusedMethods: new Set(site.refused_methods),
      pickUpstream() {
        const u = upstreams[next]!;
        next = next + 1 === upstreams.length ? 0 : next + 1;
        return u;
      },
    };
  });
  const router: SiteRouter<SiteRuntime> = createSiteRouter(sites.map((s) => ({ hosts: s.config.hosts, site: s })));
  const sniRouter = router;
  const defaultContext = sites.find((s) => s.secureContext)?.secureContext ?? null;

  return {
    generation: options.generation,
    config,
    sites,
    isTrustedProxy: compileTrustedProxies(config.trusted_proxies),
    lists,
    services: options.services,
    route: (host) => router.route(host),
    secureContextFor(servername) {
      return sniRouter.route(servername.toLowerCase())?.secureContext ?? defaultContext;
    },
    inFlight: 0,
  };
}

/** Lets go of a retired runtime's origin pools (closed once no other generation uses them). */
export function releaseRuntime(runtime: Runtime, pools: OriginPools): void {
  for (const site of runtime.sites) for (const u of site.upstreams) pools.release(u);
}
