/**
 * Recurrence (docs/threats.md, "recurrence"): when an incident closes, its attack fingerprint is compared with
 * those of the site's recent closed incidents (recurrence/compare.ts) and the incident is linked to the
 * most telling one: a `same_actor` match beats a `copycat` match beats an unrelated one; within a verdict,
 * the higher network (same actor) or pattern (copycat, unrelated) similarity wins. Reports compare with
 * the same fingerprints in the same way, so the stored link and every report agree.
 *
 * The stored verdict keeps the store's vocabulary (`different` for unrelated). The evidence carries both
 * similarities, the confidence, the values shared per dimension with their shares in each incident, every
 * candidate compared, and the whole comparison (every measure with its bound).
 */
import type { IncidentRecord, LinkVerdict } from '../stores/index.ts';
import type { AttackFingerprint } from './fingerprint/fingerprint-types.ts';
import { compareFingerprints, mostTelling, type Confidence, type RecurrenceComparison, type RecurrenceVerdict } from './recurrence/compare.ts';

/** The link to store with an incident, or null when there was nothing to compare with. */
export interface IncidentLink {
  readonly linkedTo: string;
  readonly linkVerdict: LinkVerdict;
  readonly linkEvidence: LinkEvidenceJson;
}

/** Stored `link_evidence` (snake_case, stable). */
export interface LinkEvidenceJson {
  readonly verdict: LinkVerdict;
  readonly confidence: Confidence;
  readonly confidence_score: number;
  readonly network_similarity: number;
  readonly pattern_similarity: number;
  readonly rate_shape_similarity: number;
  readonly reason: string;
  readonly dimensions: ReadonlyArray<{
    readonly dimension: string;
    readonly score: number;
    readonly low: number | null;
    readonly high: number | null;
    /** Values in both incidents: share in this incident and in the linked one. */
    readonly shared: ReadonlyArray<{ readonly key: string | number; readonly share_this: number; readonly share_linked: number }>;
  }>;
  readonly compared: ReadonlyArray<{ readonly id: string; readonly verdict: LinkVerdict; readonly confidence: Confidence; readonly network_similarity: number; readonly pattern_similarity: number }>;
  /** The full comparison with the linked incident. */
  readonly comparison: RecurrenceComparison;
}

/** A candidate: a closed incident and its fingerprint. */
export interface LinkCandidate {
  readonly record: IncidentRecord;
  readonly fingerprint: AttackFingerprint;
}

/** The store's verdict word for a recurrence verdict (`unrelated` is stored as `different`). */
export function storedVerdict(v: RecurrenceVerdict): LinkVerdict {
  return v === 'unrelated' ? 'different' : v;
}

/** Dimension names of the distribution measures in the stored evidence. */
const DIMENSION_OF: Readonly<Record<string, string>> = {
  prefix_distribution: 'prefix', asn_distribution: 'asn', country_distribution: 'country', addresses: 'address',
  http_uri: 'path', http_method: 'method', http_user_agent: 'user_agent', http_header_fingerprint: 'fingerprint',
};

function evidenceOf(c: RecurrenceComparison, compared: LinkEvidenceJson['compared']): LinkEvidenceJson {
  const rate = c.measures.find((m) => m.id === 'rate_shape');
  return {
    verdict: storedVerdict(c.verdict),
    confidence: c.confidence,
    confidence_score: c.confidence_score,
    network_similarity: c.network?.estimate ?? 0,
    pattern_similarity: c.pattern?.estimate ?? 0,
    rate_shape_similarity: rate?.estimate ?? 0,
    reason: c.words,
    dimensions: c.measures
      .filter((m) => m.available && DIMENSION_OF[m.id] !== undefined && m.estimate !== null)
      .map((m) => ({
        dimension: DIMENSION_OF[m.id]!, score: m.estimate!, low: m.low, high: m.high,
        shared: (m.shared ?? []).map((s) => ({ key: s.key, share_this: s.this, share_linked: s.other })),
      })),
    compared,
    comparison: c,
  };
}

/** Chooses the link among `candidates` (the site's latest closed incidents, newest first). */
export function linkIncident(current: AttackFingerprint, candidates: readonly LinkCandidate[]): IncidentLink | null {
  const comparisons = candidates.map((c) => compareFingerprints(current, c.fingerprint, c.record.id));
  if (comparisons.length === 0) return null;
  const compared = comparisons.map((c) => ({
    id: c.other, verdict: storedVerdict(c.verdict), confidence: c.confidence, network_similarity: c.network?.estimate ?? 0, pattern_similarity: c.pattern?.estimate ?? 0,
  }));
  // Stable: among equally telling comparisons the newest candidate (listed first) wins.
  const best = comparisons.map((c, i) => ({ c, i })).sort((p, q) => mostTelling(p.c, q.c) || p.i - q.i)[0]!.c;
  return { linkedTo: best.other, linkVerdict: storedVerdict(best.verdict), linkEvidence: evidenceOf(best, compared) };
}
