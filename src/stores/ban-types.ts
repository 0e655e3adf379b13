/**
 * The ban store's interface and its records: bans by address or prefix with an escalation rung and an
 * expiry, their audit trail, and the synchronous in-memory mirror the accept gate asks for every new
 * connection. Implemented on SQLite (ban-store.ts) and Redis (redis/redis-ban-store.ts); both pass
 * conformance/ban-store-conformance.ts.
 */
import type { BanMirrorWatcher } from './ban-mirror.ts';

/** What a ban covers: one address, or every address of a prefix. */
export type BanScope = 'address' | 'prefix';
/** Who made the ban: escalation / detector (`auto`) or an operator (`manual`). */
export type BanSource = 'auto' | 'manual';
/** Who changed a ban, for the audit log: the process itself, an operator by hand, the CLI or the admin API. */
export type AuditActor = 'auto' | 'manual' | 'cli' | 'admin';

/**
 * A stored ban. `key` is canonical: an address as `normalizeAddress` gives it
 * (`203.0.113.7`, `2001:db8::1`), or a prefix as `prefixKey` gives it (`203.0.113.0/24`, `2001:db8::/64`).
 * Host prefixes (/32, /128) are stored as addresses.
 */
export interface StoredBan {
  readonly key: string;
  readonly scope: BanScope;
  /** Human-readable why, e.g. `escalation/limit/login`. */
  readonly reason: string;
  /** What produced it: `limit/<name>`, `manual`, `challenge/failures`, `detector`. */
  readonly by: string;
  /** Escalation rung, 1-based (0 for manual bans outside the ladder). */
  readonly level: number;
  readonly createdAtMs: number;
  /** End of the ban, ms since the epoch (exclusive: banned while `nowMs < untilMs`). */
  readonly untilMs: number;
  readonly source: BanSource;
}

/** Result of `add`: what happened, and the ban now in force for that key (undefined when refused). */
export interface AddBanResult {
  /**
   * - `added`: no active ban existed; `extended`: the new ban ends later and replaced the old one;
   * - `replaced`: `replace: true` overwrote a ban that ended later (a manual shortening);
   * - `unchanged`: an active ban ending at the same time or later already existed (a longer ban wins);
   * - `refused_full`: the mirror is at its cap and the ban is automatic (nothing stored; see stats).
   */
  readonly change: 'added' | 'extended' | 'replaced' | 'unchanged' | 'refused_full';
  readonly ban: StoredBan | undefined;
}

/** Options of `BanStore.add`. */
export interface AddBanOptions {
  /** Audit actor. Default: `auto` for `source: 'auto'`, `manual` otherwise. */
  readonly actor?: AuditActor;
  /** Overwrite even when the existing ban ends later (an operator shortening a ban). Default false. */
  readonly replace?: boolean;
  /** Time of the change, for "is the existing ban still active" and the audit. Default `ban.createdAtMs`. */
  readonly nowMs?: number;
}

/** One audit log row: every add, extension, replacement and removal of a ban. */
export interface BanAuditEntry {
  /** Increasing id (never reused). */
  readonly id: number;
  readonly atMs: number;
  readonly action: 'add' | 'extend' | 'replace' | 'remove';
  readonly key: string;
  readonly actor: AuditActor;
  /** The ban after the change, or the ban removed. */
  readonly ban: StoredBan | null;
}

/** Fill levels of the ban store (for /metrics and the admin API). */
export interface BanStoreStats {
  /** Bans in the in-memory mirror (active, or expired and not yet noticed). */
  readonly mirrored: number;
  /** Mirror cap; automatic bans beyond it are refused. */
  readonly cap: number;
  /** Automatic bans refused because the mirror was full, since start. */
  readonly refusedFull: number;
  /** Active bans found in the database at load that did not fit under the cap. */
  readonly notLoaded: number;
  /** Prefix lengths that currently have at least one ban, per family (what `matchAddress` looks up). */
  readonly prefixLengths: { readonly v4: readonly number[]; readonly v6: readonly number[] };
}

/** Options of `BanStore.list`. */
export interface ListBansOptions {
  readonly nowMs: number;
  /** Include bans that have ended but are not purged yet. Default false. */
  readonly includeExpired?: boolean;
  /** Most rows returned, soonest-ending last. Default 10,000. */
  readonly limit?: number;
}

/** Durable bans with expiry, plus an in-memory mirror of the active ones for the accept phase. */
export interface BanStore {
  /** Upserts a ban: a longer ban wins; an existing one is only shortened with `replace: true`. Audited. */
  add(ban: StoredBan, options?: AddBanOptions): Promise<AddBanResult>;
  /** Removes a ban by key (manual unban). Returns the removed ban, or undefined when there was none. Audited. */
  remove(key: string, options?: { readonly actor?: AuditActor; readonly nowMs?: number }): Promise<StoredBan | undefined>;
  /** The stored ban for a key (which may have ended but not been purged yet). */
  get(key: string): Promise<StoredBan | undefined>;
  /** Active bans at `nowMs`, latest-ending first, at most `limit` (default 10,000). */
  active(nowMs: number, options?: { readonly limit?: number }): Promise<StoredBan[]>;
  /** Stored bans, latest-ending first. */
  list(options: ListBansOptions): Promise<StoredBan[]>;
  /** Deletes ended bans from storage and mirror, and trims the audit log to its cap. Returns bans deleted. */
  purgeExpired(nowMs: number): Promise<number>;
  /** Audit rows, newest first (default 100), optionally for one key or after an id. */
  audit(options?: { readonly key?: string; readonly limit?: number; readonly afterId?: number }): Promise<BanAuditEntry[]>;
  /** Deletes audit rows older than `olderThanMs` (privacy retention). Returns rows deleted. */
  purgeAudit(olderThanMs: number): Promise<number>;
  /** Applies changes written by other processes (CLI, another node) to the mirror. Returns keys refreshed. */
  sync(): Promise<number>;
  /** Hot path: true when the address or one of the given prefix keys has an active ban. O(1 + prefixKeys). */
  isBanned(address: string, prefixKeys: readonly string[], nowMs: number): boolean;
  /** Like `isBanned`, returning the banned key (for `ban/<key>` decisions), or undefined. */
  bannedKey(address: string, prefixKeys: readonly string[], nowMs: number): string | undefined;
  /** The banned key covering an address at any prefix length in use, or undefined. O(lengths in use). */
  matchAddress(address: string, nowMs: number): string | undefined;
  /** Fill levels. */
  stats(): BanStoreStats;
  /**
   * Follows the in-memory mirror: every active key now, then every change (see ban-mirror.ts). For
   * consumers off the request path that keep a copy, such as the kernel-drop set. Returns an unsubscribe.
   */
  watch?(watcher: BanMirrorWatcher): () => void;
}
