/**
 * Bulwark's durable state in one call: opens `<stateDir>/bulwark.db` (database.ts) and builds the SQLite
 * stores on it. The composition root calls `openStateStores` at start-up (before listeners open, so the
 * accept phase sees the bans that survived the restart) and `close()` at shutdown.
 */
import { createSqliteBanStore, type SqliteBanStoreOptions } from './ban-store.ts';
import { createSqliteBaselineStore, type SqliteBaselineStoreOptions } from './baseline-store.ts';
import { openStateDatabase, type OpenStateDatabaseOptions, type StateDatabase } from './database.ts';
import { createSqliteIncidentStore, type SqliteIncidentStoreOptions } from './incident-store.ts';
import { createSqliteKvStore, type SqliteKvStoreOptions } from './kv-store.ts';
import type { BanStore, BaselineStore, IncidentStore, KvStore } from './types.ts';
import { createSqliteTokenStore, type SqliteTokenStoreOptions } from './token-store.ts';
import { createSqliteSessionStore, type SqliteSessionStoreOptions } from './session-store.ts';
import { createSqliteAuditStore, type SqliteAuditStoreOptions } from './audit-store.ts';
import type { AuditStore, SessionStore, TokenStore } from './admin-types.ts';

export type * from './types.ts';
export type { BanMirrorEvent, BanMirrorWatcher } from './ban-mirror.ts';
export type * from './admin-types.ts';
export { ADMIN_ROLES } from './admin-types.ts';
export { TOKEN_NAME } from './token-store.ts';
export { openStateDatabase, stateDatabaseFile, STATE_FILE_NAME } from './database.ts';
export type { OpenStateDatabaseOptions, StateDatabase, StateLogger, OnCorrupt, CheckpointResult } from './database.ts';
export { StateError } from './state-error.ts';
export type { StateErrorCode } from './state-error.ts';
export { createSqliteBanStore } from './ban-store.ts';
export { createSqliteIncidentStore } from './incident-store.ts';
export { createSqliteBaselineStore } from './baseline-store.ts';
export { createSqliteKvStore } from './kv-store.ts';
export { parseBanKey } from './ban-key.ts';
export type { BanKey } from './ban-key.ts';
export { truncateAddress, truncateAddressesInJson, TRUNCATE_BITS } from './address-redaction.ts';

/** Options of {@link openStateStores}: the database's, plus each store's. */
export interface StateStoresOptions extends OpenStateDatabaseOptions {
  readonly bans?: SqliteBanStoreOptions;
  readonly incidents?: SqliteIncidentStoreOptions;
  readonly baselines?: SqliteBaselineStoreOptions;
  readonly kv?: SqliteKvStoreOptions;
  readonly tokens?: SqliteTokenStoreOptions;
  readonly sessions?: SqliteSessionStoreOptions;
  readonly audit?: SqliteAuditStoreOptions;
}

/** The open state: the database and its stores. */
export interface StateStores {
  readonly database: StateDatabase;
  readonly bans: BanStore;
  readonly incidents: IncidentStore;
  readonly baselines: BaselineStore;
  readonly kv: KvStore;
  /** The admin plane: API tokens, browser sessions, audit log. */
  readonly tokens: TokenStore;
  readonly sessions: SessionStore;
  readonly audit: AuditStore;
  /** Checkpoints and closes the database (idempotent). */
  close(): void;
}

/** Opens the state database and creates the SQLite stores (throws StateError, see database.ts). */
export function openStateStores(options: StateStoresOptions): StateStores {
  const database = openStateDatabase(options);
  try {
    return {
      database,
      bans: createSqliteBanStore(database, options.bans),
      incidents: createSqliteIncidentStore(database, options.incidents),
      baselines: createSqliteBaselineStore(database, options.baselines),
      kv: createSqliteKvStore(database, options.kv),
      tokens: createSqliteTokenStore(database, options.tokens),
      sessions: createSqliteSessionStore(database, options.sessions),
      audit: createSqliteAuditStore(database, options.audit),
      close: () => database.close(),
    };
  } catch (err) {
    database.close();
    throw err;
  }
}
