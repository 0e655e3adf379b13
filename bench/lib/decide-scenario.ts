/**
 * The decide benchmark's scenario ("a realistic policy — 100k deny prefixes, 5 limits, 20 rules
 * including CEL"), shared by bench/decide.bench.ts and the same-process A/B against another revision
 * (scripts/ab-decide.mjs): the policy as data, the traffic as request facts, and a builder that compiles
 * the policy with a given set of core modules (this tree's, or another revision's).
 *
 * Deterministic: one seeded PRNG, consumed in a fixed order, so every run and both sides of an A/B see
 * the same prefixes, clients and requests.
 */
import { createHeaderFingerprinter } from '../../src/core/identify/fingerprint.ts';
import { formatV4, formatV6 } from '../../src/core/net/ip-format.ts';
import { parseIp, prefixKey } from '../../src/core/net/ip.ts';
import type { ParsedIp } from '../../src/core/net/ip.ts';
import type { compileIpLists } from '../../src/core/net/ip-list.ts';
import type { createLimitEvaluator, LimitSpec } from '../../src/core/ratelimit/evaluator.ts';
import type { createLimiterTable } from '../../src/core/ratelimit/limiter-table.ts';
import type { compilePolicy, decide, DecideFacts, DecideState, RuleSpec } from '../../src/core/policy/index.ts';
import type { ClientClass, ThreatLevel } from '../../src/core/vocabulary.ts';
import { createRandom as rng } from '../../src/drill/attackers/traffic-shapes.ts';

const rand = rng(7);
const u32 = (): number => (rand() * 4294967296) >>> 0;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const publicV4 = (): number => ((((11 + Math.floor(rand() * 180)) << 24) | (u32() & 0xffffff)) >>> 0);
const v6 = (): Uint32Array => Uint32Array.of((0x20010000 | (u32() & 0xffff)) >>> 0, u32(), u32(), u32());

// ---------------------------------------------------------------------------------------------------
// The policy: 100k deny prefixes, a few allow entries, 20 rules (6 with CEL), 5 limits, a level hook.

export const denyLines: string[] = [];
for (let i = 0; i < 100_000; i++) {
  if (rand() < 0.7) {
    const bits = 16 + Math.floor(rand() * 17);
    denyLines.push(`${formatV4(publicV4() & (bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits)))}/${bits}`);
  } else {
    const bits = 32 + Math.floor(rand() * 33);
    const w = v6();
    for (let k = 0; k < 4; k++) {
      const keep = Math.max(0, Math.min(32, bits - 32 * k));
      w[k] = keep === 0 ? 0 : (w[k] & (keep === 32 ? 0xffffffff : ~(0xffffffff >>> keep))) >>> 0;
    }
    denyLines.push(`${formatV6(w)}/${bits}`);
  }
}
export const ALLOW = ['192.0.2.0/28', '2001:db8:a::/48'];

export const RULES: RuleSpec[] = [
  { name: 'health', match: { path: '=/healthz' }, action: 'allow' },
  { name: 'scanners-ua', match: { user_agent: '(?i)sqlmap|nikto|nuclei|masscan|zgrab' }, action: 'block' },
  { name: 'dotfiles', match: { path: ['~^/\\.(env|git|svn|hg)'] }, action: 'block' },
  { name: 'wordpress', match: { path: ['/wp-login.php', '/wp-admin', '/xmlrpc.php'] }, action: 'block' },
  { name: 'bad-nets', match: { cidr: Array.from({ length: 30 }, (_, i) => `100.${64 + i}.0.0/16`) }, action: 'block' },
  { name: 'geo-block', match: { country: ['XA', 'XB', 'XC'] }, action: 'block' },
  { name: 'asn-block', match: { asn: [64511, 64512, 64513] }, action: 'tarpit' },
  { name: 'bad-fingerprints', match: { fingerprint: Array.from({ length: 10 }, (_, i) => `ge11nnn0${i}_00000000000${i}`) }, action: 'challenge', difficulty: 18 },
  { name: 'api-libraries', match: { path: '/api/', ua_class: ['library'] }, action: 'rate_limit', rate_limit: { average: 5, period: '1s', burst: 10, key: ['address'] } },
  { name: 'admin-log', match: { path: '/admin' }, action: 'log' },
  { name: 'debug-header', match: { header: { 'x-debug': '.+' } }, action: 'block', shadow: true },
  { name: 'fast-clients', expr: 'rate.address > 50.0 && !cleared', action: 'challenge' },
  { name: 'attack-non-browsers', expr: 'threat_level == "under_attack" && ua_class != "browser"', action: 'block' },
  { name: 'test-nets', expr: 'ipInCidr(address, ["192.0.2.0/24", "198.18.0.0/15"])', action: 'block' },
  { name: 'long-search', match: { path: '=/search' }, expr: 'query.size() > 200', action: 'block' },
  { name: 'trace', match: { method: ['TRACE', 'TRACK'] }, action: 'block' },
  { name: 'host-header', match: { header: { 'x-forwarded-host': '^(?!example\\.org$)' } }, action: 'block' },
  { name: 'login-tools', match: { path: '=/login', user_agent: '(?i)python|curl|go-http' }, action: 'challenge' },
  { name: 'post-without-accept', match: { method: ['POST'] }, expr: 'header("accept") == ""', action: 'challenge' },
  { name: 'checkout-geo', match: { path: '/checkout' }, expr: 'country in ["XD", "XE"]', action: 'block', shadow: true },
];

export const LIMITS: LimitSpec[] = [
  { name: 'per-ip', average: 20, period: 1000, burst: 40, key: ['address'] },
  { name: 'per-prefix', average: 200, period: 1000, burst: 400, key: ['prefix'] },
  { name: 'login', average: 5, period: 60_000, burst: 5, key: ['address'], match: { path: '=/login', methods: ['POST'] } },
  { name: 'search', average: 2, period: 1000, burst: 10, key: ['address'], match: { path: '/search' } },
  { name: 'per-fingerprint', average: 500, period: 1000, burst: 1000, key: ['fingerprint'], shadow: true },
];

export const levelPolicy = (lvl: ThreatLevel, f: DecideFacts) => (lvl === 'under_attack' && f.uaClass === 'browser' && !f.cleared ? { action: 'challenge' as const, by: `level/${lvl}` } : null);

const bans = new Map<string, { untilMs: number }>();
/** 40 banned clients (bans looked up by address, then prefix). */
export const state: DecideState = { ban: (key) => bans.get(key) };

// ---------------------------------------------------------------------------------------------------
// Traffic: 4096 clients (80% browsers, 10% libraries, 5% crawlers, 5% unknown), 30% IPv6, a few banned
// and allow-listed, paths weighted toward pages.

const UAS: Record<ClientClass, readonly string[]> = {
  browser: [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  ],
  library: ['curl/8.5.0', 'python-requests/2.31.0', 'Go-http-client/1.1'],
  crawler: ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'],
  unknown: ['Mozilla/5.0'],
};
const PATHS = ['/', '/', '/', '/news/1', '/news/2', '/news/3', '/search', '/login', '/static/app.js', '/static/app.css', '/api/items', '/admin/x', '/checkout/cart', '/healthz'];
const SCANNER_PATHS = ['/.env', '/wp-login.php', '/.git/config'];
const BROWSER_HEADERS = ['Host', 'Connection', 'sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform', 'Upgrade-Insecure-Requests', 'User-Agent', 'Accept', 'Sec-Fetch-Site', 'Sec-Fetch-Mode', 'Sec-Fetch-User', 'Sec-Fetch-Dest', 'Accept-Encoding', 'Accept-Language', 'Cookie'];
export const fingerprinter = createHeaderFingerprinter();

/** What the identify adapter would hand to decide: fields plus a header accessor. */
export class Facts implements DecideFacts {
  constructor(
    readonly address: string,
    readonly prefix: string,
    readonly asn: number | null,
    readonly country: string | null,
    readonly fingerprint: string,
    readonly method: string,
    readonly path: string,
    readonly query: string,
    readonly uaClass: ClientClass,
    readonly rateAddress: number,
    readonly headers: Readonly<Record<string, string>>,
    readonly threatLevel: ThreatLevel,
    readonly ip: ParsedIp | null = null,
  ) {}
  readonly site = 'www';
  readonly host = 'example.org';
  readonly cleared = false;
  readonly ratePrefix = 0;
  header(name: string): string | undefined {
    return this.headers[name];
  }
}

export interface Client {
  readonly address: string;
  readonly prefix: string;
  readonly asn: number | null;
  readonly country: string | null;
  readonly cls: ClientClass;
  readonly headers: Record<string, string>;
  readonly raw: string[];
}
export const clients: Client[] = [];
for (let i = 0; i < 4096; i++) {
  const r = rand();
  const cls: ClientClass = r < 0.8 ? 'browser' : r < 0.9 ? 'library' : r < 0.95 ? 'crawler' : 'unknown';
  let address = rand() < 0.3 ? formatV6(v6()) : formatV4(publicV4());
  if (i % 50 === 0) address = `192.0.2.${i % 16}`; // allow-listed
  const ua = pick(UAS[cls]);
  const names = cls === 'browser' ? BROWSER_HEADERS.slice(0, 12 + (i % 4)) : ['Host', 'User-Agent', 'Accept'];
  const headers: Record<string, string> = {};
  const raw: string[] = [];
  for (const n of names) {
    const v = n === 'User-Agent' ? ua : n === 'Host' ? 'example.org' : n === 'Accept' ? '*/*' : 'v';
    headers[n.toLowerCase()] = v;
    raw.push(n, v);
  }
  const country = i % 97 === 0 ? null : i % 101 === 0 ? 'XA' : pick(['DE', 'FR', 'US', 'NL', 'GB', 'IT']);
  clients.push({ address, prefix: prefixKey(address, address.includes(':') ? 64 : 24)!, asn: 64496 + (i % 400), country, cls, headers, raw });
}
for (let i = 0; i < 40; i++) bans.set(clients[i * 97].address, { untilMs: Infinity });

export const N = 8192;
/** The requests with the address as text only. */
export const requests: Facts[] = [];
/** The same requests with `ip` parsed, as identify hands them to decide. */
export const parsedRequests: Facts[] = [];
for (let i = 0; i < N; i++) {
  const c = clients[Math.floor(rand() * clients.length)];
  const path = rand() < 0.02 ? pick(SCANNER_PATHS) : pick(PATHS);
  const method = path === '/login' && rand() < 0.5 ? 'POST' : 'GET';
  const fp = fingerprinter.fingerprint(c.raw, method, '1.1');
  requests.push(new Facts(c.address, c.prefix, c.asn, c.country, fp, method, path, path === '/search' ? 'q=x' : '', c.cls, rand() ** 6 * 80, c.headers, i % 10 === 0 ? 'under_attack' : 'normal'));
}

for (const r of requests) {
  parsedRequests.push(new Facts(r.address, r.prefix, r.asn, r.country, r.fingerprint, r.method, r.path, r.query, r.uaClass, r.rateAddress, r.headers, r.threatLevel, parseIp(r.address)));
}

// ---------------------------------------------------------------------------------------------------

/** The core functions a policy is built and decided with (this tree's, or another revision's). */
export interface DecideCore {
  readonly compileIpLists: typeof compileIpLists;
  readonly createLimitEvaluator: typeof createLimitEvaluator;
  readonly createLimiterTable: typeof createLimiterTable;
  readonly compilePolicy: typeof compilePolicy;
  readonly decide: typeof decide;
}

/** The benchmark's policies, compiled with `core`. */
export function buildPolicies(core: DecideCore) {
  const lists = core.compileIpLists({ allow: [{ source: 'config', entries: ALLOW }], deny: [{ source: 'feed', text: denyLines.join('\n') }] });
  const table = core.createLimiterTable({ maxKeys: 65_536, seed: 12345 });
  const limits = core.createLimitEvaluator({ table, limits: LIMITS });
  return {
    lists,
    full: core.compilePolicy({ rules: RULES }, { lists, limits, table, levelPolicy }),
    listsOnly: core.compilePolicy({}, { lists }),
    listsRules: core.compilePolicy({ rules: RULES }, { lists, table: core.createLimiterTable({ maxKeys: 65_536, seed: 1 }) }),
    rulesOnly: core.compilePolicy({ rules: RULES }, { table: core.createLimiterTable({ maxKeys: 65_536, seed: 2 }) }),
    limitsOnly: core.createLimitEvaluator({ table: core.createLimiterTable({ maxKeys: 65_536, seed: 3 }), limits: LIMITS }),
  };
}
