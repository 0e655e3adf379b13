/**
 * What the detection service keeps across restarts, behind one interface (`DetectionStateStore`) so a
 * shared implementation (several workers or nodes) can replace the SQLite one:
 * - the baseline (`Baseline.toJSON()`) in the BaselineStore — large, saved every `persist_every`;
 * - the detector state (level, dwell and calm timers, override) and the active signature rules, as one
 *   JSON value in the KvStore under `detector/<site>` — small, saved at every change of level or rules
 *   (and every `persist_every`), so a process killed the second after a rise restarts at that level.
 *
 * Restore policy: the baseline is restored whatever its age (the core re-warms one older than
 * `baseline.max_age`). The detector state and rules are restored only when saved at most `maxStateAgeMs`
 * ago (`restore.max_age`, default 5 min): after a longer stop the attack that raised the level may be
 * long over, and the site starts at `normal`. Unreadable values are skipped (logged by the caller).
 */
import { THREAT_LEVELS } from '../core/vocabulary.ts';
import type { DetectorState, SignatureRule } from '../core/detect/index.ts';
import type { StateStores } from '../stores/index.ts';

/** Settings key prefix of the saved detector state: `detector/<site>`. */
export const DETECTOR_KEY_PREFIX = 'detector/';

/** What one site starts from. */
export interface SavedSite {
  readonly baseline?: unknown;
  readonly state?: DetectorState;
  readonly rules?: readonly SignatureRule[];
}

interface SavedDetectorJson {
  readonly version: 1;
  readonly savedMs: number;
  readonly state: DetectorState;
  readonly rules: readonly SignatureRule[];
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isLevel = (v: unknown): boolean => typeof v === 'string' && (THREAT_LEVELS as readonly string[]).includes(v);

/** A persisted detector state read back, or null when it is not one. */
export function parseDetectorState(v: unknown): DetectorState | null {
  if (typeof v !== 'object' || v === null) return null;
  const s = v as Record<string, unknown>;
  if (!isLevel(s.level) || !isLevel(s.autoLevel) || !finite(s.sinceMs) || !finite(s.autoSinceMs) || !finite(s.raiseTicks)) return null;
  if (s.calmSinceMs !== null && !finite(s.calmSinceMs)) return null;
  if (s.lastTickMs !== null && !finite(s.lastTickMs)) return null;
  let override: DetectorState['override'] = null;
  if (s.override !== null && s.override !== undefined) {
    const o = s.override as Record<string, unknown>;
    if (typeof o !== 'object' || !isLevel(o.level) || !finite(o.untilMs)) return null;
    override = { level: o.level as DetectorState['level'], untilMs: o.untilMs, ...(typeof o.by === 'string' ? { by: o.by } : {}), ...(typeof o.reason === 'string' ? { reason: o.reason } : {}) };
  }
  return {
    level: s.level as DetectorState['level'],
    sinceMs: s.sinceMs,
    autoLevel: s.autoLevel as DetectorState['level'],
    autoSinceMs: s.autoSinceMs,
    raiseTicks: s.raiseTicks,
    calmSinceMs: (s.calmSinceMs as number | null) ?? null,
    override,
    lastTickMs: (s.lastTickMs as number | null) ?? null,
  };
}

/** Persisted rules read back: entries lacking an id, action, mode, match or expiry are dropped. */
export function parseRules(v: unknown): SignatureRule[] {
  if (!Array.isArray(v)) return [];
  return v.filter((r): r is SignatureRule => {
    if (typeof r !== 'object' || r === null) return false;
    const x = r as Record<string, unknown>;
    return typeof x.id === 'string' && (x.action === 'challenge' || x.action === 'rate_limit' || x.action === 'block')
      && (x.mode === 'apply' || x.mode === 'log_only') && typeof x.match === 'object' && x.match !== null
      && finite(x.expiresMs) && finite(x.createdMs) && Array.isArray(x.evidence);
  });
}

/** The state and rules of a saved `detector/<site>` value; null when unreadable, {} when too old. */
function parseSaved(v: unknown, nowMs: number, maxStateAgeMs: number): SavedSite | null {
  const x = v as Partial<SavedDetectorJson> | null;
  if (typeof x !== 'object' || x === null || x.version !== 1 || !finite(x.savedMs)) return null;
  if (nowMs - x.savedMs > maxStateAgeMs) return {};
  const state = parseDetectorState(x.state);
  return state === null ? null : { state, rules: parseRules(x.rules) };
}

/**
 * Everything saved, by site. `onInvalid(site, what)` is told about values that could not be read. State
 * and rules saved more than `maxStateAgeMs` before nowMs are left out.
 */
export async function loadSavedSites(stores: Pick<StateStores, 'baselines' | 'kv'>, nowMs: number, maxStateAgeMs: number, onInvalid: (site: string, what: string) => void): Promise<Map<string, SavedSite>> {
  const out = new Map<string, SavedSite>();
  for (const b of await stores.baselines.loadAll()) out.set(b.site, { baseline: b.json });
  for (const kv of await stores.kv.list(DETECTOR_KEY_PREFIX, nowMs)) {
    const site = kv.key.slice(DETECTOR_KEY_PREFIX.length);
    const parsed = parseSaved(kv.value, nowMs, maxStateAgeMs);
    if (parsed === null) onInvalid(site, 'detector state');
    else out.set(site, { ...out.get(site), ...parsed });
  }
  return out;
}

/** What one site saved (a site added to the config while running), or undefined. */
export async function loadSavedSite(stores: Pick<StateStores, 'baselines' | 'kv'>, site: string, nowMs: number, maxStateAgeMs: number): Promise<SavedSite | undefined> {
  const b = await stores.baselines.load(site);
  const parsed = parseSaved(await stores.kv.get(`${DETECTOR_KEY_PREFIX}${site}`, nowMs), nowMs, maxStateAgeMs) ?? {};
  if (b === undefined && parsed.state === undefined) return undefined;
  return { ...(b !== undefined ? { baseline: b.json } : {}), ...parsed };
}

/** Saves one site's detector state and active rules (small: done at every change). */
export async function saveDetectorState(stores: Pick<StateStores, 'kv'>, site: string, state: DetectorState, rules: readonly SignatureRule[], nowMs: number): Promise<void> {
  const value: SavedDetectorJson = { version: 1, savedMs: nowMs, state, rules };
  await stores.kv.set(`${DETECTOR_KEY_PREFIX}${site}`, value, { nowMs });
}

/** Saves one site's baseline, detector state and active rules. */
export async function saveSite(
  stores: Pick<StateStores, 'baselines' | 'kv'>,
  site: string,
  data: { baseline: unknown; state: DetectorState; rules: readonly SignatureRule[] },
  nowMs: number,
): Promise<void> {
  await stores.baselines.save({ site, updatedAtMs: nowMs, json: data.baseline });
  await saveDetectorState(stores, site, data.state, data.rules, nowMs);
}

/**
 * Where the detection service keeps what it must not forget across restarts. The service only talks to
 * this interface: SQLite today (`createDetectionStateStore`), shared state across workers and nodes later.
 */
export interface DetectionStateStore {
  /** Everything saved, by site (state and rules older than the restore age left out); `onInvalid` hears of unreadable values. */
  loadAll(nowMs: number, onInvalid: (site: string, what: string) => void): Promise<Map<string, SavedSite>>;
  /** What one site saved (a site added to the config while running), or undefined. */
  load(site: string, nowMs: number): Promise<SavedSite | undefined>;
  /** Saves the detector state and the active rules (at every change of level or rules). */
  saveState(site: string, state: DetectorState, rules: readonly SignatureRule[], nowMs: number): Promise<void>;
  /** Saves the baseline, the detector state and the rules (every `persist_every`, and at stop). */
  saveAll(site: string, data: { baseline: unknown; state: DetectorState; rules: readonly SignatureRule[] }, nowMs: number): Promise<void>;
}

/** The state store over the SQLite stores (baselines and settings); state older than `maxStateAgeMs` is not restored. */
export function createDetectionStateStore(stores: Pick<StateStores, 'baselines' | 'kv'>, options: { readonly maxStateAgeMs: number }): DetectionStateStore {
  return {
    loadAll: (nowMs, onInvalid) => loadSavedSites(stores, nowMs, options.maxStateAgeMs, onInvalid),
    load: (site, nowMs) => loadSavedSite(stores, site, nowMs, options.maxStateAgeMs),
    saveState: (site, state, rules, nowMs) => saveDetectorState(stores, site, state, rules, nowMs),
    saveAll: (site, data, nowMs) => saveSite(stores, site, data, nowMs),
  };
}
