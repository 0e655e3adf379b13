/**
 * Builds an incident's attack fingerprint (fingerprint-types.ts) from what the incident record holds: the
 * stored `summary` (top lists with shares, the source-prefix sketch, the rate facts), the HTTP methods of
 * its uncleared requests, its rate profile, and — when the offline geo data is at hand — the ASN, AS name
 * and country of each listed source prefix. Pure: the geo lookup is passed in, time comes in the input.
 *
 * The tracker builds it with every record update (so an open incident has one too); reports of incidents
 * recorded before fingerprints existed derive one from their summary and timeline (`fidelity: 'summary'`).
 */
import { createHash } from 'node:crypto';
import { DEFAULT_KMV_K } from '../../core/detect/kmv.ts';
import { canonicalJson } from '../canonical-json.ts';
import type { AttackFingerprint, Distribution, DistributionField, HttpAttackVector, NetworkInfo, RateProfile } from './fingerprint-types.ts';

/** Most values kept per distribution (the accumulator reports the top 50 of each dimension). */
export const MAX_DISTRIBUTION_KEYS = 50;
/** Top addresses kept as `source_ips`. */
export const MAX_SOURCE_IPS = 50;

/** Looks up a prefix (`203.0.113.0/24`) or an address in the offline ASN and country data. */
export type NetworkLookup = (prefixOrAddress: string) => NetworkInfo | null;

/** What a fingerprint is built from. */
export interface FingerprintInput {
  readonly site: string;
  readonly openedAtMs: number;
  /** End of the incident (closing time, or the end of its last recorded second), or null. */
  readonly endedAtMs: number | null;
  readonly totalRequests: number;
  readonly distinctSources: number;
  readonly peakRps: number;
  /** The stored `summary` JSON (read defensively). */
  readonly summary: unknown;
  /** Uncleared requests by HTTP method, or null when not recorded. */
  readonly methods: Readonly<Record<string, number>> | null;
  /** The rate profile, or null (then one flat bucket of the mean rate). */
  readonly rateProfile: RateProfile | null;
  readonly lookup?: NetworkLookup;
  /**
   * Upper bound of the share of the site's normal uncleared traffic a network carried (the baseline's
   * share + bound), or null when unknown; absent when no baseline is at hand.
   */
  readonly normalShare?: (dimension: 'prefix' | 'asn', key: string | number) => number | null;
  /** A fingerprint built earlier for the same incident: its network names are kept when no lookup knows them. */
  readonly previous?: AttackFingerprint | null;
  readonly fidelity?: AttackFingerprint['fidelity'];
}

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const round = (v: number, digits = 4): number => Math.round(v * 10 ** digits) / 10 ** digits;
const iso = (ms: number): string => new Date(ms).toISOString();

/** A summary top list (`[{key, share}]`) as a distribution: at most MAX_DISTRIBUTION_KEYS values, largest first. */
export function distributionOf(list: unknown, maxKeys = MAX_DISTRIBUTION_KEYS): Distribution {
  const entries: Array<[string, number]> = [];
  for (const e of arr(list)) {
    const x = obj(e);
    if ((typeof x.key !== 'string' && typeof x.key !== 'number') || !(num(x.share) > 0)) continue;
    entries.push([String(x.key), Math.min(1, num(x.share))]);
  }
  return sortedDistribution(entries, maxKeys);
}

/** Counts (value → requests) as a distribution of fractions of their sum. */
export function distributionOfCounts(counts: Readonly<Record<string, number>> | null, maxKeys = MAX_DISTRIBUTION_KEYS): Distribution {
  if (counts === null) return {};
  const total = Object.values(counts).reduce((s, n) => s + (n > 0 ? n : 0), 0);
  if (!(total > 0)) return {};
  return sortedDistribution(Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => [k, n / total]), maxKeys);
}

function sortedDistribution(entries: Array<[string, number]>, maxKeys: number): Distribution {
  const merged = new Map<string, number>();
  for (const [k, v] of entries) merged.set(k, (merged.get(k) ?? 0) + v);
  const sorted = [...merged].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxKeys);
  return Object.fromEntries(sorted.map(([k, v]) => [k, round(Math.min(1, v))]));
}

/** Sum of a distribution's fractions, capped at 1. */
export function coverageOf(d: Distribution): number {
  return round(Math.min(1, Object.values(d).reduce((s, v) => s + v, 0)));
}

/** The network part of a prefix (`203.0.113.0/24` → `203.0.113.0`), or the text itself. */
function networkAddress(prefix: string): string {
  const slash = prefix.indexOf('/');
  return slash < 0 ? prefix : prefix.slice(0, slash);
}

function networksOf(prefixes: Distribution, lookup: NetworkLookup | undefined, previous: AttackFingerprint | null | undefined): Record<string, NetworkInfo> {
  const known = previous?.attack_vectors[0]?.networks ?? {};
  const out: Record<string, NetworkInfo> = {};
  for (const p of Object.keys(prefixes)) {
    const info = lookup?.(p) ?? lookup?.(networkAddress(p)) ?? known[p] ?? null;
    out[p] = info ?? { asn: null, as_name: null, country: null };
  }
  return out;
}

function asNamesOf(asns: Distribution, networks: Record<string, NetworkInfo>, addresses: readonly string[], lookup: NetworkLookup | undefined, previous: AttackFingerprint | null | undefined): Record<string, string> {
  const names = new Map<string, string>();
  for (const n of Object.values(networks)) if (n.asn !== null && n.as_name) names.set(String(n.asn), n.as_name);
  for (const a of addresses) {
    const info = lookup?.(a);
    if (info?.asn != null && info.as_name) names.set(String(info.asn), info.as_name);
  }
  for (const [k, v] of Object.entries(previous?.attack_vectors[0]?.as_names ?? {})) if (!names.has(k)) names.set(k, v);
  return Object.fromEntries(Object.keys(asns).filter((k) => names.has(k)).map((k) => [k, names.get(k)!]));
}

function normalSharesOf(d: Record<DistributionField, Distribution>, input: FingerprintInput): HttpAttackVector['normal_share_max'] | null {
  const previous = input.previous?.attack_vectors[0]?.normal_share_max;
  const ask = input.normalShare;
  if (ask === undefined) return previous ?? null;
  const of = (dist: Distribution, dimension: 'prefix' | 'asn', prior: Distribution | undefined): Distribution => {
    const out: Record<string, number> = {};
    for (const k of Object.keys(dist)) {
      const v = ask(dimension, dimension === 'asn' && /^\d+$/.test(k) ? Number(k) : k) ?? prior?.[k];
      if (v !== undefined && v !== null && Number.isFinite(v)) out[k] = round(Math.min(1, Math.max(0, v)));
    }
    return out;
  };
  return { source_prefixes: of(d.source_prefixes, 'prefix', previous?.source_prefixes), source_asns: of(d.source_asns, 'asn', previous?.source_asns) };
}

function tagsOf(v: Omit<HttpAttackVector, 'coverage' | 'networks' | 'as_names' | 'source_prefix_sketch'>, totalIps: number): string[] {
  const tags = ['HTTP flood'];
  const [method, share] = Object.entries(v.http_method)[0] ?? [];
  if (method !== undefined && (share ?? 0) >= 0.8) tags.push(`${method} flood`);
  if (totalIps >= 1000) tags.push('many sources');
  else if (totalIps > 0 && totalIps < 100) tags.push('few sources');
  const uas = Object.values(v.http_user_agent);
  if (uas.length >= 3 && (uas[0] ?? 0) < 0.5) tags.push('user-agent rotation');
  if (coverageOf(v.http_uri) < 0.2 && v.nr_requests > 0) tags.push('random paths');
  return tags;
}

/** Builds the fingerprint (see the module comment). Deterministic: the same input gives the same key. */
export function buildFingerprint(input: FingerprintInput): AttackFingerprint {
  const s = obj(input.summary);
  const top = obj(s.top);
  const rate = obj(s.rate);
  const endMs = input.endedAtMs ?? input.openedAtMs;
  const duration = Math.max(0, Math.round((endMs - input.openedAtMs) / 1000));
  const uncleared = Math.round(num(s.uncleared_requests));
  const addresses = Object.keys(distributionOf(top.address, MAX_SOURCE_IPS));
  const dists: Record<DistributionField, Distribution> = {
    http_uri: distributionOf(top.path),
    http_method: distributionOfCounts(input.methods),
    http_user_agent: distributionOf(top.user_agent),
    http_header_fingerprint: distributionOf(top.fingerprint),
    source_prefixes: distributionOf(top.prefix),
    source_asns: distributionOf(top.asn),
    source_countries: distributionOf(top.country),
  };
  const coverage = Object.fromEntries(Object.entries(dists).map(([k, d]) => [k, coverageOf(d)])) as Record<DistributionField, number>;
  const networks = networksOf(dists.source_prefixes, input.lookup, input.previous);
  const sketch = arr(s.source_signature).filter((x): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0);
  const base = {
    service: 'HTTP' as const,
    protocol: 'TCP' as const,
    fraction_of_attack: input.totalRequests > 0 ? round(Math.min(1, uncleared / input.totalRequests)) : 0,
    nr_requests: uncleared,
    time_start: iso(input.openedAtMs),
    duration_seconds: duration,
    ...dists,
    ...(addresses.length > 0 ? { source_ips: addresses } : {}),
  };
  const normal = normalSharesOf(dists, input);
  const vector: HttpAttackVector = {
    ...base,
    coverage,
    source_prefix_sketch: { k: DEFAULT_KMV_K, hashes: sketch },
    networks,
    as_names: asNamesOf(dists.source_asns, networks, addresses, input.lookup, input.previous),
    ...(normal !== null ? { normal_share_max: normal } : {}),
  };
  const meanRps = num(rate.mean_rps) || (duration > 0 ? input.totalRequests / duration : 0);
  const body: Omit<AttackFingerprint, 'key'> = {
    version: 1,
    format: 'bulwark-http-fingerprint (DDoS Clearing House style)',
    target: input.site,
    tags: tagsOf(base, input.distinctSources),
    time_start: iso(input.openedAtMs),
    time_end: input.endedAtMs === null ? null : iso(input.endedAtMs),
    duration_seconds: duration,
    total_requests: Math.round(input.totalRequests),
    total_ips: Math.round(input.distinctSources),
    avg_rps: round(duration > 0 ? input.totalRequests / duration : meanRps, 2),
    peak_rps: round(Math.max(input.peakRps, num(rate.peak_rps)), 2),
    ramp_seconds: Math.round(num(rate.ramp_s)),
    rate_profile: input.rateProfile ?? { bucket_seconds: Math.max(1, duration), values: [round(meanRps)] },
    attack_vectors: [vector],
    fidelity: input.fidelity ?? 'full',
  };
  return { ...body, key: fingerprintKey(body) };
}

/** SHA-256 (hex) of the canonical JSON of a fingerprint without its key. */
export function fingerprintKey(fp: Omit<AttackFingerprint, 'key'> | AttackFingerprint): string {
  const { key: _key, ...rest } = fp as AttackFingerprint;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}
