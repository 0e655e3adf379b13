/**
 * The shapes attack traffic takes: which paths (fixed, cache-busting query strings, random 404 paths)
 * and which headers (one browser-like set, rotating user agents, rotating whole header sets in their own
 * order). Randomness comes from a seeded generator so a botnet can be replayed exactly (recurrence drill).
 */
import { randomInt } from 'node:crypto';

/** A source of uniform numbers in [0, 1). */
export type Random = () => number;

/** A small seeded generator (mulberry32): same seed, same traffic. Without a seed, a random one. */
export function createRandom(seed: number = randomInt(2 ** 31)): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random lowercase base-36 token of `n` characters. */
export function token(random: Random, n = 8): string {
  let out = '';
  for (let i = 0; i < n; i++) out += Math.floor(random() * 36).toString(36);
  return out;
}

/** One element chosen uniformly. */
export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}

/**
 * Which paths requests go to:
 * - `fixed`: one of `paths` at random;
 * - `cache_bust`: one of `paths` plus a random query parameter (`?<param>=<token>`, default `_`);
 * - `random_404`: a fresh random path under `prefix` (default `/`), e.g. `/k3j9x0q2/a81mzz.php`.
 */
export type PathMode =
  | { readonly kind: 'fixed'; readonly paths: readonly string[] }
  | { readonly kind: 'cache_bust'; readonly paths: readonly string[]; readonly param?: string }
  | { readonly kind: 'random_404'; readonly prefix?: string };

/** The path (with query) of the next request. */
export function nextPath(mode: PathMode, random: Random): string {
  switch (mode.kind) {
    case 'fixed':
      return pick(random, mode.paths);
    case 'cache_bust': {
      const path = pick(random, mode.paths);
      return `${path}${path.includes('?') ? '&' : '?'}${mode.param ?? '_'}=${token(random, 10)}`;
    }
    case 'random_404':
      return `${mode.prefix ?? '/'}${token(random, 8)}/${token(random, 6)}${pick(random, ['', '.php', '.html', '/'])}`;
  }
}

/** Realistic user agents (desktop and mobile browsers of 2025–2026). */
export const BROWSER_USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0',
  'Mozilla/5.0 (X11; Linux x86_64; rv:139.0) Gecko/20100101 Firefox/139.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36 Edg/138.0.0.0',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36',
];

/** Headers as [name, value] pairs in wire order (order matters to header-order fingerprints). */
export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** A Chrome-like navigation header set, in Chrome's order. */
export const CHROME_HEADERS: HeaderList = [
  ['sec-ch-ua', '"Chromium";v="138", "Not)A;Brand";v="8", "Google Chrome";v="138"'],
  ['sec-ch-ua-mobile', '?0'],
  ['sec-ch-ua-platform', '"Windows"'],
  ['upgrade-insecure-requests', '1'],
  ['user-agent', BROWSER_USER_AGENTS[0]],
  ['accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8'],
  ['sec-fetch-site', 'none'],
  ['sec-fetch-mode', 'navigate'],
  ['sec-fetch-user', '?1'],
  ['sec-fetch-dest', 'document'],
  ['accept-encoding', 'gzip, deflate, br, zstd'],
  ['accept-language', 'en-US,en;q=0.9'],
];

/** Whole header sets of different clients, each in its own order (for rotation). */
export const HEADER_SETS: readonly HeaderList[] = [
  CHROME_HEADERS,
  [
    ['User-Agent', BROWSER_USER_AGENTS[3]],
    ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['Accept-Language', 'en-US,en;q=0.5'],
    ['Accept-Encoding', 'gzip, deflate, br, zstd'],
    ['Connection', 'keep-alive'],
    ['Upgrade-Insecure-Requests', '1'],
    ['Sec-Fetch-Dest', 'document'],
    ['Sec-Fetch-Mode', 'navigate'],
    ['Sec-Fetch-Site', 'none'],
    ['Sec-Fetch-User', '?1'],
    ['Priority', 'u=0, i'],
  ],
  [
    ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ['Sec-Fetch-Site', 'none'],
    ['Accept-Encoding', 'gzip, deflate, br'],
    ['Sec-Fetch-Mode', 'navigate'],
    ['User-Agent', BROWSER_USER_AGENTS[5]],
    ['Accept-Language', 'en-US,en;q=0.9'],
    ['Sec-Fetch-Dest', 'document'],
  ],
  [
    ['User-Agent', 'curl/8.14.1'],
    ['Accept', '*/*'],
  ],
  [
    ['User-Agent', 'python-requests/2.32.4'],
    ['Accept-Encoding', 'gzip, deflate'],
    ['Accept', '*/*'],
    ['Connection', 'keep-alive'],
  ],
  [
    ['User-Agent', 'Go-http-client/1.1'],
    ['Accept-Encoding', 'gzip'],
  ],
];

/**
 * Which headers requests carry:
 * - `browser`: {@link CHROME_HEADERS} every time;
 * - `rotate_ua`: Chrome's set with a user agent drawn from {@link BROWSER_USER_AGENTS};
 * - `rotate_sets`: a set drawn from {@link HEADER_SETS}, its order shuffled when `shuffleOrder`;
 * - `fixed`: exactly the given list.
 */
export type HeaderMode =
  | { readonly kind: 'browser' }
  | { readonly kind: 'rotate_ua' }
  | { readonly kind: 'rotate_sets'; readonly shuffleOrder?: boolean }
  | { readonly kind: 'fixed'; readonly headers: HeaderList };

const withoutConnection = (list: HeaderList): HeaderList => list.filter(([n]) => n.toLowerCase() !== 'connection');
const CHROME_SENDABLE = withoutConnection(CHROME_HEADERS);
const SETS_SENDABLE = HEADER_SETS.map(withoutConnection);

/** The headers of the next request, in order. `Connection` fields are dropped (undici manages them). */
export function nextHeaders(mode: HeaderMode, random: Random): HeaderList {
  switch (mode.kind) {
    case 'browser':
      return CHROME_SENDABLE;
    case 'rotate_ua': {
      const ua = pick(random, BROWSER_USER_AGENTS);
      return CHROME_SENDABLE.map(([n, v]) => [n, n === 'user-agent' ? ua : v] as const);
    }
    case 'rotate_sets': {
      const set = pick(random, SETS_SENDABLE);
      return mode.shuffleOrder ? shuffled(set, random) : set;
    }
    case 'fixed':
      return withoutConnection(mode.headers);
  }
}

const flatCache = new WeakMap<HeaderList, string[]>();

/**
 * Flattens a header list into undici's `[name, value, …]` form (order kept). Lists reused across
 * requests (the constant sets) are flattened once; callers must not modify the result.
 */
export function flatHeaders(list: HeaderList): string[] {
  const cached = flatCache.get(list);
  if (cached) return cached;
  const flat = list.flatMap(([n, v]) => [n, v]);
  if (list === CHROME_SENDABLE || SETS_SENDABLE.includes(list)) flatCache.set(list, flat);
  return flat;
}

function shuffled<T>(items: readonly T[], random: Random): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
