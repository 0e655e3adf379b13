/**
 * The site the drill's origin fixture plays — a small newsroom: a cacheable front page, uncacheable
 * article pages, long-cached assets, a feed, a JSON API and two expensive endpoints (`/search`,
 * `/login`); any other path is a 404 (so random-path storms look like they do on a real site). Also
 * what the simulated visitors ask for, and the flood options every request scenario shares.
 */
import type { OriginFixtureOptions } from '../origin-fixture.ts';
import type { FloodOptions } from '../attackers/http-flood.ts';
import type { SourceRange } from '../source-pool.ts';
import type { ScenarioContext } from './context.ts';

/** Latency of ordinary pages at the fixture (ms). */
export const PAGE_LATENCY_MS = 10;
/** Latency of the expensive endpoint `/search` at the fixture (ms). */
export const SEARCH_LATENCY_MS = 150;
/** Latency of the expensive endpoint `/login` at the fixture (ms). */
export const LOGIN_LATENCY_MS = 100;

/** Article pages floods and visitors use. */
export const ARTICLE_PAGES: readonly string[] = ['/news/1', '/news/2', '/news/3'];

/**
 * How the fixture's pages may be cached: `site` — the newsroom's own headers (a cacheable front page,
 * feed and assets; uncacheable articles and API); `no-store` — every page `private, no-store`, as on a
 * site that personalises everything: nothing can be answered from a cache, every request is the origin's.
 */
export type OriginPages = 'site' | 'no-store';

/** The fixture's options for the newsroom site (capacity and classify are the runner's). */
export function newsroomFixture(o: { readonly pages?: OriginPages; readonly latencyMs?: number } = {}): Pick<OriginFixtureOptions, 'latencyMs' | 'paths' | 'unknownPathStatus' | 'bodyBytes'> {
  const cc = (own: string) => (o.pages === 'no-store' ? 'private, no-store' : own);
  return {
    latencyMs: o.latencyMs ?? PAGE_LATENCY_MS,
    bodyBytes: 4096,
    unknownPathStatus: 404,
    paths: {
      '/': { cacheControl: cc('public, max-age=10') },
      '/news/*': { cacheControl: cc('no-store') },
      '/assets/*': { cacheControl: cc('public, max-age=3600') },
      '/feed': { cacheControl: cc('public, max-age=60') },
      '/api/*': { cacheControl: cc('no-store') },
      '/search': { cacheControl: cc('no-store'), latencyMs: SEARCH_LATENCY_MS },
      '/login': { cacheControl: cc('no-store'), latencyMs: LOGIN_LATENCY_MS },
    },
  };
}

/** What each kind of visitor asks for: the newsroom's pages, or only `/` on someone else's deployment. */
export function visitorPaths(ownSite: boolean): { browser: string[]; nojs: string[]; api: string[] } {
  if (!ownSite) return { browser: ['/'], nojs: ['/'], api: ['/'] };
  return { browser: ['/', ...ARTICLE_PAGES], nojs: ['/', '/feed'], api: ['/api/items', '/api/status'] };
}

/** Attacker sources spread one per /24 from 127.1.0.0 (distinct networks, as a botnet's are). */
export const BOTNET_RANGE: SourceRange = { spread: 'many_24', block: 1 };
/** A second, unrelated botnet (127.120.0.0 onwards) for the recurrence scenario's copycat. */
export const OTHER_BOTNET_RANGE: SourceRange = { spread: 'many_24', block: 120 };

/** Describes a range for reports, e.g. `127.1.0.0+ one per /24 (20 sources)`. */
export function describeRange(range: SourceRange, sources: number): string {
  return `127.${range.block ?? 1}.0.0+ ${range.spread === 'many_24' ? 'one per /24' : range.spread ?? 'per_address'} (${sources} sources)`;
}

/**
 * The options every request flood of a scenario shares: the target, the sources, the overall rate, the
 * run's bounds (duration, request budget, sockets) and its signal. Open loop: up to `maxSockets` requests
 * in flight, so a slow answer does not slow the attacker down (as with a real botnet).
 */
export function floodBase(ctx: ScenarioContext, overrides: Partial<FloodOptions> = {}): FloodOptions {
  const s = ctx.settings;
  return {
    target: ctx.target,
    sources: s.sources,
    sourceRange: BOTNET_RANGE,
    ratePerS: s.rate,
    concurrency: s.maxSockets,
    seed: s.seed,
    requestTimeoutMs: Math.min(5000, s.durationS * 1000),
    bounds: { maxRequests: s.maxRequests, maxDurationMs: s.durationS * 1000, maxSockets: s.maxSockets },
    signal: ctx.signal,
    ...overrides,
  };
}
