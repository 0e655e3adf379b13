import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { createCrawlerVerifier, type CrawlerResolver } from './crawler-verify.ts';

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const BINGBOT = 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)';
const CHROME = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36';

function dnsError(code: string): Error {
  return Object.assign(new Error(code), { code });
}

/** A fake DNS: PTR and forward tables, with call counting. */
function fakeDns(ptr: Record<string, string[]>, forward: Record<string, string[]>) {
  const calls = { reverse: 0, resolve: 0 };
  const resolver: CrawlerResolver = {
    async reverse(ip) {
      calls.reverse++;
      if (!(ip in ptr)) throw dnsError('ENOTFOUND');
      return ptr[ip];
    },
    async resolve(host) {
      calls.resolve++;
      if (!(host in forward)) throw dnsError('ENOTFOUND');
      return forward[host];
    },
  };
  return { resolver, calls };
}

const DNS = {
  ptr: {
    '66.249.66.1': ['crawl-66-249-66-1.googlebot.com.'],
    '45.79.113.5': ['crawl-45-79-113-5.googlebot.com'], // attacker's own PTR claiming Google
    '45.79.100.7': ['host7.cheap-vps.example'],
    '2001:4860:4801:10:0:0:0:1': ['crawl-2001-4860-4801-10--1.googlebot.com'],
    '157.55.39.1': ['msnbot-157-55-39-1.search.msn.com'],
  },
  forward: {
    'crawl-66-249-66-1.googlebot.com': ['66.249.66.1'],
    'crawl-45-79-113-5.googlebot.com': ['66.249.66.99'], // forward does not confirm
    'crawl-2001-4860-4801-10--1.googlebot.com': ['2001:4860:4801:10::1'],
    'msnbot-157-55-39-1.search.msn.com': ['157.55.39.1'],
  },
};

test('verdicts, table-driven', async () => {
  const { resolver } = fakeDns(DNS.ptr, DNS.forward);
  const v = createCrawlerVerifier({ resolver });
  const cases: Array<[string, string, string, string?]> = [
    ['66.249.66.1', GOOGLEBOT, 'verified'],
    ['::ffff:66.249.66.1', GOOGLEBOT, 'verified'],
    ['2001:4860:4801:10::1', GOOGLEBOT, 'verified'],
    ['157.55.39.1', BINGBOT, 'verified'],
    ['66.249.66.1', CHROME, 'not_claimed'],
    ['45.79.100.7', GOOGLEBOT, 'unverified', 'ptr_mismatch'],
    ['45.79.113.5', GOOGLEBOT, 'unverified', 'forward_mismatch'],
    ['45.79.2.1', GOOGLEBOT, 'unverified', 'no_ptr'],
    ['157.55.39.1', GOOGLEBOT, 'unverified', 'ptr_mismatch'], // a real Bing address claiming to be Google
    ['not-an-ip', GOOGLEBOT, 'unverified', 'bad_address'],
    ['192.0.2.1', GOOGLEBOT, 'unverified', 'not_public'],
    ['20.191.45.212', 'DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)', 'unverified', 'no_method'],
  ];
  for (const [ip, ua, status, reason] of cases) {
    const verdict = await v.verify(ip, ua);
    assert.equal(verdict.status, status, `${ip} ${ua}`);
    if (reason) assert.equal(verdict.status === 'unverified' && verdict.reason, reason, `${ip} ${ua}`);
  }
});

test('results are cached per crawler and address, negatives included, with their own TTLs', async () => {
  let now = 1_000_000;
  const { resolver, calls } = fakeDns(DNS.ptr, DNS.forward);
  const v = createCrawlerVerifier({ resolver, now: () => now, positiveTtlMs: 10_000, negativeTtlMs: 5_000 });
  await v.verify('66.249.66.1', GOOGLEBOT);
  await v.verify('66.249.66.1', GOOGLEBOT);
  await v.verify('45.79.100.7', GOOGLEBOT);
  await v.verify('45.79.100.7', GOOGLEBOT);
  assert.equal(calls.reverse, 2);
  assert.equal(v.stats().cacheHits, 2);
  assert.equal(v.peek('66.249.66.1', GOOGLEBOT).status, 'verified');
  now += 6_000; // negative expired, positive still fresh
  await v.verify('45.79.100.7', GOOGLEBOT);
  await v.verify('66.249.66.1', GOOGLEBOT);
  assert.equal(calls.reverse, 3);
  now += 5_000; // positive expired too
  await v.verify('66.249.66.1', GOOGLEBOT);
  assert.equal(calls.reverse, 4);
});

test('the cache is bounded', async () => {
  const { resolver } = fakeDns({}, {});
  const v = createCrawlerVerifier({ resolver, cacheMax: 10 });
  for (let i = 0; i < 50; i++) await v.verify(`45.79.2.${i}`, GOOGLEBOT);
  assert.equal(v.stats().cacheSize, 10);
});

test('concurrent lookups of one address share one DNS query', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let reverses = 0;
  const resolver: CrawlerResolver = {
    async reverse() { reverses++; await gate; return ['crawl-66-249-66-1.googlebot.com']; },
    async resolve() { return ['66.249.66.1']; },
  };
  const v = createCrawlerVerifier({ resolver });
  const all = Promise.all(Array.from({ length: 20 }, () => v.verify('66.249.66.1', GOOGLEBOT)));
  assert.equal(v.peek('66.249.66.1', GOOGLEBOT).status, 'pending');
  assert.equal(v.stats().inflight, 1);
  release();
  const verdicts = await all;
  assert.equal(reverses, 1);
  assert.ok(verdicts.every((x) => x.status === 'verified'));
  assert.equal(v.stats().inflight, 0);
});

test('a lookup that hangs times out, is cached briefly, and frees its slot', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let now = 1_000_000;
    const resolver: CrawlerResolver = { reverse: () => new Promise(() => {}), resolve: () => new Promise(() => {}) };
    const v = createCrawlerVerifier({ resolver, timeoutMs: 1500, errorTtlMs: 60_000, now: () => now });
    const pending = v.verify('66.249.66.1', GOOGLEBOT);
    mock.timers.tick(1500);
    const verdict = await pending;
    assert.deepEqual(verdict, { status: 'unverified', crawler: 'googlebot', reason: 'timeout' });
    assert.equal(v.stats().timeouts, 1);
    assert.equal(v.stats().inflight, 0);
    assert.deepEqual(v.peek('66.249.66.1', GOOGLEBOT), verdict, 'cached');
    now += 60_001;
    assert.equal(v.peek('66.249.66.1', GOOGLEBOT).status, 'pending', 'short TTL: tried again');
  } finally {
    mock.timers.reset();
  }
});

test('beyond maxInflight the answer is busy at once, and not cached', async () => {
  const resolver: CrawlerResolver = { reverse: () => new Promise(() => {}), resolve: () => new Promise(() => {}) };
  const v = createCrawlerVerifier({ resolver, maxInflight: 2, timeoutMs: 60_000 });
  assert.equal(v.peek('45.79.2.1', GOOGLEBOT).status, 'pending');
  assert.equal(v.peek('45.79.2.2', GOOGLEBOT).status, 'pending');
  const third = await v.verify('45.79.2.3', GOOGLEBOT);
  assert.deepEqual(third, { status: 'unverified', crawler: 'googlebot', reason: 'busy' });
  assert.equal(v.stats().busy, 1);
  assert.equal(v.stats().cacheSize, 0);
});

test('transient DNS errors are not mistaken for definite failures', async () => {
  const resolver: CrawlerResolver = {
    async reverse(ip) {
      if (ip === '45.79.2.1') throw dnsError('ESERVFAIL');
      return ['crawl-1.googlebot.com'];
    },
    async resolve() { throw dnsError('ETIMEOUT'); },
  };
  const v = createCrawlerVerifier({ resolver });
  assert.deepEqual(await v.verify('45.79.2.1', GOOGLEBOT), { status: 'unverified', crawler: 'googlebot', reason: 'dns_error' });
  assert.deepEqual(await v.verify('45.79.2.2', GOOGLEBOT), { status: 'unverified', crawler: 'googlebot', reason: 'dns_error' });
});

test('only public addresses are looked up: loopback, private, link-local, CGNAT and other special ranges are not_public with no DNS query', async () => {
  const { resolver, calls } = fakeDns({}, {});
  const v = createCrawlerVerifier({ resolver });
  const nonPublic = [
    '127.0.0.1', '127.3.4.5', '::1', '::ffff:127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '169.254.169.254',
    'fe80::1', 'fc00::1', 'fd12::1', '0.0.0.0', '::', '224.0.0.1', '255.255.255.255', '240.0.0.1', '192.0.2.1', '198.51.100.1',
    '203.0.113.1', '198.18.0.1', '2001:db8::1', '64:ff9b::a00:1', '2002:a00:1::1', '2001::1',
  ];
  for (const ip of nonPublic) {
    assert.deepEqual(await v.verify(ip, GOOGLEBOT), { status: 'unverified', crawler: 'googlebot', reason: 'not_public' }, ip);
    assert.deepEqual(v.peek(ip, BINGBOT), { status: 'unverified', crawler: 'bingbot', reason: 'not_public' }, ip);
  }
  assert.deepEqual(calls, { reverse: 0, resolve: 0 });
});
