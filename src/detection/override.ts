/**
 * The operator's threat-level override (`bulwark mode SITE under_attack --for 30m`), stored in
 * the settings store under `mode/<site>` so the CLI can write it while Bulwark runs and the detection
 * service picks it up within `detection.override_poll` (default 1 s). The entry expires with the override
 * (`expiresAtMs = untilMs`); `auto` deletes it and the automatic level applies again.
 *
 * One place validates what the CLI, the admin API and the service read and write.
 */
import { THREAT_LEVELS, type ThreatLevel } from '../core/vocabulary.ts';
import type { KvStore } from '../stores/index.ts';
import { BulwarkError } from '../core/errors.ts';
import { parseDuration } from '../config/units.ts';

/** Settings key prefix of overrides: `mode/<site>`. */
export const MODE_KEY_PREFIX = 'mode/';

/** Longest override: 7 days (longer belongs in the config). */
export const MAX_OVERRIDE_MS = 7 * 86_400_000;

/** Override length when none is given: 1 hour (an override always expires). */
export const DEFAULT_OVERRIDE_MS = 3_600_000;

/** The stored value of `mode/<site>`. */
export interface StoredOverride {
  readonly level: ThreatLevel;
  /** End of the override (exclusive), ms since the epoch. */
  readonly untilMs: number;
  /** Who set it: `cli`, `admin`, `cli:<user>`... */
  readonly by: string;
  readonly reason?: string;
  readonly setAtMs: number;
}

/** What an operator asks for: a level for a while, or `auto` (remove the override). */
export type ModeRequest = { readonly level: 'auto' } | { readonly level: ThreatLevel; readonly durationMs: number };

/** The settings key of a site's override. */
export function modeKey(site: string): string {
  return `${MODE_KEY_PREFIX}${site}`;
}

function invalid(message: string): never {
  throw new BulwarkError('BULWARK_ERR_DETECT_MODE_INVALID', message, { source: 'operator', publicReason: message });
}

/**
 * Parses a mode request: `level` is normal | elevated | under_attack | auto; `duration` like `30m`,
 * `2h` or milliseconds (default 1 h, at most 7 days; ignored for auto). Throws
 * `BULWARK_ERR_DETECT_MODE_INVALID` (source `operator`) with a message fit for the operator.
 */
export function parseModeRequest(level: unknown, duration?: unknown): ModeRequest {
  if (level === 'auto') return { level: 'auto' };
  if (typeof level !== 'string' || !(THREAT_LEVELS as readonly string[]).includes(level)) {
    invalid(`level must be one of ${THREAT_LEVELS.join(', ')} or auto, got ${JSON.stringify(level)}`);
  }
  const durationMs = duration === undefined || duration === null || duration === '' ? DEFAULT_OVERRIDE_MS : parseDuration(duration);
  if (durationMs === null || !(durationMs > 0) || durationMs > MAX_OVERRIDE_MS) {
    invalid(`duration must be more than 0 and at most 7d (e.g. 30m, 2h), got ${JSON.stringify(duration)}`);
  }
  return { level: level as ThreatLevel, durationMs };
}

/** A stored value read back, or null when it is not a valid override (callers ignore it then). */
export function parseStoredOverride(value: unknown): StoredOverride | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.level !== 'string' || !(THREAT_LEVELS as readonly string[]).includes(v.level)) return null;
  if (typeof v.untilMs !== 'number' || !Number.isFinite(v.untilMs)) return null;
  const setAtMs = typeof v.setAtMs === 'number' && Number.isFinite(v.setAtMs) ? v.setAtMs : 0;
  return {
    level: v.level as ThreatLevel,
    untilMs: v.untilMs,
    by: typeof v.by === 'string' ? v.by.slice(0, 100) : 'unknown',
    ...(typeof v.reason === 'string' ? { reason: v.reason.slice(0, 500) } : {}),
    setAtMs,
  };
}

/** The site's override in force at nowMs, or null (none, expired or unreadable). */
export async function readOverride(kv: KvStore, site: string, nowMs: number): Promise<StoredOverride | null> {
  const o = parseStoredOverride(await kv.get(modeKey(site), nowMs));
  return o !== null && o.untilMs > nowMs ? o : null;
}

/**
 * Applies a mode request to the settings store: stores `{level, untilMs, by, reason, setAtMs}` (expiring
 * with the override) or, for `auto`, deletes it. Returns the stored override, or null for auto.
 */
export async function writeMode(kv: KvStore, site: string, request: ModeRequest, meta: { by: string; reason?: string }, nowMs: number): Promise<StoredOverride | null> {
  if (typeof site !== 'string' || site.length === 0 || site.length > 190) invalid('site must be a site name');
  if (request.level === 'auto') {
    await kv.delete(modeKey(site));
    return null;
  }
  const override: StoredOverride = {
    level: request.level,
    untilMs: nowMs + request.durationMs,
    by: meta.by,
    ...(meta.reason !== undefined ? { reason: meta.reason } : {}),
    setAtMs: nowMs,
  };
  await kv.set(modeKey(site), override, { nowMs, expiresAtMs: override.untilMs });
  return override;
}

/** Every override in force, by site. */
export async function listOverrides(kv: KvStore, nowMs: number): Promise<Map<string, StoredOverride>> {
  const out = new Map<string, StoredOverride>();
  for (const e of await kv.list(MODE_KEY_PREFIX, nowMs)) {
    const o = parseStoredOverride(e.value);
    if (o !== null && o.untilMs > nowMs) out.set(e.key.slice(MODE_KEY_PREFIX.length), o);
  }
  return out;
}
