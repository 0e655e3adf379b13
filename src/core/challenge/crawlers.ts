/**
 * Search-engine crawlers Bulwark lets through a challenge once verified, and the pure parts of verifying
 * them: which crawler a user agent claims to be, and whether a host name belongs to it.
 *
 * Verification (done by src/runtime/crawler-verify.ts, which owns the DNS I/O) is the method the search
 * engines themselves document: reverse DNS (PTR) of the client address must give a name under one of the
 * crawler's published domains, and a forward lookup of that name must return the same address (so a PTR
 * record the attacker controls for his own addresses proves nothing).
 *
 * The list: user-agent tokens and host suffixes as published by each operator (Google: "Verifying
 * Googlebot and other Google crawlers"; Bing: "Verifying Bingbot"; Apple: "About Applebot"; Yandex,
 * Baidu, Qwant, Seznam, Naver, Yahoo, Petal likewise). DuckDuckBot publishes addresses, not host names,
 * so it cannot be verified this way: its entry has no suffixes and never verifies — allow-list its
 * published addresses instead. Operators can extend the list through the verifier's options.
 */

/** One crawler: its name, how its user agent names it, and the domains its addresses resolve under. */
export interface CrawlerSpec {
  /** Stable name for logs and metrics, e.g. `googlebot`. */
  readonly name: string;
  /** Case-insensitive user-agent substrings that claim this crawler. */
  readonly userAgentTokens: readonly string[];
  /** Host-name suffixes (without leading dot); a name verifies if equal to one or ending in `.` + one. */
  readonly hostSuffixes: readonly string[];
}

/** The crawler list shipped with Bulwark. */
export const KNOWN_CRAWLERS: readonly CrawlerSpec[] = [
  {
    name: 'googlebot',
    userAgentTokens: ['Googlebot', 'Google-InspectionTool', 'GoogleOther', 'Storebot-Google', 'AdsBot-Google', 'Mediapartners-Google', 'APIs-Google', 'FeedFetcher-Google', 'Google-Safety'],
    hostSuffixes: ['googlebot.com', 'google.com', 'googleusercontent.com'],
  },
  { name: 'bingbot', userAgentTokens: ['bingbot', 'BingPreview', 'msnbot', 'adidxbot'], hostSuffixes: ['search.msn.com'] },
  { name: 'applebot', userAgentTokens: ['Applebot'], hostSuffixes: ['applebot.apple.com'] },
  { name: 'yandexbot', userAgentTokens: ['YandexBot', 'YandexImages', 'YandexMobileBot', 'YandexNews', 'YandexAccessibilityBot', 'YandexRenderResourcesBot'], hostSuffixes: ['yandex.ru', 'yandex.net', 'yandex.com'] },
  { name: 'baiduspider', userAgentTokens: ['Baiduspider'], hostSuffixes: ['baidu.com', 'baidu.jp'] },
  { name: 'qwantbot', userAgentTokens: ['Qwantbot', 'Qwantify'], hostSuffixes: ['qwant.com'] },
  { name: 'seznambot', userAgentTokens: ['SeznamBot'], hostSuffixes: ['seznam.cz'] },
  { name: 'naver-yeti', userAgentTokens: ['Yeti/'], hostSuffixes: ['naver.com'] },
  { name: 'yahoo-slurp', userAgentTokens: ['Yahoo! Slurp'], hostSuffixes: ['crawl.yahoo.net'] },
  { name: 'petalbot', userAgentTokens: ['PetalBot'], hostSuffixes: ['petalsearch.com'] },
  { name: 'duckduckbot', userAgentTokens: ['DuckDuckBot'], hostSuffixes: [] },
];

/** A compiled matcher over a crawler list. */
export interface CrawlerMatcher {
  /** The crawler a user agent claims to be, or undefined. One regular-expression test in the common case. */
  claimed(userAgent: string | undefined): CrawlerSpec | undefined;
  readonly crawlers: readonly CrawlerSpec[];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Compiles a matcher (default: {@link KNOWN_CRAWLERS}). The first crawler whose token matches wins. */
export function createCrawlerMatcher(crawlers: readonly CrawlerSpec[] = KNOWN_CRAWLERS): CrawlerMatcher {
  const tokens = crawlers.flatMap((c) => c.userAgentTokens);
  const any = tokens.length > 0 ? new RegExp(tokens.map(escapeRegExp).join('|'), 'i') : undefined;
  const each = crawlers.map((c) => ({ spec: c, re: new RegExp(c.userAgentTokens.map(escapeRegExp).join('|') || '(?!)', 'i') }));
  return {
    crawlers,
    claimed(userAgent) {
      if (userAgent === undefined || any === undefined || !any.test(userAgent)) return undefined;
      for (const { spec, re } of each) if (re.test(userAgent)) return spec;
      return undefined;
    },
  };
}

/**
 * Whether `host` (a PTR answer, trailing dot allowed, any case) is one of `suffixes` or lies under one on
 * a label boundary (`crawl-1.googlebot.com` matches `googlebot.com`; `evilgooglebot.com` does not).
 */
export function hostMatchesSuffix(host: string, suffixes: readonly string[]): boolean {
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  for (const suffix of suffixes) {
    const s = suffix.toLowerCase();
    if (h === s || (h.length > s.length && h.endsWith(s) && h.charCodeAt(h.length - s.length - 1) === 0x2e)) return true;
  }
  return false;
}
