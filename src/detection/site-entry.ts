/**
 * One site inside the detection service: its core detector (`SiteDetector`), the extras the incident
 * record needs (site-extras.ts), the last tick's result and the override last applied. Building the
 * detector from saved state, applying an override read from the settings store, and turning a tick into
 * the incident tracker's input live here so the service reads as orchestration.
 */
import { createSiteDetector, type SiteDetector, type SiteDetectorOptions, type SiteTick } from '../core/detect/index.ts';
import type { ThreatLevel } from '../core/vocabulary.ts';
import { baselineFacts, type IncidentSecondInput } from '../incidents/incident-accumulator.ts';
import type { SavedSite } from './detection-state.ts';
import type { StoredOverride } from './override.ts';
import { createSiteExtras, type SiteExtras } from './site-extras.ts';

/** A site's detection state in the service. */
export interface SiteEntry {
  readonly name: string;
  readonly detector: SiteDetector;
  readonly extras: SiteExtras;
  /** First complete second this entry observed: earlier snapshots are empty, not quiet. */
  readonly firstSecond: number;
  /** The last tick (null before the first). */
  last: SiteTick | null;
  /** Identity of the override last applied from the settings store (`level|untilMs|by`), or null. */
  overrideKey: string | null;
  /** What this process did for the site at its last tick (coordination.ts); `lead` without coordination. */
  role: 'lead' | 'follow' | 'alone' | null;
}

/**
 * Creates a site's entry from what was saved. A saved baseline the core refuses (corrupt, other
 * version) is dropped and reported through `onInvalid`: the site re-learns rather than not starting.
 */
export function createSiteEntry(name: string, options: SiteDetectorOptions, saved: SavedSite | undefined, hashSeed: number, nowMs: number, onInvalid: (what: string, err: unknown) => void): SiteEntry {
  const withState: SiteDetectorOptions = {
    ...options,
    ...(saved?.state ? { savedState: saved.state } : {}),
    ...(saved?.rules ? { savedRules: saved.rules.filter((r) => r.expiresMs > nowMs) } : {}),
  };
  let detector: SiteDetector;
  try {
    detector = createSiteDetector(saved?.baseline !== undefined ? { ...withState, savedBaseline: saved.baseline } : withState, nowMs);
  } catch (err) {
    onInvalid('baseline', err);
    detector = createSiteDetector(withState, nowMs);
  }
  return { name, detector, extras: createSiteExtras(hashSeed), firstSecond: Math.floor(nowMs / 1000) + 1, last: null, overrideKey: null, role: null };
}

function overrideKeyOf(o: StoredOverride | null): string | null {
  return o === null ? null : `${o.level}|${o.untilMs}|${o.by}`;
}

/**
 * Brings the detector in line with the stored override (the settings store is the source of truth:
 * the CLI may have written or removed it). Returns true when something changed.
 */
export function applyStoredOverride(entry: SiteEntry, o: StoredOverride | null, nowMs: number): boolean {
  const key = overrideKeyOf(o);
  if (key === entry.overrideKey && (o !== null || entry.detector.state.override === null)) return false;
  entry.overrideKey = key;
  if (o !== null && o.untilMs > nowMs) {
    entry.detector.setOverride({ level: o.level, untilMs: o.untilMs, by: o.by, ...(o.reason !== undefined ? { reason: o.reason } : {}) }, nowMs);
    return true;
  }
  if (entry.detector.state.override !== null) {
    entry.detector.clearOverride(nowMs);
    return true;
  }
  return false;
}

/** The incident tracker's input for the tick just taken. */
export function incidentInput(entry: SiteEntry, tick: SiteTick, previousLevel: ThreatLevel, decisions: ReadonlyMap<string, number>, distinctSources: number, sourceSignature: readonly number[] = []): IncidentSecondInput {
  const d = tick.detection;
  return {
    snapshot: tick.snapshot,
    level: d.level,
    previousLevel,
    overridden: d.overridden,
    reasons: d.reasons,
    signals: d.signals,
    rules: tick.rules,
    activeRules: entry.detector.activeRules,
    decisions,
    clearedLatency: entry.extras.clearedLatency(tick.snapshot.second),
    distinctSources,
    sourceSignature,
    baseline: baselineFacts(entry.detector.baseline, tick.snapshot.nowMs),
    baselineShare: (dimension, key) => {
      const b = entry.detector.baseline;
      if (!b.warm) return null;
      const s = b.share(dimension, key);
      return s.share + s.bound;
    },
  };
}
