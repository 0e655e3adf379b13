/**
 * The durable stores' interfaces: bans (ban-types.ts), incidents (incident-types.ts), baselines and
 * settings (here). The embedded implementation is SQLite (`createSqlite*Store`); the Redis/Valkey ones
 * (`./redis/`) pass the same conformance suites (`./conformance/`). Durable operations return promises for that reason; the SQLite implementation does
 * its work synchronously before returning, so once the call returns the write is committed.
 *
 * The one synchronous part is the ban mirror (`isBanned`, `bannedKey`, `matchAddress`): the accept phase asks
 * it for every new connection, so it must answer from memory in O(1).
 */
export * from './ban-types.ts';
export * from './incident-types.ts';

// -------------------------------------------------------------------------------- baselines, settings

/** A site's persisted detector baseline (`Baseline.toJSON()` output, see core/detect/baseline-json.ts). */
export interface BaselineRecord {
  readonly site: string;
  readonly updatedAtMs: number;
  readonly json: unknown;
}

/** Durable per-site baselines, so a restart does not forget what normal looks like. */
export interface BaselineStore {
  /** Stores the baseline unless a newer one (`updatedAtMs`) is stored. True when stored. */
  save(record: BaselineRecord): Promise<boolean>;
  load(site: string): Promise<BaselineRecord | undefined>;
  loadAll(): Promise<BaselineRecord[]>;
  delete(site: string): Promise<boolean>;
}

/** A stored setting. */
export interface KvEntry<T = unknown> {
  readonly key: string;
  readonly value: T;
  readonly updatedAtMs: number;
  /** When it stops applying, or null for never. */
  readonly expiresAtMs: number | null;
}

/**
 * Small durable settings with an optional expiry, e.g. a threat-level override:
 * key `mode/<site>`, value `{ level: 'under_attack', untilMs }`, `expiresAtMs: untilMs`.
 * Values are JSON; `get<T>` does not validate them: callers check what they read.
 */
export interface KvStore {
  /** The value, or undefined when missing or expired at `nowMs`. */
  get<T = unknown>(key: string, nowMs: number): Promise<T | undefined>;
  /** Sets a value (JSON), optionally expiring at `expiresAtMs`. */
  set(key: string, value: unknown, options: { readonly nowMs: number; readonly expiresAtMs?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Unexpired entries whose key starts with `prefix`, in key order. */
  list(prefix: string, nowMs: number): Promise<KvEntry[]>;
  /** Deletes expired entries. Returns how many. */
  purgeExpired(nowMs: number): Promise<number>;
}
