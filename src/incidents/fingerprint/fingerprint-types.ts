/**
 * The attack fingerprint stored with every incident, in the style of the DDoS Clearing House fingerprint
 * format (https://github.com/ddos-clearing-house/ddos_dissector, `fingerprint_format.md`): summary
 * statistics of the whole attack and one attack vector with per-attack distributions — maps of a value to
 * its fraction of the attack's requests — of `http_uri`, `http_method`, `http_user_agent`, plus the
 * source networks. Recurrence comparisons (same actor, copycat, unrelated) read only fingerprints, so two
 * incidents are compared on the same data every time, whichever report or process asks.
 *
 * Differences from the DDoS-CH format, all because Bulwark sees HTTP requests rather than packets:
 * request counts instead of packets, flows and bytes; `http_header_fingerprint` (Bulwark's header-order
 * fingerprint) and `source_prefixes` / `source_asns` / `source_countries` distributions next to
 * `source_ips`; `coverage` per distribution (the share of the attack's requests the listed values are
 * known to account for — the rest is an unknown tail, which is what the comparison's error bounds come
 * from); a bottom-k sketch of every source prefix; and the rate profile over time.
 *
 * Fractions are of the incident's *uncleared* requests (what the heavy hitters count: real visitors with
 * a clearance are not the attack). Keys of a distribution are strings (JSON); ASNs are decimal strings.
 */

/** A distribution: value → fraction of the attack's requests (lower bounds from the heavy-hitter sketch). */
export type Distribution = Readonly<Record<string, number>>;

/** What is known about one source network (from the offline ASN and country data when it was built). */
export interface NetworkInfo {
  readonly asn: number | null;
  readonly as_name: string | null;
  readonly country: string | null;
}

/** A rate profile: mean requests per second of consecutive buckets of `bucket_seconds` from the start. */
export interface RateProfile {
  readonly bucket_seconds: number;
  readonly values: readonly number[];
}

/** The one HTTP attack vector of an incident. */
export interface HttpAttackVector {
  readonly service: 'HTTP';
  readonly protocol: 'TCP';
  /** Uncleared requests ÷ all requests of the incident (the rest were cleared visitors). */
  readonly fraction_of_attack: number;
  /** Uncleared requests (the population every fraction below is of). */
  readonly nr_requests: number;
  readonly time_start: string;
  readonly duration_seconds: number;
  readonly http_uri: Distribution;
  readonly http_method: Distribution;
  readonly http_user_agent: Distribution;
  readonly http_header_fingerprint: Distribution;
  readonly source_prefixes: Distribution;
  readonly source_asns: Distribution;
  readonly source_countries: Distribution;
  /** Address-level sources (the top addresses); removed by retention, truncated when configured. */
  readonly source_ips?: readonly string[];
  /** Sum of the listed fractions per distribution (0 when the value was not recorded). */
  readonly coverage: Readonly<Record<DistributionField, number>>;
  /** Bottom-k sketch of every uncleared source prefix (core/detect/kmv.ts), with its k. */
  readonly source_prefix_sketch: { readonly k: number; readonly hashes: readonly number[] };
  /** ASN, AS name and country of the listed source prefixes. */
  readonly networks: Readonly<Record<string, NetworkInfo>>;
  /** Names of the listed ASNs (decimal string → name). */
  readonly as_names: Readonly<Record<string, string>>;
  /**
   * For the listed source prefixes and ASNs: the most of the site's *normal* uncleared traffic they
   * carried, from the learned baseline when the fingerprint was built (share + its bound). A network
   * that sends a large share of an attack but a similar share of normal traffic is where the site's own
   * visitors come from, not an attacker: abuse reports leave it out. Absent when no baseline was known.
   */
  readonly normal_share_max?: { readonly source_prefixes: Distribution; readonly source_asns: Distribution };
}

/** The distribution fields of an attack vector, in the order reports show them. */
export type DistributionField =
  | 'http_uri'
  | 'http_method'
  | 'http_user_agent'
  | 'http_header_fingerprint'
  | 'source_prefixes'
  | 'source_asns'
  | 'source_countries';

export const DISTRIBUTION_FIELDS: readonly DistributionField[] = [
  'http_uri', 'http_method', 'http_user_agent', 'http_header_fingerprint', 'source_prefixes', 'source_asns', 'source_countries',
];

/** An incident's attack fingerprint (stored JSON, snake_case, stable). */
export interface AttackFingerprint {
  readonly version: 1;
  /** Says what this is to a reader of the stored JSON. */
  readonly format: 'bulwark-http-fingerprint (DDoS Clearing House style)';
  /** SHA-256 of the canonical fingerprint without `key` (DDoS-CH uses MD5 for the same purpose). */
  readonly key: string;
  /** The protected site (never its address). */
  readonly target: string;
  readonly tags: readonly string[];
  readonly time_start: string;
  readonly time_end: string | null;
  readonly duration_seconds: number;
  /** Every request of the incident, visitors included. */
  readonly total_requests: number;
  /** Distinct source addresses (estimate). */
  readonly total_ips: number;
  readonly avg_rps: number;
  readonly peak_rps: number;
  /** Seconds from the start to the peak. */
  readonly ramp_seconds: number;
  readonly rate_profile: RateProfile;
  readonly attack_vectors: readonly [HttpAttackVector];
  /**
   * `full`: built while the incident was recorded; `summary`: derived later from a stored summary that
   * predates fingerprints (no methods; rate profile from the timeline when there is one).
   */
  readonly fidelity: 'full' | 'summary';
}
