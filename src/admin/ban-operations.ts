/**
 * Bans by hand: the operations behind `bulwark ban|unban|bans` and the admin listener's `/bans`
 * endpoints. Both write to the same durable store; a running Bulwark picks CLI changes up within a
 * second (the ban store's sync). Both go through the same scope check (ban-guard.ts): a ban that would
 * cover everyone, loopback, the admin's own clients, an allow list or a trusted proxy is refused unless
 * the operator forces it.
 */
import type { BanStore, StoredBan } from '../stores/index.ts';
import { parseBanKey } from '../stores/index.ts';
import { BulwarkError } from '../core/errors.ts';
import { parseDuration } from '../config/units.ts';
import { checkBanScope, type BanScopeGuard } from './ban-guard.ts';
import type { RouteTable } from './route-types.ts';

export interface ManualBanInput {
  /** An address (`203.0.113.7`) or a prefix (`203.0.113.0/24`, `2001:db8::/64`). */
  readonly key: string;
  readonly durationMs: number;
  readonly reason?: string;
  readonly actor: 'cli' | 'admin';
  /** The ranges a ban may not cover without `force` (ban-guard.ts). */
  readonly guard: BanScopeGuard;
  /** The admin's own client addresses (the one asking, recent admin clients): protected like loopback. */
  readonly clients?: readonly string[];
  /** Ban even what the guard protects (`--force`, `"force": true`). */
  readonly force?: boolean;
}

/** The longest manual ban: a year. Longer belongs in a deny list. */
export const MAX_MANUAL_BAN_MS = 365 * 86_400_000;

/**
 * Validates and stores a manual ban. Throws BULWARK_ERR_BAN_INVALID (not a key, bad duration) or
 * BULWARK_ERR_BAN_TOO_WIDE (the guard refused it) with a message fit for the operator.
 */
export async function banByHand(bans: BanStore, input: ManualBanInput, nowMs: number): Promise<StoredBan> {
  const parsed = checkBanScope(input.guard, { key: input.key, clients: input.clients ?? [], force: input.force === true });
  if (!(input.durationMs > 0 && input.durationMs <= MAX_MANUAL_BAN_MS)) {
    throw new BulwarkError('BULWARK_ERR_BAN_INVALID', 'a ban lasts more than 0 and at most 365 days', { source: 'operator' });
  }
  const result = await bans.add(
    {
      key: parsed.key,
      scope: parsed.scope,
      reason: input.reason ?? 'manual',
      by: 'manual',
      level: 0,
      createdAtMs: nowMs,
      untilMs: nowMs + input.durationMs,
      source: 'manual',
    },
    { actor: input.actor, replace: true, nowMs },
  );
  return result.ban!;
}

/** Lifts a ban; returns what was removed, or undefined when there was none. */
export async function unbanByHand(bans: BanStore, key: string, actor: 'cli' | 'admin', nowMs: number): Promise<StoredBan | undefined> {
  const parsed = parseBanKey(key);
  if (parsed === null) throw new BulwarkError('BULWARK_ERR_BAN_INVALID', `not an IP address or prefix: ${key}`, { source: 'operator' });
  return bans.remove(parsed.key, { actor, nowMs });
}

/** Formats bans as an aligned table for the CLI. */
export function formatBans(list: readonly StoredBan[], nowMs: number): string {
  if (list.length === 0) return 'no active bans\n';
  const rows = list.map((b) => [b.key, b.scope, b.by, String(b.level), `${Math.max(0, Math.round((b.untilMs - nowMs) / 1000))}s`, new Date(b.untilMs).toISOString(), b.reason]);
  const head = ['KEY', 'SCOPE', 'BY', 'RUNG', 'LEFT', 'UNTIL', 'REASON'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** What the `/bans` routes need. */
export interface BanRouteDeps {
  readonly bans: BanStore;
  /** The current guard (rebuilt with the config: allow lists and trusted proxies change on reload). */
  readonly guard: () => BanScopeGuard;
  /** Addresses the admin plane was recently used from (protected like the asking client). */
  readonly adminClients?: () => readonly string[];
  readonly now?: () => number;
}

/**
 * The admin listener's `/bans` routes: list, add (`{key, duration, reason, force}`), remove (`?key=`).
 * The asking client's own address is protected: an operator cannot lock their own address out by
 * accident.
 */
export function banRoutes(deps: BanRouteDeps): RouteTable {
  const now = deps.now ?? Date.now;
  return {
    'GET /bans': { access: 'viewer', handler: async () => ({ status: 200, body: { bans: await deps.bans.active(now()) } }) },
    'POST /bans': { access: 'operator', action: 'ban.add', handler: async (req) => {
      const b = (req.body ?? {}) as { key?: unknown; duration?: unknown; reason?: unknown; force?: unknown };
      const durationMs = parseDuration(b.duration ?? '');
      if (typeof b.key !== 'string') throw new BulwarkError('BULWARK_ERR_BAN_INVALID', 'key (an address or prefix) is required', { source: 'operator' });
      if (durationMs === null) throw new BulwarkError('BULWARK_ERR_BAN_INVALID', 'duration is required, e.g. "10m" or 600000', { source: 'operator' });
      if (b.reason !== undefined && typeof b.reason !== 'string') throw new BulwarkError('BULWARK_ERR_BAN_INVALID', 'reason must be a string', { source: 'operator' });
      if (b.force !== undefined && typeof b.force !== 'boolean') throw new BulwarkError('BULWARK_ERR_BAN_INVALID', 'force must be true or false', { source: 'operator' });
      const clients = [...(req.client !== undefined ? [req.client] : []), ...(deps.adminClients?.() ?? [])];
      const ban = await banByHand(deps.bans, { key: b.key, durationMs, reason: b.reason, actor: 'admin', guard: deps.guard(), clients, force: b.force === true }, now());
      return { status: 201, body: { ban } };
    } },
    'DELETE /bans': { access: 'operator', action: 'ban.remove', handler: async (req) => {
      const key = req.url.searchParams.get('key');
      if (key === null) throw new BulwarkError('BULWARK_ERR_BAN_INVALID', 'give the ban to lift as ?key=', { source: 'operator' });
      const removed = await unbanByHand(deps.bans, key, 'admin', now());
      return removed ? { status: 200, body: { removed } } : { status: 404, body: { error: 'not_banned', key } };
    } },
  };
}
