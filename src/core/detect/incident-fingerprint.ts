/**
 * A compact summary of an attack — top prefixes, ASNs, countries, addresses, paths, user agents and
 * fingerprints with their shares, and the shape of its request rate — and a comparison of two summaries
 * that says whether a recurrence is the `same_actor` (the same networks again: overlapping prefixes and
 * ASNs), a `copycat` (the same paths / tooling from disjoint networks) or `different`, with the evidence
 * (docs/threats.md, "recurrence").
 *
 * Per dimension, similarity is the mean of the weighted Jaccard index Σmin/Σmax of the shares and the
 * cosine of the share vectors: Jaccard rewards the same keys in the same proportions, cosine the same
 * dominant keys even when the tails differ.
 */
import { byDimension, DIMENSIONS, type ByDimension, type Dimension } from './dimensions.ts';
import { createSpaceSaving, type HeavyHitter, type HeavyKey } from './heavy-hitters.ts';
import type { Snapshot } from './window-aggregates.ts';

/** A key and its share of the incident's uncleared requests. */
export interface KeyShare {
  readonly key: HeavyKey;
  readonly share: number;
}

/** The rate profile of an incident (per-second request counts). */
export interface RateShape {
  readonly peakRps: number;
  readonly meanRps: number;
  readonly durationS: number;
  /** Seconds from the start to the peak. */
  readonly rampS: number;
}

/** What the incidents store keeps to recognise a recurrence (JSON-safe). */
export interface IncidentSummary {
  readonly version: 1;
  readonly totalRequests: number;
  readonly top: ByDimension<readonly KeyShare[]>;
  readonly rate: RateShape;
}

/** Builds a summary from heavy hitters over `total` requests and a per-second rate series. */
export function summariseIncident(input: { heavy: ByDimension<readonly HeavyHitter[]>; total: number; rates: readonly number[]; topN?: number }): IncidentSummary {
  const topN = input.topN ?? 10;
  const top = byDimension((d) =>
    input.heavy[d].slice(0, topN).map((e) => ({ key: e.key, share: input.total > 0 ? Math.min(Math.max(e.count - e.error, 0) / input.total, 1) : 0 })),
  );
  let peak = 0;
  let peakAt = 0;
  let sum = 0;
  input.rates.forEach((r, i) => {
    sum += r;
    if (r > peak) [peak, peakAt] = [r, i];
  });
  const n = input.rates.length;
  return { version: 1, totalRequests: input.total, top, rate: { peakRps: peak, meanRps: n > 0 ? sum / n : 0, durationS: n, rampS: peakAt } };
}

/** Accumulates an incident's summary tick by tick, in bounded memory (`capacity` keys per dimension). */
export interface IncidentRecorder {
  /** Adds one detector tick's snapshot (its last second of rate, its recent heavy hitters). */
  observe(snapshot: Snapshot): void;
  summary(): IncidentSummary;
  readonly seconds: number;
}

/** Creates a recorder keeping `capacity` keys per dimension (default 256) and reporting the top `topN` (10). */
export function createIncidentRecorder(options: { capacity?: number; topN?: number } = {}): IncidentRecorder {
  const summaries = byDimension(() => createSpaceSaving({ capacity: options.capacity ?? 256 }));
  let total = 0;
  let seconds = 0;
  let peak = 0;
  let peakAt = 0;
  let sum = 0;
  return {
    observe(snapshot) {
      const scale = 1 / Math.max(snapshot.heavy.seconds, 1);
      total += snapshot.heavy.total * scale;
      for (const d of DIMENSIONS) for (const e of snapshot.heavy.byDimension[d]) if (e.count > 0) summaries[d].offer(e.key, e.count * scale);
      const r = snapshot.last.requests / snapshot.last.seconds;
      if (r > peak) [peak, peakAt] = [r, seconds];
      sum += r;
      seconds++;
    },
    summary() {
      const s = summariseIncident({ heavy: byDimension((d) => summaries[d].top(options.topN ?? 10)), total, rates: [], topN: options.topN ?? 10 });
      return { ...s, rate: { peakRps: peak, meanRps: seconds > 0 ? sum / seconds : 0, durationS: seconds, rampS: peakAt } };
    },
    get seconds() {
      return seconds;
    },
  };
}

/** How two incidents relate: the same networks again, the same pattern from other networks, or neither. */
export type IncidentVerdict = 'same_actor' | 'copycat' | 'different';

/** Similarity of one dimension, with the keys both incidents share. */
export interface DimensionSimilarity {
  readonly dimension: Dimension;
  readonly jaccard: number;
  readonly cosine: number;
  /** (jaccard + cosine) / 2. */
  readonly score: number;
  readonly shared: ReadonlyArray<{ readonly key: HeavyKey; readonly shareA: number; readonly shareB: number }>;
}

/** The comparison of two incidents, with the evidence behind the verdict. */
export interface IncidentSimilarity {
  readonly verdict: IncidentVerdict;
  /** Weighted similarity of where the traffic came from (prefix, ASN, address, country). */
  readonly network: number;
  /** Weighted similarity of what it did (path, fingerprint, user agent). */
  readonly pattern: number;
  /** 1 for equal peak rates, 0 for peaks 10× apart (evidence only). */
  readonly rateShape: number;
  readonly evidence: readonly DimensionSimilarity[];
  readonly reason: string;
}

/** Verdict thresholds and per-dimension weights of `compareIncidents`. */
export interface SimilarityOptions {
  /** network ≥ this → same_actor. Default 0.3. */
  readonly sameActor?: number;
  /** otherwise pattern ≥ this → copycat. Default 0.4. */
  readonly copycat?: number;
  readonly networkWeights?: Partial<Record<Dimension, number>>;
  readonly patternWeights?: Partial<Record<Dimension, number>>;
}

const NETWORK_WEIGHTS: Partial<Record<Dimension, number>> = { prefix: 0.4, asn: 0.3, address: 0.2, country: 0.1 };
const PATTERN_WEIGHTS: Partial<Record<Dimension, number>> = { path: 0.4, fingerprint: 0.4, userAgent: 0.2 };

/** Compares two dimensions' top lists. */
export function compareDimension(dimension: Dimension, a: readonly KeyShare[], b: readonly KeyShare[]): DimensionSimilarity {
  const mapB = new Map(b.map((e) => [e.key, e.share]));
  const keys = new Set([...a.map((e) => e.key), ...b.map((e) => e.key)]);
  const mapA = new Map(a.map((e) => [e.key, e.share]));
  let min = 0, max = 0, dot = 0, na = 0, nb = 0;
  const shared: Array<{ key: HeavyKey; shareA: number; shareB: number }> = [];
  for (const k of keys) {
    const x = mapA.get(k) ?? 0;
    const y = mapB.get(k) ?? 0;
    min += Math.min(x, y);
    max += Math.max(x, y);
    dot += x * y;
    na += x * x;
    nb += y * y;
    if (x > 0 && y > 0) shared.push({ key: k, shareA: x, shareB: y });
  }
  const jaccard = max > 0 ? min / max : 0;
  const cosine = na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
  shared.sort((p, q) => Math.min(q.shareA, q.shareB) - Math.min(p.shareA, p.shareB));
  return { dimension, jaccard, cosine, score: (jaccard + cosine) / 2, shared };
}

function weighted(evidence: readonly DimensionSimilarity[], a: IncidentSummary, b: IncidentSummary, weights: Partial<Record<Dimension, number>>): number {
  let num = 0;
  let den = 0;
  for (const e of evidence) {
    const w = weights[e.dimension];
    if (w === undefined || a.top[e.dimension].length === 0 || b.top[e.dimension].length === 0) continue;
    num += w * e.score;
    den += w;
  }
  return den > 0 ? num / den : 0;
}

/** Compares two incidents: same_actor, copycat or different, with per-dimension evidence. */
export function compareIncidents(a: IncidentSummary, b: IncidentSummary, options: SimilarityOptions = {}): IncidentSimilarity {
  const evidence = DIMENSIONS.map((d) => compareDimension(d, a.top[d], b.top[d]));
  const network = weighted(evidence, a, b, options.networkWeights ?? NETWORK_WEIGHTS);
  const pattern = weighted(evidence, a, b, options.patternWeights ?? PATTERN_WEIGHTS);
  const pa = Math.max(a.rate.peakRps, 1e-9);
  const pb = Math.max(b.rate.peakRps, 1e-9);
  const rateShape = Math.max(0, 1 - Math.abs(Math.log10(pa / pb)));
  const verdict: IncidentVerdict = network >= (options.sameActor ?? 0.3) ? 'same_actor' : pattern >= (options.copycat ?? 0.4) ? 'copycat' : 'different';
  const sharedText = evidence
    .filter((e) => e.shared.length > 0)
    .map((e) => `${e.dimension}: ${e.shared.slice(0, 3).map((s) => String(s.key)).join(', ')}`)
    .join('; ');
  const reason = `${verdict}: network similarity ${network.toFixed(2)}, pattern similarity ${pattern.toFixed(2)}${sharedText ? `; shared ${sharedText}` : '; nothing shared'}`;
  return { verdict, network, pattern, rateShape, evidence, reason };
}
