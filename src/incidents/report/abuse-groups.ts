/**
 * Which source networks get an abuse report, grouped the way abuse desks work: one group per autonomous
 * system (its prefixes together), and one per prefix whose AS is unknown. Shared by the X-ARF drafts and
 * the MISP `ddos` objects, so both name the same networks.
 *
 * A network is left out — and the reason said — when it sent less than `minShare` (1%) of the attack's
 * requests, or when it also carried a comparable share of the site's *normal* traffic (its attack share
 * is below `minLift` (3) times the most it carried normally): that is where the site's own visitors come
 * from, and an abuse desk would be asked to act against them. Addresses are listed per network only when
 * the report may show them (not truncated, not removed by retention).
 */
import { parseCidr, prefixKey } from '../../core/net/ip.ts';
import type { NetworkRowJson, RankedJson, ReportModel } from './report-types.ts';

/** One abuse report's worth of networks. */
export interface AbuseGroup {
  /** `AS64496`, or the prefix when its AS is unknown. */
  readonly key: string;
  readonly asn: number | null;
  readonly as_name: string | null;
  readonly countries: readonly string[];
  readonly networks: readonly NetworkRowJson[];
  /** Top addresses inside these networks (empty when withheld). */
  readonly addresses: readonly RankedJson[];
  readonly requests: number;
  readonly share: number;
}

/** Options of {@link abuseGroups}. */
export interface AbuseGroupOptions {
  /** Least share of the attack's requests a network must have sent. Default 0.01. */
  readonly minShare?: number;
  /** Least ratio of attack share to normal share. Default 3. */
  readonly minLift?: number;
}

function inside(address: string, network: string): boolean {
  const c = parseCidr(network);
  return c !== null && prefixKey(address, c.bits) === network;
}

/** The groups, largest first, and the networks left out with the reason. */
export function abuseGroups(m: ReportModel, options: AbuseGroupOptions = {}): { groups: AbuseGroup[]; leftOut: Array<{ key: string; reason: string }> } {
  const minShare = options.minShare ?? 0.01;
  const minLift = options.minLift ?? 3;
  const normal = m.fingerprint.attack_vectors[0].normal_share_max?.source_prefixes ?? {};
  const leftOut: Array<{ key: string; reason: string }> = [];
  const byKey = new Map<string, NetworkRowJson[]>();
  for (const n of m.sources.networks) {
    if (n.share < minShare) {
      leftOut.push({ key: n.key, reason: `sent ${(n.share * 100).toFixed(2)}% of the attack's requests (less than ${(minShare * 100).toFixed(0)}%)` });
      continue;
    }
    const usual = normal[n.key];
    if (usual !== undefined && n.share < minLift * usual) {
      leftOut.push({ key: n.key, reason: `carried up to ${(usual * 100).toFixed(1)}% of the site's normal traffic too: its own visitors` });
      continue;
    }
    const key = n.asn !== null ? `AS${n.asn}` : n.key;
    byKey.set(key, [...(byKey.get(key) ?? []), n]);
  }
  const groups = [...byKey.entries()].map(([key, networks]) => {
    const first = networks[0]!;
    const addresses = (m.sources.addresses ?? []).filter((a) => networks.some((n) => inside(a.key, n.key)));
    return {
      key, asn: first.asn, as_name: first.as_name, countries: [...new Set(networks.map((n) => n.country).filter((c): c is string => c !== null))],
      networks, addresses, requests: networks.reduce((s, n) => s + n.requests, 0), share: Math.round(networks.reduce((s, n) => s + n.share, 0) * 1e4) / 1e4,
    };
  });
  groups.sort((a, b) => b.requests - a.requests || (a.key < b.key ? -1 : 1));
  return { groups, leftOut };
}
