/**
 * What a request's User-Agent says it is: `browser`, `crawler`, `library` or `unknown` ({@link ClientClass}).
 *
 * This is a *claim*, never proof — anyone can send any User-Agent. It is good for defaults (feed readers
 * get no JavaScript challenge, `curl` at `under_attack` is refused rather than challenged) and for rules;
 * crawler verification (reverse DNS, src/core/challenge/crawlers.ts) and the challenge decide trust.
 *
 * Checked in this order, first match wins (each a single precompiled regular expression, linear in the
 * User-Agent's length, which is also cut to {@link MAX_UA_CHARS}):
 * 1. **crawler** — self-declared automated agents that fetch on behalf of a service: search engines
 *    (Googlebot, bingbot, Applebot, DuckDuckBot, YandexBot, Baiduspider, …), SEO and AI crawlers (AhrefsBot,
 *    GPTBot, CCBot, Bytespider, …), link previewers (facebookexternalhit, Twitterbot, Slackbot, WhatsApp …),
 *    monitors (UptimeRobot, Pingdom) and **feed readers** (Feedly, NewsBlur, Inoreader, Feedbin, Miniflux,
 *    Tiny Tiny RSS, FreshRSS, NetNewsWire). Feed readers count as crawlers on purpose: they poll
 *    unattended, cannot solve a challenge, and announce themselves — they deserve their own limits, not a
 *    challenge page. Also any token ending in `bot`/`Bot` (but not the `Cubot` phone brand), `crawler`,
 *    `spider`. Checked first because most crawlers also carry browser tokens (`Mozilla/5.0 …
 *    AppleWebKit … Googlebot`).
 * 2. **library** — HTTP libraries, command-line tools and automation: curl, Wget, python-requests,
 *    Python-urllib, httpx, aiohttp, Go-http-client, okhttp, axios, node-fetch, undici, Node's fetch (`node`),
 *    Java, Apache-HttpClient, libwww-perl, PostmanRuntime, HTTPie, Scrapy, Guzzle, Ruby, Dart, reqwest …
 *    and headless or scripted browsers (`HeadlessChrome`, PhantomJS, Puppeteer, Playwright, Selenium,
 *    Chrome-Lighthouse). Headless Chrome is a real engine driven by a program: it counts as a library so
 *    rules and the threat-level defaults treat it as automation (a careful bot hides the marker; the
 *    challenge, not this function, deals with those).
 * 3. **browser** — `Mozilla/5.0 (<platform>)` followed by a real engine token: `AppleWebKit/` (Chrome,
 *    Safari, Edge, Opera, Samsung Internet), `Gecko/` (Firefox), or `Trident/` inside the platform (IE 11); or the classic Opera
 *    `Opera/9.80 (…) Presto/`. A bare `Mozilla/5.0` without an engine is not enough.
 * 4. **unknown** — everything else, including an absent or empty User-Agent.
 */
import type { ClientClass } from '../vocabulary.ts';

/** Longest User-Agent prefix examined; the rest is ignored (real ones are < 300 characters). */
export const MAX_UA_CHARS = 512;

/** Crawler product tokens, matched case-insensitively anywhere. */
const CRAWLER_TOKENS = [
  // Search engines (see also src/core/challenge/crawlers.ts for the verifiable ones)
  'googlebot', 'google-inspectiontool', 'googleother', 'storebot-google', 'adsbot-google', 'mediapartners-google',
  'apis-google', 'feedfetcher-google', 'google-safety', 'google-read-aloud', 'bingbot', 'bingpreview', 'msnbot',
  'adidxbot', 'applebot', 'duckduckbot', 'duckassistbot', 'yandex(?:bot|images|mobilebot|news|accessibilitybot|renderresourcesbot|metrika)',
  'baiduspider', 'sogou web spider', 'yahoo! slurp', 'qwantbot', 'qwantify', 'seznambot', 'petalbot', 'yeti/', 'exabot',
  'mojeekbot', 'ia_archiver', 'archive\\.org_bot',
  // SEO, research and AI crawlers
  'ahrefsbot', 'semrushbot', 'mj12bot', 'dotbot', 'blexbot', 'dataforseobot', 'gptbot', 'chatgpt-user', 'oai-searchbot',
  'claudebot', 'claude-web', 'anthropic-ai', 'ccbot', 'bytespider', 'perplexitybot', 'amazonbot', 'meta-externalagent',
  'diffbot', 'imagesiftbot', 'timpibot',
  // Link previews and social
  'facebookexternalhit', 'facebookcatalog', 'twitterbot', 'linkedinbot', 'slackbot', 'slack-imgproxy', 'discordbot',
  'telegrambot', 'whatsapp/', 'pinterestbot', 'redditbot', 'embedly', 'skypeuripreview', 'vkshare', 'mastodon/',
  // Monitoring
  'uptimerobot', 'pingdom', 'statuscake', 'site24x7', 'newrelicpinger', 'better uptime bot', 'checkly',
  // Feed readers (crawlers on purpose: see the module comment)
  'feedly', 'newsblur', 'inoreader', 'feedbin', 'miniflux', 'tiny tiny rss', 'freshrss', 'netnewswire', 'theoldreader',
  'feedfetcher', 'feedburner', 'feedspot', 'bazqux', 'rss reader', 'flipboardproxy',
];

/** Library, tool and automation tokens that start a User-Agent (`curl/8.5.0`), matched case-insensitively. */
const LIBRARY_LEADING = [
  'curl', 'wget', 'python-requests', 'python-urllib', 'python-httpx', 'python/', 'aiohttp', 'httpx', 'urllib3',
  'go-http-client', 'go-resty', 'okhttp', 'axios', 'node-fetch', 'undici', 'node', 'got', 'superagent', 'java',
  'apache-httpclient', 'jakarta commons-httpclient', 'libwww-perl', 'lwp::simple', 'www-mechanize', 'mechanize',
  'postmanruntime', 'insomnia', 'httpie', 'scrapy', 'guzzlehttp', 'php', 'ruby', 'faraday', 'rest-client', 'http\\.rb',
  'typhoeus', 'excon', 'dart', 'reqwest', 'hyper', 'rust', 'winhttp', 'microsoft-cryptoapi', 'dalvik',
  'restsharp', 'k6', 'jmeter', 'apache-jmeter', 'locust', 'vegeta', 'wrk', 'hey', 'apachebench', 'siege',
  'masscan', 'zgrab', 'nuclei', 'sqlmap', 'nikto', 'nmap', 'gobuster', 'ffuf', 'dirbuster', 'wpscan', 'powershell', 'aws-sdk', 'boto3', 'botocore', 'google-api', 'grpc', 'electron-fetch', 'cpp-httplib',
  'libcurl', 'pycurl', 'httpclient', 'okhttp3', 'fasthttp', 'colly', 'heritrix',
];

/** Automation markers found anywhere in an otherwise browser-looking User-Agent. */
const LIBRARY_ANYWHERE = ['headlesschrome', 'phantomjs', 'puppeteer', 'playwright', 'selenium', 'webdriver', 'chrome-lighthouse', 'slimerjs', 'htmlunit', 'zombie\\.js', 'jsdom'];

// The token list is case-insensitive; the generic words are case-sensitive on purpose (`[Bb]ot` must not
// match the `CUBOT` phone brand), so they are two expressions.
const CRAWLER_TOKENS_RE = new RegExp(CRAWLER_TOKENS.join('|'), 'i');
const CRAWLER_GENERIC_RE = /(?<![Cc]u)[Bb]ot(?![a-z])|[Cc]rawler|[Ss]pider(?![a-z])/;
const LIBRARY_RE = new RegExp(`^\\s*(?:${LIBRARY_LEADING.join('|')})(?![a-z])|${LIBRARY_ANYWHERE.join('|')}`, 'i');
const BROWSER_RE = /^Mozilla\/5\.0 \([^)]{2,}\).*?(?:AppleWebKit\/|Gecko\/)|^Mozilla\/5\.0 \([^)]*Trident\/|^Opera\/9\.80 \([^)]+\).*?Presto\//;

/**
 * The class a User-Agent claims (see the module comment for the lists and the order). `undefined` and
 * `''` are `unknown`. Cost: two to four regular-expression tests over at most {@link MAX_UA_CHARS}
 * characters, no allocation for ordinary lengths.
 */
export function classifyUserAgent(userAgent: string | undefined): ClientClass {
  if (userAgent === undefined || userAgent.length === 0) return 'unknown';
  const ua = userAgent.length > MAX_UA_CHARS ? userAgent.slice(0, MAX_UA_CHARS) : userAgent;
  if (CRAWLER_TOKENS_RE.test(ua) || CRAWLER_GENERIC_RE.test(ua)) return 'crawler';
  if (LIBRARY_RE.test(ua)) return 'library';
  if (BROWSER_RE.test(ua)) return 'browser';
  return 'unknown';
}

/** Options of {@link createUaClassifier}. */
export interface UaClassifierOptions {
  /** User agents remembered (two generations of half this size each). Default 4096; 0 disables the memo. */
  readonly maxEntries?: number;
}

/** Fill level and hit counts of a {@link UaClassifier}'s memo, for metrics. */
export interface UaClassifierStats {
  readonly size: number;
  readonly capacity: number;
  readonly hits: number;
  readonly misses: number;
  /** Times the older generation was dropped to make room. */
  readonly rotations: number;
}

/** {@link classifyUserAgent} behind a bounded memo. */
export interface UaClassifier {
  classify(userAgent: string | undefined): ClientClass;
  stats(): UaClassifierStats;
}

/**
 * A memoised {@link classifyUserAgent}: real traffic repeats a few hundred user agents, so most requests
 * cost one Map lookup instead of several regular-expression scans (~1 µs). Bounded: two generations of
 * `maxEntries / 2`; when the young one is full it becomes the old one and the previous old one is dropped
 * (an LRU approximation with O(1) work). A flood of random user agents only churns the memo. User agents
 * longer than {@link MAX_UA_CHARS} are classified without being remembered.
 */
export function createUaClassifier(options: UaClassifierOptions = {}): UaClassifier {
  const capacity = Math.max(0, Math.floor(options.maxEntries ?? 4096));
  const half = Math.max(1, capacity >> 1);
  let young = new Map<string, ClientClass>();
  let old = new Map<string, ClientClass>();
  const counts = { hits: 0, misses: 0, rotations: 0 };
  return {
    classify(userAgent) {
      if (capacity === 0 || userAgent === undefined || userAgent.length === 0 || userAgent.length > MAX_UA_CHARS) return classifyUserAgent(userAgent);
      let c = young.get(userAgent);
      if (c !== undefined) {
        counts.hits++;
        return c;
      }
      c = old.get(userAgent);
      if (c !== undefined) counts.hits++;
      else {
        counts.misses++;
        c = classifyUserAgent(userAgent);
      }
      if (young.size >= half) {
        old = young;
        young = new Map();
        counts.rotations++;
      }
      young.set(userAgent, c);
      return c;
    },
    stats: () => ({ size: young.size + old.size, capacity, ...counts }),
  };
}
