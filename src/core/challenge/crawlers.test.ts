import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCrawlerMatcher, hostMatchesSuffix, KNOWN_CRAWLERS } from './crawlers.ts';

test('user agents are matched to the crawler they claim', () => {
  const m = createCrawlerMatcher();
  const cases: Array<[string | undefined, string | undefined]> = [
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'googlebot'],
    ['Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; googlebot/2.1) Chrome/120 Safari/537.36', 'googlebot'],
    ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 'bingbot'],
    ['Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17 Safari/605.1.15 (Applebot/0.1)', 'applebot'],
    ['Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)', 'yandexbot'],
    ['Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)', 'baiduspider'],
    ['Mozilla/5.0 (compatible; Qwantbot/1.0_12345; +https://help.qwant.com/bot/)', 'qwantbot'],
    ['Mozilla/5.0 (compatible; SeznamBot/4.0; +http://napoveda.seznam.cz/seznambot-intro/)', 'seznambot'],
    ['Mozilla/5.0 (compatible; Yeti/1.1; +https://naver.me/spd)', 'naver-yeti'],
    ['DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)', 'duckduckbot'],
    ['Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [ua, name] of cases) assert.equal(m.claimed(ua)?.name, name, String(ua));
});

test('host suffixes match on label boundaries only', () => {
  const cases: Array<[string, string[], boolean]> = [
    ['crawl-66-249-66-1.googlebot.com', ['googlebot.com'], true],
    ['crawl-66-249-66-1.googlebot.com.', ['googlebot.com'], true],
    ['CRAWL-1.GOOGLEBOT.COM', ['googlebot.com'], true],
    ['googlebot.com', ['googlebot.com'], true],
    ['evilgooglebot.com', ['googlebot.com'], false],
    ['googlebot.com.evil.example', ['googlebot.com'], false],
    ['msnbot-1.search.msn.com', ['search.msn.com'], true],
    ['search.msn.com.attacker.net', ['search.msn.com'], false],
    ['x.yandex.net', ['yandex.ru', 'yandex.net'], true],
  ];
  for (const [host, suffixes, expected] of cases) assert.equal(hostMatchesSuffix(host, suffixes), expected, host);
});

test('every shipped crawler has a name, tokens, and lower-case suffixes without dots at the ends', () => {
  const names = new Set<string>();
  for (const c of KNOWN_CRAWLERS) {
    assert.ok(!names.has(c.name), c.name);
    names.add(c.name);
    assert.ok(c.userAgentTokens.length > 0);
    for (const s of c.hostSuffixes) assert.match(s, /^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
  }
});
