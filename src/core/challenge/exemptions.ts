/**
 * What must never get a challenge page: requests whose client cannot solve one, or whose answer must not
 * be a page. When decide says `challenge`, enforce asks {@link Exemptions.classify} first:
 *
 * - `pass`    — let the request through the challenge (rate limits and blocks still apply): Bulwark's own
 *               `/.bulwark/` routes, ACME HTTP-01 validation (`/.well-known/acme-challenge/`, or
 *               certificates stop renewing during an attack), verified search-engine crawlers, and any
 *               configured `passPaths`.
 * - `status_only` — answer with a status and `Retry-After` (429, or 503 under attack) instead of a page
 *               it cannot solve: `robots.txt`, the rest of `/.well-known/`, configured API and feed paths,
 *               subresource and script requests (`OPTIONS` preflights, `Sec-Fetch-Dest` other than a
 *               document, or an `Accept` without HTML), and clients that are not browsers (user-agent class `library`/`crawler`,
 *               or no user agent at all).
 * - `page`    — a browser navigation (or an unknown client asking for HTML): show the challenge page.
 *
 * Path patterns are globs compiled once: `*` matches within one path segment, `**` across segments, and
 * everything else literally (`/api/**`, `/**\/feed`, `/feeds/*.xml`). They match the path only (no query),
 * case-sensitively.
 */

import type { ClientClass } from '../vocabulary.ts';

/** The verdict of {@link Exemptions.classify}. */
export type ChallengeTarget =
  | { readonly kind: 'pass'; readonly reason: 'bulwark_path' | 'acme' | 'verified_crawler' | 'pass_path' }
  | {
      readonly kind: 'status_only';
      readonly reason: 'robots_txt' | 'well_known' | 'api_path' | 'feed_path' | 'status_path' | 'subresource' | 'not_html' | 'non_browser';
    }
  | { readonly kind: 'page'; readonly reason: 'navigation' };

/** The request facts the classifier looks at. */
export interface ExemptionRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  /** The Accept header, if any. */
  readonly accept?: string;
  /** The Sec-Fetch-Dest header, if any (sent by current browsers). */
  readonly secFetchDest?: string;
  readonly clientClass: ClientClass;
  /** The User-Agent header is present and non-empty. */
  readonly hasUserAgent: boolean;
  /** Identify verified the client as a search-engine crawler (reverse + forward DNS). */
  readonly verifiedCrawler?: boolean;
}

/** Configured patterns (all optional). */
export interface ExemptionOptions {
  /** Extra paths that skip the challenge entirely. */
  readonly passPaths?: readonly string[];
  /** API paths: answered with a status, never a page. */
  readonly apiPaths?: readonly string[];
  /** Feed paths: answered with a status (feed readers cannot solve pages). Default {@link DEFAULT_FEED_PATHS}. */
  readonly feedPaths?: readonly string[];
  /** Any other paths answered with a status only. */
  readonly statusOnlyPaths?: readonly string[];
}

/** Feed locations common enough to protect by default. */
export const DEFAULT_FEED_PATHS: readonly string[] = [
  '/feed', '/feed/', '/rss', '/rss.xml', '/atom.xml', '/feed.xml', '/index.xml',
  '/**/feed', '/**/feed/', '/**/*.rss', '/**/*.atom',
];

/** A compiled classifier. */
export interface Exemptions {
  classify(request: ExemptionRequest): ChallengeTarget;
}

/** Compiles one glob to a regular expression source (anchored by the caller). */
export function globToRegExpSource(glob: string): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        // `/**/` also matches a single `/`, so `/**/feed` matches `/feed` and `/a/b/feed`.
        if (glob[i + 2] === '/') { out += '(?:.*/)?'; i += 2; } else { out += '.*'; i += 1; }
      } else {
        out += '[^/]*';
      }
    } else {
      out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return out;
}

function compile(globs: readonly string[] | undefined): RegExp | undefined {
  if (!globs || globs.length === 0) return undefined;
  for (const g of globs) {
    if (typeof g !== 'string' || !g.startsWith('/')) {
      throw Object.assign(new Error(`exemption path pattern must start with '/': ${String(g)}`), { code: 'BULWARK_ERR_CHALLENGE_EXEMPTION_PATTERN' });
    }
  }
  return new RegExp(`^(?:${globs.map(globToRegExpSource).join('|')})$`);
}

const NAVIGATION_DESTS = new Set(['document', 'iframe', 'frame', 'embed', 'object']);

function acceptsHtml(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  return accept.includes('text/html') || accept.includes('application/xhtml+xml');
}

/** Compiles the classifier. Throws BULWARK_ERR_CHALLENGE_EXEMPTION_PATTERN on a pattern not starting with `/`. */
export function createExemptions(options: ExemptionOptions = {}): Exemptions {
  const pass = compile(options.passPaths);
  const api = compile(options.apiPaths);
  const feed = compile(options.feedPaths ?? DEFAULT_FEED_PATHS);
  const statusOnly = compile(options.statusOnlyPaths);
  return {
    classify(r) {
      const path = r.path;
      if (path.startsWith('/.bulwark/')) return { kind: 'pass', reason: 'bulwark_path' };
      if (path.startsWith('/.well-known/acme-challenge/')) return { kind: 'pass', reason: 'acme' };
      if (r.verifiedCrawler === true) return { kind: 'pass', reason: 'verified_crawler' };
      if (pass?.test(path)) return { kind: 'pass', reason: 'pass_path' };
      if (path === '/robots.txt') return { kind: 'status_only', reason: 'robots_txt' };
      if (path.startsWith('/.well-known/')) return { kind: 'status_only', reason: 'well_known' };
      if (api?.test(path)) return { kind: 'status_only', reason: 'api_path' };
      if (feed?.test(path)) return { kind: 'status_only', reason: 'feed_path' };
      if (statusOnly?.test(path)) return { kind: 'status_only', reason: 'status_path' };
      if (r.method === 'OPTIONS') return { kind: 'status_only', reason: 'subresource' };
      if (r.secFetchDest !== undefined && r.secFetchDest !== '' && !NAVIGATION_DESTS.has(r.secFetchDest)) {
        return { kind: 'status_only', reason: 'subresource' };
      }
      if (!r.hasUserAgent || r.clientClass === 'library' || r.clientClass === 'crawler') return { kind: 'status_only', reason: 'non_browser' };
      if (!acceptsHtml(r.accept)) return { kind: 'status_only', reason: 'not_html' };
      return { kind: 'page', reason: 'navigation' };
    },
  };
}
