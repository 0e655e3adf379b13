/**
 * Recurrence (THREATS.md, "recurrence"): when an incident closes, compare it with the site's recent
 * closed incidents (`compareIncidents` from the core, on dimensions that describe at least a quarter of
 * each incident's requests) and link it to the most telling one:
 * a `same_actor` match beats a `copycat` match beats `different`; within a verdict, the higher network
 * (same_actor) or pattern (copycat, different) similarity wins. The link carries the evidence: both
 * similarities, the keys shared per dimension with their shares in each incident, and every candidate
 * compared.
 */
import { compareIncidents, type IncidentSimilarity, type IncidentSummary } from '../core/detect/index.ts';
import type { IncidentRecord, LinkVerdict } from '../stores/index.ts';
import { coreSummaryOf, DIMENSION_FIELD, sourceSignatureOf } from './incident-json.ts';
import { kmvJaccard } from '../core/detect/kmv.ts';

/** The link to store with an incident, or null when there was nothing to compare with. */
export interface IncidentLink {
  readonly linkedTo: string;
  readonly linkVerdict: LinkVerdict;
  readonly linkEvidence: LinkEvidenceJson;
}

/** Stored `link_evidence` (snake_case, stable). */
export interface LinkEvidenceJson {
  readonly verdict: LinkVerdict;
  readonly network_similarity: number;
  readonly pattern_similarity: number;
  readonly rate_shape_similarity: number;
  readonly reason: string;
  readonly dimensions: ReadonlyArray<{
    readonly dimension: string;
    readonly score: number;
    readonly jaccard: number;
    readonly cosine: number;
    /** Keys in both incidents' top lists: share in this incident and in the linked one. */
    readonly shared: ReadonlyArray<{ readonly key: string | number; readonly share_this: number; readonly share_linked: number }>;
  }>;
  readonly compared: ReadonlyArray<{ readonly id: string; readonly verdict: LinkVerdict; readonly network_similarity: number; readonly pattern_similarity: number }>;
}

/**
 * A dimension whose listed keys cover less than this share of an incident's requests is left out of the
 * comparison. Without it, two floods from sources without ASN or country data (unknown to the geo data)
 * would compare only the few visitors' ASNs and countries in those lists — identical in both — and look
 * like the same actor.
 */
export const MIN_DIMENSION_COVERAGE = 0.1;

/** The summary with its thin dimensions emptied (see MIN_DIMENSION_COVERAGE). */
export function comparable(summary: IncidentSummary): IncidentSummary {
  const top = { ...summary.top };
  for (const d of Object.keys(top) as Array<keyof typeof top>) {
    const covered = top[d].reduce((n, e) => n + e.share, 0);
    if (covered < MIN_DIMENSION_COVERAGE) top[d] = [];
  }
  return { ...summary, top };
}

const VERDICT_RANK: Record<LinkVerdict, number> = { same_actor: 2, copycat: 1, different: 0 };

function strength(s: IncidentSimilarity): number {
  return s.verdict === 'same_actor' ? s.network : s.pattern;
}

/** Share of an incident's requests its top prefixes account for. */
function prefixCoverage(summary: IncidentSummary): number {
  return summary.top.prefix.reduce((n, e) => n + e.share, 0);
}

/**
 * Below this prefix coverage, the top lists cannot describe the attackers' networks (thousands of
 * sources, none heavy): the whole-incident sketches decide instead. Above it they do, and the sketches
 * stay out — they weigh every prefix alike, so a site's own challenged visitors would blur them.
 */
const THIN_TOP_LISTS = 0.5;

/**
 * Blends in the overlap of the whole source-prefix sets (bottom-k sketches): with thousands of sources
 * none is a heavy hitter, so the top lists alone cannot see that the same networks came back. The
 * network similarity is the larger of the two; an overlap of 0.3 or more makes it the same actor.
 */
function withSourceOverlap(sim: IncidentSimilarity, overlap: number): IncidentSimilarity {
  if (!(overlap > sim.network)) return sim;
  const network = overlap;
  const verdict = network >= SAME_ACTOR_OVERLAP ? 'same_actor' : sim.verdict;
  const reason = `${verdict}: source prefixes overlap ${network.toFixed(2)} (whole-incident sketch); ${sim.reason.replace(/^[a-z_]+: /, '')}`;
  return { ...sim, network, verdict, reason };
}

const SAME_ACTOR_OVERLAP = 0.3;

/** Chooses the link among `candidates` (the site's latest closed incidents, newest first). */
export function linkIncident(current: IncidentSummary, candidates: readonly IncidentRecord[], currentSignature: readonly number[] = []): IncidentLink | null {
  let best: { record: IncidentRecord; sim: IncidentSimilarity } | null = null;
  const compared: Array<LinkEvidenceJson['compared'][number]> = [];
  const mine = comparable(current);
  for (const record of candidates) {
    const other = coreSummaryOf(record.summary);
    if (other === null) continue;
    const thin = prefixCoverage(current) < THIN_TOP_LISTS || prefixCoverage(other) < THIN_TOP_LISTS;
    const base = compareIncidents(mine, comparable(other));
    const sim = thin ? withSourceOverlap(base, kmvJaccard(currentSignature, sourceSignatureOf(record.summary))) : base;
    compared.push({ id: record.id, verdict: sim.verdict, network_similarity: sim.network, pattern_similarity: sim.pattern });
    if (best === null || VERDICT_RANK[sim.verdict] > VERDICT_RANK[best.sim.verdict]
      || (sim.verdict === best.sim.verdict && strength(sim) > strength(best.sim))) best = { record, sim };
  }
  if (best === null) return null;
  const sim = best.sim;
  return {
    linkedTo: best.record.id,
    linkVerdict: sim.verdict,
    linkEvidence: {
      verdict: sim.verdict,
      network_similarity: sim.network,
      pattern_similarity: sim.pattern,
      rate_shape_similarity: sim.rateShape,
      reason: sim.reason,
      dimensions: sim.evidence
        .filter((e) => e.score > 0 || e.shared.length > 0)
        .map((e) => ({
          dimension: DIMENSION_FIELD[e.dimension], score: e.score, jaccard: e.jaccard, cosine: e.cosine,
          shared: e.shared.slice(0, 10).map((s) => ({ key: s.key, share_this: s.shareA, share_linked: s.shareB })),
        })),
      compared,
    },
  };
}
