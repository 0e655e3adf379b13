/**
 * Cache keys, normalised per site so that a flood of random query strings cannot bust the cache
 * (docs/threats.md "cache busting").
 *
 * Primary key: `<method class> <scheme>://<authority><path>?<query>`, where
 * - GET and HEAD share the class `GET` (HEAD is answered from stored GET responses);
 * - the scheme and authority are the request's normalised ones (core/http/authority.ts), given by the
 *   caller: exactly what the origin is told as `Host` / `X-Forwarded-Host` and `X-Forwarded-Proto`, so a
 *   page built for one authority is never filed under another (web cache poisoning); lower-cased;
 * - percent-escapes are normalised (RFC 3986 §6.2.2: upper-case hex, unreserved characters decoded);
 * - query parameters are sorted by name (stable: repeated names keep their order), empty ones dropped,
 *   tracking parameters ({@link DEFAULT_TRACKING_PARAMS} plus configured ones) dropped;
 * - on paths matching an "ignore query" pattern the whole query is dropped.
 *
 * Because the key merges requests the origin might tell apart, the edge must forward the *normalised*
 * target ({@link CacheKeyer.normalizeTarget}) for requests it may cache: the stored response is then
 * exactly the answer to what the key says, and an attacker cannot plant `/?a=1&b=2`'s answer under a
 * key real visitors use for something else.
 *
 * Secondary key: the values of the request fields a response `Vary`s on ({@link variantKey}).
 */
import type { HeaderGetter } from './cache-control.ts';

/** What the keyer reads from a request. */
export interface CacheKeyRequest {
  /** Upper-case method. */
  readonly method: string;
  /** Scheme and normalised authority, as the origin is told them (`https://example.org:8443`). */
  readonly host: string;
  /** Request target in origin form, with its query (`/a/b?x=1`). */
  readonly path: string;
}

/** Options compiled once per site by {@link createCacheKeyer}. */
export interface CacheKeyOptions {
  /** Query parameter names to drop besides the defaults; `name*` drops by prefix; case-insensitive. */
  readonly dropParams?: readonly string[];
  /** Drop {@link DEFAULT_TRACKING_PARAMS} (default true). */
  readonly dropTrackingParams?: boolean;
  /**
   * Paths whose query is ignored entirely: glob patterns over the path (no query), `*` = any run of
   * characters except `/`, `**` = anything. E.g. `/`, `/news/*`, `/assets/**`.
   */
  readonly ignoreQueryPaths?: readonly string[];
}

/**
 * Parameters dropped by default: campaign tags and ad click ids that never change a page (`utm_*` by
 * prefix; sources: Google, Meta, Microsoft, Mailchimp, HubSpot, Marketo, Yandex, TikTok), and the
 * common cache busters, which exist only to defeat caches — exactly what a flood uses them for.
 */
export const DEFAULT_TRACKING_PARAMS: readonly string[] = Object.freeze([
  'utm_*', 'fbclid', 'gclid', 'gclsrc', 'dclid', 'gbraid', 'wbraid', 'msclkid', 'mc_cid', 'mc_eid',
  '_ga', '_gl', 'yclid', 'igshid', 'twclid', 'ttclid', 'li_fat_id', '_hsenc', '_hsmi', '__hssc',
  '__hstc', '__hsfp', 'hsctatracking', 'mkt_tok', 'oly_anon_id', 'oly_enc_id', 'vero_id', 'vero_conv',
  'wickedid', 'rb_clickid', 's_kwcid', 'ef_id', 'srsltid',
  // Cache busters: parameters whose only purpose is to defeat caches (jQuery's `_=<timestamp>`).
  '_', 'cachebust*', 'cache_bust*', 'nocache',
]);

/** Computes the primary cache key of a request; also normalises targets for forwarding. */
export interface CacheKeyer {
  (req: CacheKeyRequest): string;
  /** The normalised `path?query` (same rules as the key): forward this to the origin when caching. */
  readonly normalizeTarget: (target: string) => string;
  /**
   * The key from a target already normalised by {@link normalizeTarget} (equal to `keyer(req)` for it):
   * a caller that needs both normalises once.
   */
  readonly keyOfTarget: (method: string, host: string, normalizedTarget: string) => string;
}

/**
 * Compiles key options once (drop set, prefix list, one RegExp for all ignore-query patterns) and
 * returns the per-request keyer. A request without query or `%` costs one string concatenation.
 */
export function createCacheKeyer(options: CacheKeyOptions = {}): CacheKeyer {
  const names = [...(options.dropTrackingParams === false ? [] : DEFAULT_TRACKING_PARAMS), ...(options.dropParams ?? [])];
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const raw of names) {
    const n = raw.toLowerCase();
    if (n.endsWith('*')) prefixes.push(n.slice(0, -1));
    else exact.add(n);
  }
  const ignore = compileGlobs(options.ignoreQueryPaths ?? []);
  const drop = (name: string): boolean => {
    const n = name.toLowerCase();
    if (exact.has(n)) return true;
    for (const p of prefixes) if (n.startsWith(p)) return true;
    return false;
  };
  const normalizeTarget = (target: string): string => {
    const q = target.indexOf('?');
    const path = normalizePercent(q < 0 ? target : target.slice(0, q));
    if (q < 0 || q === target.length - 1 || (ignore !== undefined && ignore.test(path))) return path;
    const query = normalizeQuery(target.slice(q + 1), drop);
    return query.length === 0 ? path : `${path}?${query}`;
  };
  const keyOfTarget = (method: string, host: string, normalizedTarget: string): string => {
    const cls = method === 'GET' || method === 'HEAD' ? 'GET' : method;
    return `${cls} ${host.toLowerCase()}${normalizedTarget}`;
  };
  const keyer = (req: CacheKeyRequest): string => keyOfTarget(req.method, req.host, normalizeTarget(req.path));
  return Object.assign(keyer, { normalizeTarget, keyOfTarget });
}

/** Compiles glob patterns into one anchored RegExp (`undefined` when there are none). */
function compileGlobs(patterns: readonly string[]): RegExp | undefined {
  if (patterns.length === 0) return undefined;
  const parts = patterns.map((p) => {
    if (!p.startsWith('/')) {
      throw Object.assign(new Error(`ignore-query pattern must start with "/": ${p}`), { code: 'BULWARK_ERR_CACHE_KEY_PATTERN' });
    }
    let out = '';
    for (let i = 0; i < p.length; i++) {
      const c = p[i];
      if (c === '*') {
        if (p[i + 1] === '*') {
          out += '.*';
          i++;
        } else out += '[^/]*';
      } else out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
    }
    return out;
  });
  return new RegExp(`^(?:${parts.join('|')})$`);
}

/** Drops empty and dropped parameters, normalises escapes, sorts by name (stable). */
function normalizeQuery(query: string, drop: (name: string) => boolean): string {
  const kept: string[] = [];
  const names: string[] = [];
  let start = 0;
  while (start <= query.length) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    if (end > start) {
      const param = normalizePercent(query.slice(start, end));
      const eq = param.indexOf('=');
      const name = eq < 0 ? param : param.slice(0, eq);
      if (!drop(name)) {
        kept.push(param);
        names.push(name);
      }
    }
    start = end + 1;
  }
  const n = kept.length;
  if (n <= 1) return n === 0 ? '' : kept[0];
  if (n <= 16) insertionSort(kept, names);
  else {
    // Many parameters (an attacker's, usually): O(n log n), never the quadratic insertion sort.
    const order = kept.map((_, i) => i).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : a - b));
    const sorted = order.map((i) => kept[i]);
    return sorted.join('&');
  }
  return kept.join('&');
}

/** Stable in-place sort of `params` by `names` (parallel arrays); for short lists. */
function insertionSort(params: string[], names: string[]): void {
  for (let i = 1; i < params.length; i++) {
    const p = params[i];
    const name = names[i];
    let j = i - 1;
    while (j >= 0 && names[j] > name) {
      params[j + 1] = params[j];
      names[j + 1] = names[j];
      j--;
    }
    params[j + 1] = p;
    names[j + 1] = name;
  }
}

const PCT = /%([0-9a-fA-F]{2})/g;

/** RFC 3986 §6.2.2.1–2: upper-case percent-escape hex digits, decode escaped unreserved characters. */
export function normalizePercent(s: string): string {
  if (s.indexOf('%') < 0) return s;
  return s.replace(PCT, (_, hex: string) => {
    const c = parseInt(hex, 16);
    const unreserved =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f || c === 0x7e;
    return unreserved ? String.fromCharCode(c) : `%${hex.toUpperCase()}`;
  });
}

/**
 * The secondary key: the values of the request fields named by a response's `Vary` (lower-case,
 * sorted, as {@link parseVary} returns them), trimmed, with spaces around commas removed
 * (RFC 9111 §4.1 allows normalising). `''` when `vary` is empty. An absent field and an empty one differ.
 */
export function variantKey(vary: readonly string[], header: HeaderGetter): string {
  if (vary.length === 0) return '';
  let out = '';
  for (let i = 0; i < vary.length; i++) {
    const v = header(vary[i]);
    out += v === undefined ? '\u0000' : `=${v.trim().replace(/\s*,\s*/g, ',')}`;
    out += '\n';
  }
  return out;
}
