/**
 * Verifies that a client claiming to be a search-engine crawler really is one: reverse DNS (PTR) of its
 * address must name a host under the crawler's published domains, and a forward lookup of that host must
 * return the same address (forward-confirmed reverse DNS, as Google, Bing, Apple, Yandex and others
 * document). The crawler list and the suffix test are pure (src/core/challenge/crawlers.ts); this file
 * owns the DNS I/O.
 *
 * Bounded and cheap on the hot path:
 * - results are cached per (crawler, address) in an LRU of `cacheMax` entries: verified for
 *   `positiveTtlMs` (6 h), definite failures for `negativeTtlMs` (1 h), timeouts and DNS errors for
 *   `errorTtlMs` (60 s);
 * - concurrent lookups of the same (crawler, address) share one promise;
 * - at most `maxInflight` lookups run at once — beyond that the answer is `busy` at once (unverified, not
 *   cached), so a flood of fake "Googlebot"s from many addresses cannot queue unbounded DNS work;
 * - each lookup (PTR plus forward confirmations) has an overall `timeoutMs` (default 2 s).
 *
 * Only public unicast addresses are looked up: loopback, private, link-local, carrier-grade NAT and every
 * other special-purpose range are `not_public` at once, with no DNS query at all (so tests and drills on
 * loopback never ask a resolver anything). The resolver is injectable so tests need no network; the
 * default uses node:dns/promises with its own per-query timeout and a single try.
 */

import { Resolver } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';
import { createCrawlerMatcher, hostMatchesSuffix, KNOWN_CRAWLERS, type CrawlerSpec } from '../core/challenge/crawlers.ts';

/** The DNS operations crawler verification needs. */
export interface CrawlerResolver {
  /** PTR names of `ip`. Rejects with code ENOTFOUND/ENODATA when there are none. */
  reverse(ip: string): Promise<string[]>;
  /** A (family 4) or AAAA (family 6) addresses of `host`. */
  resolve(host: string, family: 4 | 6): Promise<string[]>;
}

/** Why a claimed crawler was not verified. */
export type CrawlerFailure =
  | 'no_method' // the crawler publishes no host names (e.g. DuckDuckBot): allow-list its addresses instead
  | 'bad_address'
  | 'not_public' // loopback, private, link-local, CGNAT, documentation, ...: no crawler comes from there, and no lookup is made
  | 'no_ptr'
  | 'ptr_mismatch'
  | 'forward_mismatch'
  | 'timeout'
  | 'dns_error'
  | 'busy';

/** The verdict for one request. */
export type CrawlerVerdict =
  | { readonly status: 'not_claimed' }
  | { readonly status: 'verified'; readonly crawler: string; readonly host: string }
  | { readonly status: 'unverified'; readonly crawler: string; readonly reason: CrawlerFailure };

/** Options of {@link createCrawlerVerifier}. */
export interface CrawlerVerifierOptions {
  readonly resolver?: CrawlerResolver;
  readonly crawlers?: readonly CrawlerSpec[];
  readonly timeoutMs?: number;
  readonly cacheMax?: number;
  readonly positiveTtlMs?: number;
  readonly negativeTtlMs?: number;
  readonly errorTtlMs?: number;
  readonly maxInflight?: number;
  /** Clock for cache expiry (default Date.now). */
  readonly now?: () => number;
}

/** Counters and fill of a verifier. */
export interface CrawlerVerifierStats {
  readonly cacheSize: number;
  readonly cacheMax: number;
  readonly inflight: number;
  readonly maxInflight: number;
  readonly lookups: number;
  readonly cacheHits: number;
  readonly verified: number;
  readonly unverified: number;
  readonly timeouts: number;
  readonly busy: number;
}

/** A crawler verifier. */
export interface CrawlerVerifier {
  /** Full verdict, waiting for DNS when the cache has none (at most `timeoutMs`). */
  verify(ip: string, userAgent: string | undefined): Promise<CrawlerVerdict>;
  /**
   * Hot-path variant: the cached verdict, `not_claimed`, or `pending` — in which case a lookup is started
   * in the background so a later request finds the verdict cached.
   */
  peek(ip: string, userAgent: string | undefined): CrawlerVerdict | { readonly status: 'pending'; readonly crawler: string };
  stats(): CrawlerVerifierStats;
}

/** The default resolver: node:dns/promises, one try, per-query timeout `timeoutMs`. */
export function createSystemResolver(timeoutMs = 2000): CrawlerResolver {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  return {
    reverse: (ip) => resolver.reverse(ip),
    resolve: (host, family) => (family === 4 ? resolver.resolve4(host) : resolver.resolve6(host)),
  };
}

const DEFINITE_DNS_MISSES = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);
const TIMEOUT = Symbol('timeout');
const MAX_CANDIDATE_NAMES = 4;

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/**
 * Normalised form of an address (IPv4-mapped IPv6 unwrapped), whether it is a public unicast address
 * (ipaddr.js range `unicast`: not loopback, private, link-local, carrier-grade NAT, unique-local,
 * documentation, benchmarking, multicast, reserved, 6to4/Teredo/NAT64 ...), or undefined when it is
 * not an address.
 */
function normalizeIp(ip: string): { text: string; family: 4 | 6; isPublic: boolean } | undefined {
  try {
    const addr = ipaddr.process(ip);
    return { text: addr.toNormalizedString(), family: addr.kind() === 'ipv4' ? 4 : 6, isPublic: addr.range() === 'unicast' };
  } catch {
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(resolve, ms, TIMEOUT);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Forward-confirms the PTR names that fall under the crawler's suffixes. */
async function confirm(resolver: CrawlerResolver, spec: CrawlerSpec, ip: { text: string; family: 4 | 6 }): Promise<CrawlerVerdict> {
  const fail = (reason: CrawlerFailure): CrawlerVerdict => ({ status: 'unverified', crawler: spec.name, reason });
  let names: string[];
  try {
    names = await resolver.reverse(ip.text);
  } catch (err) {
    return fail(DEFINITE_DNS_MISSES.has(errorCode(err) ?? '') ? 'no_ptr' : 'dns_error');
  }
  const candidates = names.filter((n) => hostMatchesSuffix(n, spec.hostSuffixes)).slice(0, MAX_CANDIDATE_NAMES);
  if (candidates.length === 0) return fail(names.length === 0 ? 'no_ptr' : 'ptr_mismatch');
  let transient = false;
  for (const name of candidates) {
    try {
      const addrs = await resolver.resolve(name.endsWith('.') ? name.slice(0, -1) : name, ip.family);
      if (addrs.some((a) => normalizeIp(a)?.text === ip.text)) return { status: 'verified', crawler: spec.name, host: name };
    } catch (err) {
      if (!DEFINITE_DNS_MISSES.has(errorCode(err) ?? '')) transient = true;
    }
  }
  return fail(transient ? 'dns_error' : 'forward_mismatch');
}

/** Builds a verifier. */
export function createCrawlerVerifier(options: CrawlerVerifierOptions = {}): CrawlerVerifier {
  const timeoutMs = options.timeoutMs ?? 2000;
  const resolver = options.resolver ?? createSystemResolver(timeoutMs);
  const matcher = createCrawlerMatcher(options.crawlers ?? KNOWN_CRAWLERS);
  const positiveTtlMs = options.positiveTtlMs ?? 6 * 3600_000;
  const negativeTtlMs = options.negativeTtlMs ?? 3600_000;
  const errorTtlMs = options.errorTtlMs ?? 60_000;
  const maxInflight = options.maxInflight ?? 64;
  const cacheMax = options.cacheMax ?? 10_000;
  const clock = options.now ?? Date.now;
  // ttlResolution 0: read the clock on each check instead of caching it behind a timer.
  const cache = new LRUCache<string, CrawlerVerdict>({ max: cacheMax, ttl: negativeTtlMs, ttlResolution: 0, perf: { now: clock } });
  const inflight = new Map<string, Promise<CrawlerVerdict>>();
  const counts = { lookups: 0, cacheHits: 0, verified: 0, unverified: 0, timeouts: 0, busy: 0 };

  function ttlOf(v: CrawlerVerdict): number {
    if (v.status === 'verified') return positiveTtlMs;
    if (v.status === 'unverified' && (v.reason === 'timeout' || v.reason === 'dns_error')) return errorTtlMs;
    return negativeTtlMs;
  }

  function start(key: string, spec: CrawlerSpec, ip: { text: string; family: 4 | 6 }): Promise<CrawlerVerdict> {
    counts.lookups++;
    const run = withTimeout(confirm(resolver, spec, ip), timeoutMs).then(
      (r): CrawlerVerdict => (r === TIMEOUT ? { status: 'unverified', crawler: spec.name, reason: 'timeout' } : r),
      (): CrawlerVerdict => ({ status: 'unverified', crawler: spec.name, reason: 'dns_error' }),
    );
    const done = run.then((verdict) => {
      inflight.delete(key);
      if (verdict.status === 'verified') counts.verified++;
      else counts.unverified++;
      if (verdict.status === 'unverified' && verdict.reason === 'timeout') counts.timeouts++;
      cache.set(key, verdict, { ttl: ttlOf(verdict) });
      return verdict;
    });
    inflight.set(key, done);
    return done;
  }

  /** Resolves the cheap cases synchronously; otherwise returns what is needed to look up. */
  function prepare(ip: string, userAgent: string | undefined):
    | { readonly verdict: CrawlerVerdict }
    | { readonly key: string; readonly spec: CrawlerSpec; readonly addr: { text: string; family: 4 | 6 } } {
    const spec = matcher.claimed(userAgent);
    if (spec === undefined) return { verdict: { status: 'not_claimed' } };
    if (spec.hostSuffixes.length === 0) return { verdict: { status: 'unverified', crawler: spec.name, reason: 'no_method' } };
    const addr = normalizeIp(ip);
    if (addr === undefined) return { verdict: { status: 'unverified', crawler: spec.name, reason: 'bad_address' } };
    // Only a public address can be a search engine's crawler; anything else is answered here, so no
    // lookup ever leaves the machine for it (the system resolver would ask the network about 127.0.0.1,
    // 10.x or a drill's sources, and a PTR record there is whatever the local network says).
    if (!addr.isPublic) return { verdict: { status: 'unverified', crawler: spec.name, reason: 'not_public' } };
    const key = `${spec.name}|${addr.text}`;
    const cached = cache.get(key);
    if (cached !== undefined) {
      counts.cacheHits++;
      return { verdict: cached };
    }
    return { key, spec, addr };
  }

  function busy(spec: CrawlerSpec): CrawlerVerdict {
    counts.busy++;
    return { status: 'unverified', crawler: spec.name, reason: 'busy' };
  }

  return {
    verify(ip, userAgent) {
      const p = prepare(ip, userAgent);
      if ('verdict' in p) return Promise.resolve(p.verdict);
      const running = inflight.get(p.key);
      if (running !== undefined) return running;
      if (inflight.size >= maxInflight) return Promise.resolve(busy(p.spec));
      return start(p.key, p.spec, p.addr);
    },
    peek(ip, userAgent) {
      const p = prepare(ip, userAgent);
      if ('verdict' in p) return p.verdict;
      if (!inflight.has(p.key)) {
        if (inflight.size >= maxInflight) return busy(p.spec);
        void start(p.key, p.spec, p.addr);
      }
      return { status: 'pending', crawler: p.spec.name };
    },
    stats() {
      return { cacheSize: cache.size, cacheMax, inflight: inflight.size, maxInflight, ...counts };
    },
  };
}
