/**
 * Reading fingerprints back: a stored one is checked field by field (a damaged or foreign value must not
 * break a report), and an incident without one — recorded before fingerprints existed — gets one derived
 * from its stored summary and, when the timeline was read, its per-second rates (`fidelity: 'summary'`).
 */
import type { IncidentRecord, IncidentSecond } from '../../stores/index.ts';
import { buildFingerprint, coverageOf } from './build-fingerprint.ts';
import { DISTRIBUTION_FIELDS, type AttackFingerprint, type Distribution, type HttpAttackVector, type NetworkInfo, type RateProfile } from './fingerprint-types.ts';
import { profileOfSeries } from './rate-profile.ts';

const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function distribution(v: unknown, zeros = false): Distribution {
  return Object.fromEntries(Object.entries(obj(v)).filter(([, x]) => typeof x === 'number' && Number.isFinite(x) && (zeros ? x >= 0 : x > 0) && x <= 1)) as Distribution;
}

function profile(v: unknown): RateProfile {
  const p = obj(v);
  const values = Array.isArray(p.values) ? p.values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0).slice(0, 1024) : [];
  return { bucket_seconds: Math.max(1, Math.round(num(p.bucket_seconds)) || 1), values };
}

function networks(v: unknown): Record<string, NetworkInfo> {
  const out: Record<string, NetworkInfo> = {};
  for (const [k, x] of Object.entries(obj(v))) {
    const n = obj(x);
    out[k] = { asn: typeof n.asn === 'number' && Number.isInteger(n.asn) ? n.asn : null, as_name: str(n.as_name), country: str(n.country) };
  }
  return out;
}

function vector(v: unknown): HttpAttackVector {
  const x = obj(v);
  const dists = Object.fromEntries(DISTRIBUTION_FIELDS.map((f) => [f, distribution(x[f])])) as Record<(typeof DISTRIBUTION_FIELDS)[number], Distribution>;
  const cov = obj(x.coverage);
  const coverage = Object.fromEntries(DISTRIBUTION_FIELDS.map((f) => [f, typeof cov[f] === 'number' ? Math.min(1, Math.max(0, cov[f] as number)) : coverageOf(dists[f])])) as HttpAttackVector['coverage'];
  const sketch = obj(x.source_prefix_sketch);
  const ips = Array.isArray(x.source_ips) ? x.source_ips.filter((s): s is string => typeof s === 'string') : null;
  return {
    service: 'HTTP',
    protocol: 'TCP',
    fraction_of_attack: Math.min(1, num(x.fraction_of_attack)),
    nr_requests: num(x.nr_requests),
    time_start: str(x.time_start) ?? '',
    duration_seconds: num(x.duration_seconds),
    ...dists,
    ...(ips !== null ? { source_ips: ips } : {}),
    coverage,
    source_prefix_sketch: {
      k: Math.max(1, Math.round(num(sketch.k)) || 256),
      hashes: Array.isArray(sketch.hashes) ? sketch.hashes.filter((h): h is number => typeof h === 'number' && Number.isInteger(h) && h >= 0) : [],
    },
    networks: networks(x.networks),
    as_names: Object.fromEntries(Object.entries(obj(x.as_names)).filter(([, n]) => typeof n === 'string')) as Record<string, string>,
    ...(x.normal_share_max !== undefined ? { normal_share_max: { source_prefixes: distribution(obj(x.normal_share_max).source_prefixes, true), source_asns: distribution(obj(x.normal_share_max).source_asns, true) } } : {}),
  };
}

/** A stored fingerprint checked and completed, or null when `v` is not one (missing, other version). */
export function parseFingerprint(v: unknown): AttackFingerprint | null {
  const f = obj(v);
  if (f.version !== 1 || !Array.isArray(f.attack_vectors) || f.attack_vectors.length === 0) return null;
  return {
    version: 1,
    format: 'bulwark-http-fingerprint (DDoS Clearing House style)',
    key: str(f.key) ?? '',
    target: str(f.target) ?? '',
    tags: Array.isArray(f.tags) ? f.tags.filter((t): t is string => typeof t === 'string') : [],
    time_start: str(f.time_start) ?? '',
    time_end: str(f.time_end),
    duration_seconds: num(f.duration_seconds),
    total_requests: num(f.total_requests),
    total_ips: num(f.total_ips),
    avg_rps: num(f.avg_rps),
    peak_rps: num(f.peak_rps),
    ramp_seconds: num(f.ramp_seconds),
    rate_profile: profile(f.rate_profile),
    attack_vectors: [vector(f.attack_vectors[0])],
    fidelity: f.fidelity === 'summary' ? 'summary' : 'full',
  };
}

/** End of an incident for its fingerprint: its closing time, else the end of its last recorded second. */
export function incidentEndMs(r: IncidentRecord): number | null {
  return r.closedAtMs ?? (r.lastSecondMs !== null ? r.lastSecondMs + 1000 : null);
}

/**
 * The fingerprint of an incident: the stored one, or one derived from its summary (and from `timeline`'s
 * per-second rates when given) for incidents recorded before fingerprints existed.
 */
export function fingerprintOf(r: IncidentRecord, timeline?: readonly IncidentSecond[]): AttackFingerprint {
  const stored = parseFingerprint((r as { fingerprint?: unknown }).fingerprint);
  if (stored !== null) return stored;
  const rates = timeline !== undefined && timeline.length > 0 ? profileOfSeries(timeline.map((s) => s.requests)) : null;
  return buildFingerprint({
    site: r.site, openedAtMs: r.openedAtMs, endedAtMs: incidentEndMs(r), totalRequests: r.totalRequests, distinctSources: r.distinctSources,
    peakRps: r.peakRps, summary: r.summary, methods: null, rateProfile: rates, fidelity: 'summary',
  });
}
