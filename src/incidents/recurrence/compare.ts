/**
 * Same actor, copycat or unrelated — from two attack fingerprints, with the measures behind the verdict
 * (measures.ts) and a confidence that never claims more than they support.
 *
 * Network similarity: the overlap of the source prefixes. When both attacks' listed prefixes describe at
 * least half of their requests, the distribution overlap decides (it weighs each prefix by its traffic, so
 * a site's own challenged visitors — many prefixes, few requests — do not blur it); otherwise, with
 * thousands of sources none of which stands out, the set overlap from the bottom-k sketches decides. ASN
 * overlap stands in only when neither prefix measure is available.
 * Pattern similarity: the weighted mean of the available pattern measures — paths 0.3, header
 * fingerprints 0.3, user agents 0.2, methods 0.1, rate shape 0.1 — and of their bounds.
 *
 * Verdict: `same_actor` when the network similarity reaches SAME_ACTOR (0.3: the same networks again,
 * whatever they do this time); else `copycat` when the pattern similarity reaches COPYCAT (0.4: the same
 * tooling from other networks); else `unrelated`.
 * Confidence: `high`, `medium` or `low` from where the *bounds* lie against those thresholds (a verdict
 * whose interval straddles a threshold is `low`), then capped when the evidence is thin: no network
 * measure, ASN overlap contradicting the prefixes, a fingerprint derived from an old summary, or fewer
 * than 10 sources. The numbers are the STIX 2.1 confidence scale's Low/Med/High (15/50/85).
 */
import type { AttackFingerprint } from '../fingerprint/fingerprint-types.ts';
import { measure, measuresOf, type MeasureJson } from './measures.ts';
import type { Interval } from './overlap.ts';

/** How two incidents relate. */
export type RecurrenceVerdict = 'same_actor' | 'copycat' | 'unrelated';
/** How sure the verdict is. */
export type Confidence = 'high' | 'medium' | 'low';

/** Network similarity at or above which two incidents are the same actor. */
export const SAME_ACTOR = 0.3;
/** Pattern similarity at or above which different networks are a copycat. */
export const COPYCAT = 0.4;
/** STIX 2.1 confidence of each level (Appendix A, "Low/Med/High"). */
export const CONFIDENCE_SCORE: Readonly<Record<Confidence, number>> = { high: 85, medium: 50, low: 15 };

const PATTERN_WEIGHTS: ReadonlyArray<readonly [string, number]> = [
  ['http_uri', 0.3], ['http_header_fingerprint', 0.3], ['http_user_agent', 0.2], ['http_method', 0.1], ['rate_shape', 0.1],
];

/** The comparison of this incident with another (stored JSON, snake_case). */
export interface RecurrenceComparison {
  /** The other incident's id. */
  readonly other: string;
  readonly verdict: RecurrenceVerdict;
  readonly confidence: Confidence;
  readonly confidence_score: number;
  /** Network similarity, with the measure it rests on; null when no network measure is available. */
  readonly network: (Interval & { readonly basis: string; readonly measure: string }) | null;
  /** Pattern similarity; null when no pattern measure is available. */
  readonly pattern: Interval | null;
  readonly measures: readonly MeasureJson[];
  /** What limited the confidence, in words (empty when nothing did). */
  readonly limits: readonly string[];
  /** The verdict in one sentence. */
  readonly words: string;
}

const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;

function networkOf(ms: readonly MeasureJson[], x: AttackFingerprint, y: AttackFingerprint): (Interval & { basis: string; measure: string }) | null {
  const dist = measure(ms, 'prefix_distribution');
  const set = measure(ms, 'prefix_set');
  const asn = measure(ms, 'asn_distribution');
  const wide = Math.min(x.attack_vectors[0].coverage.source_prefixes, y.attack_vectors[0].coverage.source_prefixes) >= 0.5;
  const pick = (m: MeasureJson | undefined, basis: string) => (m?.available ? { estimate: m.estimate!, low: m.low ?? m.estimate!, high: m.high ?? m.estimate!, basis, measure: m.id } : null);
  if (wide && dist?.available) return pick(dist, 'source prefixes by share of requests');
  return pick(set, 'every source prefix (bottom-k sketch)') ?? pick(dist, 'source prefixes by share of requests') ?? pick(asn, 'source ASNs by share (no prefix measure)');
}

function patternOf(ms: readonly MeasureJson[]): Interval | null {
  let w = 0, e = 0, lo = 0, hi = 0;
  for (const [id, weight] of PATTERN_WEIGHTS) {
    const m = measure(ms, id);
    if (!m?.available || m.estimate === null) continue;
    w += weight;
    e += weight * m.estimate;
    lo += weight * (m.low ?? m.estimate);
    hi += weight * (m.high ?? m.estimate);
  }
  return w > 0 ? { estimate: r4(e / w), low: r4(lo / w), high: r4(hi / w) } : null;
}

function verdictOf(network: Interval | null, pattern: Interval | null): RecurrenceVerdict {
  if (network !== null && network.estimate >= SAME_ACTOR) return 'same_actor';
  if (pattern !== null && pattern.estimate >= COPYCAT) return 'copycat';
  return 'unrelated';
}

function levelOf(v: RecurrenceVerdict, n: Interval | null, p: Interval | null): Confidence {
  const nHigh = n?.high ?? 1;
  const pLow = p?.low ?? 0;
  const pHigh = p?.high ?? 1;
  if (v === 'same_actor') return n!.low >= 0.5 ? 'high' : n!.low >= SAME_ACTOR ? 'medium' : 'low';
  if (v === 'copycat') return nHigh < 0.1 && pLow >= 0.7 ? 'high' : nHigh < SAME_ACTOR && pLow >= COPYCAT ? 'medium' : 'low';
  // Methods (mostly GET) and rate shapes resemble each other in most floods: up to 0.25 is no common tooling.
  return nHigh < 0.1 && pHigh < 0.25 ? 'high' : nHigh < SAME_ACTOR && pHigh < COPYCAT ? 'medium' : 'low';
}

const RANK: Record<Confidence, number> = { low: 0, medium: 1, high: 2 };
const cap = (c: Confidence, most: Confidence): Confidence => (RANK[c] > RANK[most] ? most : c);

function limitsOf(v: RecurrenceVerdict, ms: readonly MeasureJson[], n: Interval | null, x: AttackFingerprint, y: AttackFingerprint): Array<[string, Confidence]> {
  const out: Array<[string, Confidence]> = [];
  if (n === null) out.push(['no source network measure is available for both incidents', 'low']);
  const asn = measure(ms, 'asn_distribution');
  if (asn?.available && v === 'same_actor' && (asn.high ?? 1) < 0.1) out.push(['the prefixes overlap but their ASNs do not (has the geo data changed?)', 'medium']);
  if (asn?.available && v !== 'same_actor' && (asn.low ?? 0) >= 0.5) out.push([`the source ASNs overlap ${asn.estimate!.toFixed(2)}: the same operators' networks, other addresses — possibly the same actor`, 'low']);
  if (x.fidelity === 'summary' || y.fidelity === 'summary') out.push(['a fingerprint was derived from an older summary (no methods recorded)', 'medium']);
  if (Math.min(x.total_ips, y.total_ips) < 10) out.push([`few sources (${Math.min(x.total_ips, y.total_ips)}): a small sample`, 'medium']);
  if (v !== 'same_actor' && n !== null && n.low < SAME_ACTOR && n.high >= SAME_ACTOR) out.push([`the network overlap could reach ${n.high.toFixed(2)} within its bound`, 'low']);
  return out;
}

const num = (v: number): string => v.toFixed(2);
const range = (i: Interval): string => (i.low === i.high ? num(i.estimate) : `${num(i.estimate)} (${num(i.low)}–${num(i.high)})`);

function wordsOf(v: RecurrenceVerdict, c: Confidence, other: string, n: (Interval & { basis: string }) | null, p: Interval | null, when: 'earlier' | 'later'): string {
  const net = n === null ? 'source networks not comparable' : `source networks overlap ${range(n)} (${n.basis})`;
  const pat = p === null ? 'request pattern not comparable' : `request pattern similarity ${range(p)}`;
  switch (v) {
    case 'same_actor':
      return `Same actor as ${other} (${c} confidence): ${net} — the same networks came back; ${pat}.`;
    case 'copycat':
      return when === 'earlier'
        ? `Copycat of ${other} (${c} confidence): ${pat} — the same way of attacking — but from other networks: ${net}.`
        : `Copied later by ${other} (copycat, ${c} confidence): ${pat} — the same way of attacking — but from other networks: ${net}.`;
    case 'unrelated':
      return `Unrelated to ${other} (${c} confidence): ${net}; ${pat}.`;
  }
}

/**
 * Compares this incident's fingerprint `x` with another incident's `y` (id `other`, opened `when`
 * relative to this one: it only changes the words of a copycat verdict). Pure and deterministic.
 */
export function compareFingerprints(x: AttackFingerprint, y: AttackFingerprint, other: string, when: 'earlier' | 'later' = 'earlier'): RecurrenceComparison {
  const measures = measuresOf(x, y);
  const network = networkOf(measures, x, y);
  const pattern = patternOf(measures);
  const verdict = verdictOf(network, pattern);
  let confidence = levelOf(verdict, network, pattern);
  const limits = limitsOf(verdict, measures, network, x, y);
  for (const [, most] of limits) confidence = cap(confidence, most);
  return {
    other, verdict, confidence, confidence_score: CONFIDENCE_SCORE[confidence], network, pattern, measures,
    limits: limits.map(([why]) => why), words: wordsOf(verdict, confidence, other, network, pattern, when),
  };
}

/** Orders comparisons from the most telling: same actor, then copycat, then unrelated; stronger first within each. */
export function mostTelling(a: RecurrenceComparison, b: RecurrenceComparison): number {
  const rank: Record<RecurrenceVerdict, number> = { same_actor: 2, copycat: 1, unrelated: 0 };
  if (rank[a.verdict] !== rank[b.verdict]) return rank[b.verdict] - rank[a.verdict];
  const strength = (c: RecurrenceComparison) => (c.verdict === 'same_actor' ? (c.network?.estimate ?? 0) : (c.pattern?.estimate ?? 0));
  return strength(b) - strength(a);
}
