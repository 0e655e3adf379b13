import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientClass } from '../vocabulary.ts';
import { classifyUserAgent, createUaClassifier, MAX_UA_CHARS } from './ua-class.ts';

const CASES: ReadonlyArray<readonly [ClientClass, string]> = [
  // Browsers
  ['browser', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'],
  ['browser', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15'],
  ['browser', 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'],
  ['browser', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'],
  ['browser', 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36'],
  ['browser', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0'],
  ['browser', 'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko'],
  ['browser', 'Opera/9.80 (Windows NT 6.1; U; en) Presto/2.12.388 Version/12.18'],
  ['browser', 'Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36'],
  ['browser', 'Mozilla/5.0 (Linux; Android 9; Cubot P40) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36'],
  // Crawlers: search engines
  ['crawler', 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
  ['crawler', 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
  ['crawler', 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0 Safari/537.36'],
  ['crawler', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)'],
  ['crawler', 'DuckDuckBot-Https/1.1; (+https://duckduckgo.com/duckduckbot)'],
  ['crawler', 'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)'],
  ['crawler', 'Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)'],
  ['crawler', 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.1; +https://openai.com/gptbot)'],
  ['crawler', 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)'],
  ['crawler', 'Twitterbot/1.0'],
  ['crawler', 'WhatsApp/2.23.20.0 A'],
  ['crawler', 'Mozilla/5.0 (compatible; SomeNewCrawler/1.0)'],
  ['crawler', 'Mozilla/5.0 (compatible; ExampleBot/0.1; +https://example.org/bot)'],
  ['crawler', 'Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)'],
  // Feed readers count as crawlers
  ['crawler', 'Feedly/1.0 (+http://www.feedly.com/fetcher.html; 16 subscribers; like FeedFetcher-Google)'],
  ['crawler', 'NewsBlur Feed Fetcher - 5 subscribers - https://www.newsblur.com/site/1/example (Mozilla/5.0 (Macintosh))'],
  ['crawler', 'Mozilla/5.0 (compatible; inoreader.com; 12 subscribers)'],
  ['crawler', 'Miniflux/2.1.0 (https://miniflux.app)'],
  ['crawler', 'Tiny Tiny RSS/23.04 (https://tt-rss.org/)'],
  // Libraries, tools, automation
  ['library', 'curl/8.5.0'],
  ['library', 'Wget/1.21.4'],
  ['library', 'python-requests/2.31.0'],
  ['library', 'Python-urllib/3.11'],
  ['library', 'Python/3.11 aiohttp/3.9.1'],
  ['library', 'python-httpx/0.27.0'],
  ['library', 'Go-http-client/1.1'],
  ['library', 'Go-http-client/2.0'],
  ['library', 'okhttp/4.12.0'],
  ['library', 'axios/1.6.8'],
  ['library', 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)'],
  ['library', 'node'],
  ['library', 'undici'],
  ['library', 'Java/17.0.2'],
  ['library', 'Apache-HttpClient/4.5.14 (Java/17.0.2)'],
  ['library', 'libwww-perl/6.72'],
  ['library', 'PostmanRuntime/7.37.0'],
  ['library', 'HTTPie/3.2.2'],
  ['library', 'Scrapy/2.11.1 (+https://scrapy.org)'],
  ['library', 'GuzzleHttp/7'],
  ['library', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.29 Safari/537.36'],
  ['library', 'Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1'],
  ['library', 'Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0 Mobile Safari/537.36 Chrome-Lighthouse'],
  // Unknown
  ['unknown', ''],
  ['unknown', 'Mozilla/5.0'],
  ['unknown', 'Mozilla/5.0 (compatible)'],
  ['unknown', 'Lynx/2.9.0dev.12 libwww-FM/2.14 SSL-MM/1.4.1'],
  ['unknown', 'MyApp/1.2 (iPhone; iOS 17.4)'],
  ['unknown', 'nodejs-is-not-node'],
];

describe('classifyUserAgent', () => {
  for (const [expected, ua] of CASES) {
    it(`${expected}: ${ua.slice(0, 70) || '(empty)'}`, () => assert.equal(classifyUserAgent(ua), expected));
  }
  it('treats an absent user agent as unknown', () => assert.equal(classifyUserAgent(undefined), 'unknown'));
  it('examines only the first MAX_UA_CHARS characters', () => {
    assert.equal(classifyUserAgent('x'.repeat(MAX_UA_CHARS) + ' Googlebot'), 'unknown');
    assert.equal(classifyUserAgent('curl/8 ' + 'x'.repeat(100_000)), 'library');
  });
});

describe('createUaClassifier', () => {
  it('agrees with classifyUserAgent and counts hits and misses', () => {
    const c = createUaClassifier({ maxEntries: 64 });
    for (let round = 0; round < 2; round++) for (const [expected, ua] of CASES) assert.equal(c.classify(ua), expected);
    const s = c.stats();
    assert.equal(s.hits + s.misses, 2 * CASES.length - 2); // the empty UA bypasses the memo, twice
    assert.ok(s.size <= s.capacity);
  });
  it('stays within its capacity under a flood of distinct user agents', () => {
    const c = createUaClassifier({ maxEntries: 100 });
    for (let i = 0; i < 10_000; i++) c.classify(`bot-${i}/1.0`);
    const s = c.stats();
    assert.ok(s.size <= 100, `size ${s.size}`);
    assert.ok(s.rotations > 0);
  });
  it('can be disabled', () => {
    const c = createUaClassifier({ maxEntries: 0 });
    assert.equal(c.classify('curl/8'), 'library');
    assert.equal(c.stats().size, 0);
  });
});
