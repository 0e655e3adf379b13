/**
 * Opens Bulwark's durable state, `<stateDir>/bulwark.db` (SQLite through better-sqlite3 12), ready for the
 * stores: WAL journal, `synchronous=NORMAL`, a busy timeout, foreign keys on, schema migrated.
 *
 * Safety rules, in the order they apply:
 * - The directory is created with mode 0700 and a new file with mode 0600 (SQLite gives `-wal`/`-shm` the
 *   database file's mode). An existing file readable by others is reported, not changed.
 * - The header is checked before SQLite opens the file, then `PRAGMA quick_check` and `user_version` are read
 *   on a read-only connection, before anything is written. A file that is not SQLite or fails the check is
 *   never written, overwritten or deleted (nor its `-wal`): by default opening fails with BULWARK_ERR_STATE_CORRUPT, naming
 *   the file and what the operator can do; with `onCorrupt: 'quarantine'` it is renamed (with its `-wal` and
 *   `-shm`) to `bulwark.db.corrupt-<UTC timestamp>`, a loud error is logged, and a fresh empty state starts.
 * - A database whose `user_version` is above the schema this code knows is refused (BULWARK_ERR_STATE_TOO_NEW):
 *   no downgrade, because older code would misread newer data.
 * - Missing migration steps are applied in one transaction: either all of them or none.
 *
 * Durability (https://www.sqlite.org/wal.html, https://www.sqlite.org/pragma.html#pragma_synchronous): in WAL
 * mode with `synchronous=NORMAL`, a committed transaction survives a crash of the process (SIGKILL, OOM, a
 * bug) because it is already in the WAL file; an OS crash or power loss may roll back the transactions
 * committed since the WAL was last synced (at each checkpoint), but never corrupts the database. Call
 * `checkpoint()` periodically to bound that window (the incident store does it every few seconds).
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { corruptError, inspect, ioError, prepareFile, quarantine, type StateLogger } from './database-file.ts';
import { STATE_MIGRATIONS, type Migration } from './migrations.ts';
import { StateError } from './state-error.ts';

export type { StateLogger } from './database-file.ts';

/** What to do with a database file that is not SQLite or fails its integrity check. */
export type OnCorrupt = 'refuse' | 'quarantine';

/** Options of {@link openStateDatabase}. */
export interface OpenStateDatabaseOptions {
  /** Directory for durable state (config `state_dir`). Created with mode 0700 when missing. */
  readonly stateDir: string;
  /** File name inside `stateDir`. Default `bulwark.db`. */
  readonly fileName?: string;
  /** Default `'refuse'`: a corrupt file stops the start; `'quarantine'` moves it aside and starts empty. */
  readonly onCorrupt?: OnCorrupt;
  /** How long a statement waits for another connection's lock before failing, ms. Default 5000. */
  readonly busyTimeoutMs?: number;
  /** Run `PRAGMA quick_check` at open (O(database size)). Default true. */
  readonly integrityCheck?: boolean;
  /** Schema steps (tests only; default {@link STATE_MIGRATIONS}). */
  readonly migrations?: readonly Migration[];
  /** Where problems are reported. Default: JSON lines on stderr. */
  readonly logger?: StateLogger;
  /** Clock for the quarantine file name. Default `Date.now()`. */
  readonly nowMs?: number;
}

/** Result of a WAL checkpoint (`PRAGMA wal_checkpoint`): `busy` is 1 when readers kept it from finishing. */
export interface CheckpointResult {
  readonly busy: number;
  readonly logPages: number;
  readonly checkpointedPages: number;
}

/** An open state database. */
export interface StateDatabase {
  /** The better-sqlite3 connection, for the stores. */
  readonly db: Database.Database;
  /** Absolute path of the database file. */
  readonly file: string;
  /** Schema version after migrations. */
  readonly schemaVersion: number;
  /** True when this open created the file (first start, or after a quarantine). */
  readonly created: boolean;
  /** Where a corrupt file was moved by `onCorrupt: 'quarantine'`, else null. */
  readonly quarantinedTo: string | null;
  /** Copies the WAL into the database and syncs both; `TRUNCATE` also empties the WAL file. */
  checkpoint(mode?: 'PASSIVE' | 'FULL' | 'RESTART' | 'TRUNCATE'): CheckpointResult;
  /** True until `close()`. */
  isOpen(): boolean;
  /** Checkpoints (TRUNCATE, best effort) and closes. Idempotent. */
  close(): void;
}

/** Default database file name. */
export const STATE_FILE_NAME = 'bulwark.db';

/** Path of the database file for a state directory. */
export function stateDatabaseFile(stateDir: string, fileName: string = STATE_FILE_NAME): string {
  return path.resolve(stateDir, fileName);
}

const stderrLogger: StateLogger = {
  warn: (obj, msg) => process.stderr.write(JSON.stringify({ level: 'warn', service: 'bulwark', ...obj, msg }) + '\n'),
  error: (obj, msg) => process.stderr.write(JSON.stringify({ level: 'error', service: 'bulwark', ...obj, msg }) + '\n'),
};

/** Checks that steps are numbered 1..n in order; returns n (the newest schema this code knows). */
function checkMigrations(list: readonly Migration[]): number {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new StateError('BULWARK_ERR_STATE_MIGRATION', `migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  return list.length;
}

/**
 * Applies every step above the database's version in one IMMEDIATE transaction. The version is read again
 * inside it, so two processes starting together (the server and the CLI) do not both migrate.
 */
function migrate(db: Database.Database, file: string, list: readonly Migration[], from: number): void {
  if (from >= list.length) return;
  try {
    db.transaction(() => {
      const current = db.pragma('user_version', { simple: true }) as number;
      for (const m of list) {
        if (m.version <= current) continue;
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }
    }).immediate();
  } catch (err) {
    throw new StateError('BULWARK_ERR_STATE_MIGRATION', `migrating ${file} from schema ${from} failed (nothing was changed): ${err instanceof Error ? err.message : String(err)}`, {
      file,
      cause: err,
    });
  }
}

/** Opens the read-write connection with the busy timeout set. */
function openWritable(file: string, o: OpenStateDatabaseOptions): Database.Database {
  try {
    const db = new Database(file, { fileMustExist: true, timeout: o.busyTimeoutMs ?? 5000 });
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(o.busyTimeoutMs ?? 5000))}`);
    return db;
  } catch (err) {
    throw ioError(file, 'open', err);
  }
}

/** Sets the connection's pragmas (after the checks: setting WAL writes the header). */
function configure(db: Database.Database, file: string, logger: StateLogger): void {
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') logger.warn({ code: 'BULWARK_ERR_STATE_IO', file, journalMode: mode }, 'state database could not switch to WAL; writes will be slower');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}

/**
 * Opens (creating when missing) and migrates the state database. Throws a {@link StateError}:
 * BULWARK_ERR_STATE_CORRUPT (with `onCorrupt: 'refuse'`), BULWARK_ERR_STATE_TOO_NEW, BULWARK_ERR_STATE_IO
 * or BULWARK_ERR_STATE_MIGRATION. Synchronous: call it at start-up, before listeners open.
 */
export function openStateDatabase(options: OpenStateDatabaseOptions): StateDatabase {
  const logger = options.logger ?? stderrLogger;
  const migrations = options.migrations ?? STATE_MIGRATIONS;
  const known = checkMigrations(migrations);
  const file = stateDatabaseFile(options.stateDir, options.fileName);
  let created = prepareFile(file, logger);
  let quarantinedTo: string | null = null;
  let { problems, userVersion: version } = inspect(file, options);
  if (problems.length > 0) {
    if ((options.onCorrupt ?? 'refuse') === 'refuse') throw corruptError(file, problems);
    quarantinedTo = quarantine(file, options.nowMs ?? Date.now());
    logger.error(
      { code: 'BULWARK_ERR_STATE_CORRUPT', file, movedTo: quarantinedTo, problems },
      `STATE DATABASE WAS CORRUPT: moved to ${quarantinedTo}; starting with an EMPTY state (no bans, incidents or baselines)`,
    );
    created = prepareFile(file, logger);
    ({ problems, userVersion: version } = inspect(file, options));
    if (problems.length > 0) throw corruptError(file, problems);
  }
  if (version > known) {
    throw new StateError(
      'BULWARK_ERR_STATE_TOO_NEW',
      `state database ${file} has schema version ${version}, but this Bulwark knows versions up to ${known}: it was written by a newer ` +
        `Bulwark. Run that version again, or move the file aside to start with an empty state. It has not been changed.`,
      { file, source: 'operator' },
    );
  }
  const db = openWritable(file, options);
  try {
    configure(db, file, logger);
    migrate(db, file, migrations, version);
  } catch (err) {
    db.close();
    if (err instanceof StateError) throw err;
    throw ioError(file, 'configure', err);
  }
  return wrap(db, file, known, created, quarantinedTo);
}

function wrap(db: Database.Database, file: string, schemaVersion: number, created: boolean, quarantinedTo: string | null): StateDatabase {
  return {
    db,
    file,
    schemaVersion,
    created,
    quarantinedTo,
    checkpoint(mode = 'PASSIVE') {
      const row = db.pragma(`wal_checkpoint(${mode})`) as Array<{ busy: number; log: number; checkpointed: number }>;
      const r = row[0] ?? { busy: 0, log: 0, checkpointed: 0 };
      return { busy: r.busy, logPages: r.log, checkpointedPages: r.checkpointed };
    },
    isOpen: () => db.open,
    close() {
      if (!db.open) return;
      try {
        db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // another connection holds a lock: SQLite checkpoints at the next open instead
      }
      db.close();
    },
  };
}
