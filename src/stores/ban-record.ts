/**
 * Validation of bans given to a store and the row form SQLite keeps them in. Shared by the SQLite store
 * and any other implementation that wants the same checks.
 */
import { requireBanKey } from './ban-key.ts';
import { checkMs, invalidState } from './state-error.ts';
import type { StoredBan } from './types.ts';

/** Longest `reason` / `by` kept, in characters (longer text is cut, not refused). */
export const MAX_BAN_TEXT = 200;

/** The row shape of the `bans` table. */
export interface BanRow {
  key: string;
  scope: string;
  reason: string;
  banned_by: string;
  level: number;
  created_at_ms: number;
  until_ms: number;
  source: string;
}

/**
 * Checks a ban and returns it with a canonical key (see ban-key.ts). Throws BULWARK_ERR_STATE_INVALID for a
 * bad key, a scope that contradicts the key, times that are not integer ms, an end not after `nowMs`, or an
 * unknown source.
 */
export function normalizeBan(ban: StoredBan, nowMs: number): StoredBan {
  const k = requireBanKey(ban.key);
  if (ban.scope !== k.scope && !(ban.scope === 'prefix' && k.scope === 'address')) {
    invalidState(`ban ${ban.key} is a${k.scope === 'address' ? 'n address' : ' prefix'}, not scope ${String(ban.scope)}`);
  }
  if (ban.source !== 'auto' && ban.source !== 'manual') invalidState(`ban source must be auto or manual, got ${String(ban.source)}`);
  if (!Number.isSafeInteger(ban.level) || ban.level < 0) invalidState(`ban level must be a non-negative integer, got ${String(ban.level)}`);
  const createdAtMs = checkMs(ban.createdAtMs, 'ban createdAtMs');
  const untilMs = checkMs(ban.untilMs, 'ban untilMs');
  if (untilMs <= nowMs) invalidState(`ban ${ban.key} ends at ${untilMs}, not after now (${nowMs})`);
  return {
    key: k.key,
    scope: k.scope,
    reason: String(ban.reason ?? '').slice(0, MAX_BAN_TEXT),
    by: String(ban.by ?? '').slice(0, MAX_BAN_TEXT),
    level: ban.level,
    createdAtMs,
    untilMs,
    source: ban.source,
  };
}

/** A row of the `bans` table as a {@link StoredBan}. */
export function rowToBan(r: BanRow): StoredBan {
  return {
    key: r.key,
    scope: r.scope as StoredBan['scope'],
    reason: r.reason,
    by: r.banned_by,
    level: r.level,
    createdAtMs: r.created_at_ms,
    untilMs: r.until_ms,
    source: r.source as StoredBan['source'],
  };
}

/** Named parameters for the `bans` upsert statement. */
export function banParams(b: StoredBan): BanRow {
  return { key: b.key, scope: b.scope, reason: b.reason, banned_by: b.by, level: b.level, created_at_ms: b.createdAtMs, until_ms: b.untilMs, source: b.source };
}
