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

export type * from './types.ts';
export type { BanMirrorEvent, BanMirrorWatcher } from './ban-mirror.ts';
export { openStateDatabase, stateDatabaseFile, STATE_FILE_NAME } from './database.ts';
export type { OpenStateDatabaseOptions, StateDatabase, StateLogger, OnCorrupt, CheckpointResult } from './database.ts';
export { StateError } from './state-error.ts';
export type { StateErrorCode } from './state-error.ts';
export { createSqliteBanStore } from './ban-store.ts';
export { createSqliteIncidentStore } from './incident-store.ts';
export { createSqliteBaselineStore } from './baseline-store.ts';
export { createSqliteKvStore } from './kv-store.ts';
export { parseBanKey } from './ban-key.ts';
export { truncateAddress, truncateAddressesInJson, TRUNCATE_BITS } from './address-redaction.ts';

/** Options of {@link openStateStores}: the database's, plus each store's. */
export interface StateStoresOptions extends OpenStateDatabaseOptions {
  readonly bans?: SqliteBanStoreOptions;
  readonly incidents?: SqliteIncidentStoreOptions;
  readonly baselines?: SqliteBaselineStoreOptions;
  readonly kv?: SqliteKvStoreOptions;
}

/** The open state: the database and its four stores. */
export interface StateStores {
  readonly database: StateDatabase;
  readonly bans: BanStore;
  readonly incidents: IncidentStore;
  readonly baselines: BaselineStore;
  readonly kv: KvStore;
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
      close: () => database.close(),
    };
  } catch (err) {
    database.close();
    throw err;
  }
}
