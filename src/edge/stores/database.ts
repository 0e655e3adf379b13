/**
 * Opens Bulwark's durable state, `<stateDir>/bulwark.db` (SQLite through better-sqlite3 12), ready for the
 * stores: WAL journal, `synchronous=NORMAL`, a busy timeout, foreign keys on, schema migrated.
 *
 * Safety rules, in the order they apply:
 * - The directory is created with mode 0700 and a new file with mode 0600 (SQLite gives `-wal`/`-shm` the
 *   database file's mode). An existing file readable by others is reported, not changed.
 * - `PRAGMA quick_check` runs before anything is written. A file that is not SQLite or fails the check is
 *   never written, overwritten or deleted: by default opening fails with BULWARK_ERR_STATE_CORRUPT, naming
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
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { STATE_MIGRATIONS, type Migration } from './migrations.ts';
import { StateError } from './state-error.ts';

/** What to do with a database file that is not SQLite or fails its integrity check. */
export type OnCorrupt = 'refuse' | 'quarantine';

/** The part of a pino logger the state needs (pino's `Logger` fits). */
export interface StateLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

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

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function ioError(file: string, what: string, cause: unknown): StateError {
  return new StateError('BULWARK_ERR_STATE_IO', `cannot ${what} ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, {
    file,
    cause,
    source: 'operator',
  });
}

/** Creates the directory (0700) and, when missing, an empty database file (0600). True when created. */
function prepareFile(file: string, logger: StateLogger): boolean {
  const dir = path.dirname(file);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError(dir, 'create the state directory', err);
  }
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw ioError(file, 'inspect', err);
  }
  if (stat !== undefined) {
    if (!stat.isFile()) throw ioError(file, 'use', new Error('not a regular file'));
    if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      logger.warn({ code: 'BULWARK_ERR_STATE_IO', file, mode: (stat.mode & 0o777).toString(8) }, `state database is readable by others; consider chmod 600 ${file}`);
    }
    return false;
  }
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600));
    return true;
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false; // another process created it first: fine
    throw ioError(file, 'create', err);
  }
}

/** Problems found by quick_check, [] when the file is sound. Throws non-corruption errors (busy, I/O). */
function integrityProblems(db: Database.Database, check: boolean): string[] {
  try {
    if (!check) {
      db.pragma('schema_version', { simple: true }); // still reads the header: catches "not a database"
      return [];
    }
    const rows = db.pragma('quick_check(5)') as Array<{ quick_check: string }>;
    const problems = rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
    return problems;
  } catch (err) {
    const code = errCode(err);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || (code !== undefined && code.startsWith('SQLITE_CORRUPT'))) {
      return [err instanceof Error ? err.message : String(err)];
    }
    throw err;
  }
}

function corruptError(file: string, problems: readonly string[]): StateError {
  return new StateError(
    'BULWARK_ERR_STATE_CORRUPT',
    `state database ${file} is not a valid SQLite database (${problems.join('; ')}). Bulwark has not changed it. ` +
      `To start with an empty state (bans, incidents and baselines are lost), stop Bulwark and move the file aside, ` +
      `together with ${path.basename(file)}-wal and ${path.basename(file)}-shm if present ` +
      `(e.g. \`mv ${file} ${file}.broken\`), or start once with the quarantine option, which does that for you. ` +
      `To try to save its data first: \`sqlite3 ${file} .recover > recovered.sql\`.`,
    { file, source: 'operator' },
  );
}

function stamp(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Moves `from` to `to` without ever replacing an existing `to` (link + unlink; rename when links fail). */
function moveNoClobber(from: string, to: string): void {
  try {
    fs.linkSync(from, to);
    fs.unlinkSync(from);
  } catch (err) {
    const code = errCode(err);
    if (code === 'ENOENT') return;
    if (code === 'EEXIST') throw err;
    if (fs.existsSync(to)) throw err;
    fs.renameSync(from, to);
  }
}

/** Renames the database and its `-wal` / `-shm` to `<file>.corrupt-<stamp>[-n]`; returns the new main path. */
function quarantine(file: string, nowMs: number): string {
  const base = `${file}.corrupt-${stamp(nowMs)}`;
  for (let n = 0; n < 1000; n++) {
    const target = n === 0 ? base : `${base}-${n}`;
    if (fs.existsSync(target) || fs.existsSync(`${target}-wal`)) continue;
    try {
      moveNoClobber(`${file}-wal`, `${target}-wal`);
      moveNoClobber(`${file}-shm`, `${target}-shm`);
      moveNoClobber(file, target);
      return target;
    } catch (err) {
      if (errCode(err) === 'EEXIST') continue;
      throw ioError(file, 'move aside', err);
    }
  }
  throw ioError(file, 'move aside', new Error('no free quarantine name'));
}

function checkMigrations(list: readonly Migration[]): number {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new StateError('BULWARK_ERR_STATE_MIGRATION', `migration #${i} has version ${m.version}, expected ${i + 1}`);
  });
  return list.length;
}

/** Applies every step above `from` in one transaction. */
function migrate(db: Database.Database, file: string, list: readonly Migration[], from: number): void {
  const pending = list.filter((m) => m.version > from);
  if (pending.length === 0) return;
  try {
    db.transaction(() => {
      for (const m of pending) {
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

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Checks the file before SQLite sees it, because SQLite itself deletes a `-wal` next to a database it reads
 * as empty (zero pages), which would lose data we promised never to delete. Returns a problem or null.
 */
function headerProblem(file: string): string | null {
  const head = Buffer.alloc(100);
  let size: number;
  const fd = fs.openSync(file, 'r');
  try {
    size = fs.fstatSync(fd).size;
    fs.readSync(fd, head, 0, 100, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (size === 0) {
    const wal = fs.statSync(`${file}-wal`, { throwIfNoEntry: false });
    return wal !== undefined && wal.size > 0 ? 'the database file is empty but its -wal file is not' : null;
  }
  if (size < 100 || !head.subarray(0, 16).equals(SQLITE_HEADER)) return 'file is not a database (no SQLite header)';
  return null;
}

/**
 * Problems found in the file: its header, then `PRAGMA quick_check` on a read-only connection (closing a
 * read-write connection may checkpoint, i.e. write into a damaged file). [] when the file is sound.
 */
function inspect(file: string, o: OpenStateDatabaseOptions): string[] {
  let ro: Database.Database | undefined;
  try {
    const bad = headerProblem(file);
    if (bad !== null) return [bad];
    ro = new Database(file, { readonly: true, fileMustExist: true, timeout: o.busyTimeoutMs ?? 5000 });
    return integrityProblems(ro, o.integrityCheck ?? true);
  } catch (err) {
    throw ioError(file, 'read', err);
  } finally {
    ro?.close();
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
  const problems = inspect(file, options);
  if (problems.length > 0) {
    if ((options.onCorrupt ?? 'refuse') === 'refuse') throw corruptError(file, problems);
    quarantinedTo = quarantine(file, options.nowMs ?? Date.now());
    logger.error(
      { code: 'BULWARK_ERR_STATE_CORRUPT', file, movedTo: quarantinedTo, problems },
      `STATE DATABASE WAS CORRUPT: moved to ${quarantinedTo}; starting with an EMPTY state (no bans, incidents or baselines)`,
    );
    created = prepareFile(file, logger);
  }
  const db = openWritable(file, options);
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > known) {
    db.close();
    throw new StateError(
      'BULWARK_ERR_STATE_TOO_NEW',
      `state database ${file} has schema version ${version}, but this Bulwark knows versions up to ${known}: it was written by a newer ` +
        `Bulwark. Run that version again, or move the file aside to start with an empty state. It has not been changed.`,
      { file, source: 'operator' },
    );
  }
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
