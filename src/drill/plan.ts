/**
 * A drill run's plan: the options `runDrill` takes, the drill's defaults, and `resolvePlan`, which fills
 * in the scenario's defaults and then the drill's, and checks every bound against the hard ceilings
 * before anything starts, so a bad option is refused with all its problems named at once.
 */
import { randomInt } from 'node:crypto';
import { DrillError } from './errors.ts';
import { checkBounds, HARD_CEILINGS } from './attackers/bounds.ts';
import type { VisitorKind } from './visitors/visitor-stats.ts';
import type { ProtectorFactory } from './bulwark-process.ts';
import { PAGE_LATENCY_MS, type OriginPages } from './scenarios/site.ts';
import type { DrillSettings, Scenario } from './scenarios/context.ts';

/** Options of {@link runDrill}; everything but `scenario` has a default (the scenario's, then these). */
export interface DrillOptions {
  /** Scenario name (see `bulwark drill --list`) or object. */
  readonly scenario: string | Scenario;
  /** bulwark.yaml path or config data for the Bulwark the drill starts; default the demo config. */
  readonly config?: string | Readonly<Record<string, unknown>>;
  /** Site of the config to drill (default the first). */
  readonly site?: string;
  /** URL of an already running deployment (loopback only); then nothing is started. */
  readonly target?: string;
  /** Admin URL of that deployment (loopback only), for origin figures from its /stats. */
  readonly admin?: string;
  readonly durationS?: number;
  /** Attack requests per second (connections per second for connection attacks). */
  readonly rate?: number;
  readonly sources?: number;
  /** The origin fixture's capacity (concurrent requests). Default 64. With `target`: as declared, else unknown. */
  readonly capacity?: number;
  /** Attack requests at most. Default rate × duration × 1.1. */
  readonly maxRequests?: number;
  /** Attack sockets at most. Default the scenario's, else 512. */
  readonly maxSockets?: number;
  /**
   * Simulated visitors by kind. Default 6 browsers, 2 no-JS, 2 API, plus 4 browsers arriving during the
   * attack's first seconds on pages that cannot be cached (`onset`) and 10 browsers behind one shared
   * address (`shared`).
   */
  readonly visitors?: { readonly browsers?: number; readonly nojs?: number; readonly api?: number; readonly onset?: number; readonly shared?: number };
  /** The origin fixture's pages: the newsroom's own caching (default), or every page `private, no-store`. */
  readonly originPages?: OriginPages;
  /** Latency of the fixture's ordinary pages in ms (default {@link PAGE_LATENCY_MS}). */
  readonly pageLatencyMs?: number;
  /** Mean pause between one visitor's visits. Default 500 ms. */
  readonly visitorThinkMs?: number;
  /** Visitors alone before the attack. Default 1 s. */
  readonly warmupS?: number;
  readonly seed?: number;
  /**
   * Kill the Bulwark the drill started with SIGKILL this many seconds into the attack (`true`: half way)
   * and start it again on the same state, to measure the protection a restart loses (the report's
   * `restart`). Not with `--target` or a reference protector.
   */
  readonly restart?: boolean | number;
  /** Only for the CLI: print JSON instead of the table (runDrill returns the report either way). */
  readonly json?: boolean;
  /** What protects the fixture: Bulwark (default), nothing (reference), or another protector (nginx). */
  readonly protection?: 'bulwark' | 'none' | ProtectorFactory;
  /** Command running Bulwark (default node + dist/cli.js). */
  readonly bulwarkCommand?: readonly string[];
  readonly signal?: AbortSignal;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

/** Default origin capacity (concurrent requests) of the fixture. */
export const DEFAULT_CAPACITY = 64;
/** Default visitors by kind. */
export const DEFAULT_VISITORS: Readonly<Record<VisitorKind, number>> = { browser: 6, nojs: 2, api: 2 };
/** Default browsers arriving during the onset, and behind one shared address. */
export const DEFAULT_VISITOR_GROUPS: Readonly<{ onset: number; shared: number }> = { onset: 4, shared: 10 };
/** How long a shared-address browser reads a page before the next (people behind a NAT, not a bench). */
export const SHARED_THINK_MS = 2_000;
/** How long a browser stays on a page that retries itself before the drill gives up on it. */
export const FOLLOW_REFRESH_MAX_MS = 60_000;

/** The resolved plan of a run. */
export interface DrillPlan {
  readonly settings: DrillSettings;
  readonly capacity: number | null;
  readonly visitors: Readonly<Record<VisitorKind, number>>;
  /** Onset and shared-address browsers (on top of `visitors.browser`). */
  readonly visitorGroups: Readonly<{ onset: number; shared: number }>;
  readonly visitorMaxRequests: number;
  readonly visitorThinkMs: number;
  readonly warmupS: number;
  /** Seconds into the attack the protector is killed and restarted; null: no restart. */
  readonly restartAtS: number | null;
  readonly originPages: OriginPages;
  readonly pageLatencyMs: number;
}

/**
 * Applies defaults (the scenario's, then the drill's) and checks every bound against the hard ceilings;
 * throws `BULWARK_ERR_DRILL_BOUNDS` naming every bad option.
 */
export function resolvePlan(scenario: Scenario, o: Omit<DrillOptions, 'scenario'>): DrillPlan {
  const d = scenario.defaults;
  const durationS = o.durationS ?? d.durationS;
  const rate = o.rate ?? d.rate;
  const maxRequests = o.maxRequests ?? Math.max(1, Math.ceil(rate * durationS * 1.1));
  const maxSockets = o.maxSockets ?? d.maxSockets ?? 512;
  checkBounds({ maxRequests, maxDurationMs: Math.round(durationS * 1000), maxSockets });
  const sources = o.sources ?? d.sources;
  const visitors = { browser: o.visitors?.browsers ?? DEFAULT_VISITORS.browser, nojs: o.visitors?.nojs ?? DEFAULT_VISITORS.nojs, api: o.visitors?.api ?? DEFAULT_VISITORS.api };
  const visitorGroups = { onset: o.visitors?.onset ?? DEFAULT_VISITOR_GROUPS.onset, shared: o.visitors?.shared ?? DEFAULT_VISITOR_GROUPS.shared };
  const warmupS = o.warmupS ?? d.warmupS ?? 1;
  const total = visitors.browser + visitors.nojs + visitors.api + visitorGroups.onset + visitorGroups.shared;
  const pageLatencyMs = o.pageLatencyMs ?? PAGE_LATENCY_MS;
  const visitorThinkMs = o.visitorThinkMs ?? 500;
  const restartAtS = o.restart === undefined || o.restart === false ? null : o.restart === true ? durationS / 2 : o.restart;
  const problems = [
    restartAtS !== null && !(restartAtS > 0 && restartAtS < durationS) ? `restart=${restartAtS} (seconds into the attack, within its ${durationS} s)` : '',
    restartAtS !== null && (o.target !== undefined || (o.protection !== undefined && o.protection !== 'bulwark')) ? 'restart (only for a Bulwark the drill starts itself)' : '',
    !Number.isInteger(sources) || sources < 1 ? `sources=${sources} (a positive integer)` : '',
    !(rate > 0 && Number.isFinite(rate)) ? `rate=${rate} (a positive number)` : '',
    !(warmupS >= 0 && warmupS <= 60) ? `warmupS=${warmupS} (0..60)` : '',
    !(visitorThinkMs > 0) ? `visitorThinkMs=${visitorThinkMs} (positive)` : '',
    [...Object.values(visitors), ...Object.values(visitorGroups)].some((n) => !Number.isInteger(n) || n < 0) || total > 1000 ? `visitors=${JSON.stringify({ ...visitors, ...visitorGroups })} (0..1000 in all)` : '',
    !(Number.isFinite(pageLatencyMs) && pageLatencyMs >= 0 && pageLatencyMs <= 10_000) ? `pageLatencyMs=${pageLatencyMs} (0..10000)` : '',
  ].filter(Boolean);
  if (problems.length > 0) throw new DrillError('BULWARK_ERR_DRILL_BOUNDS', `invalid drill options: ${problems.join(', ')}`);
  const perVisitorPerS = (2 * 1000) / visitorThinkMs; // a browser visit is a page and its asset
  const visitorMaxRequests = Math.min(HARD_CEILINGS.maxRequests, Math.max(1, Math.ceil(total * perVisitorPerS * (warmupS + durationS + 2) * 2)));
  const capacity = o.capacity ?? (o.target === undefined ? DEFAULT_CAPACITY : null);
  const seed = o.seed ?? randomInt(2 ** 31);
  return {
    settings: { durationS, rate, sources, maxRequests, maxSockets, seed },
    capacity,
    visitors,
    visitorGroups,
    visitorMaxRequests,
    visitorThinkMs,
    warmupS,
    originPages: o.originPages ?? 'site',
    pageLatencyMs,
    restartAtS,
  };
}

