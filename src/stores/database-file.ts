/**
 * The state database as a file, before and around SQLite: directory and file creation with safe modes,
 * the header and integrity checks that decide whether a file is corrupt, the operator-facing corruption
 * error, and moving a corrupt file aside without ever overwriting anything. Used by database.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StateError } from './state-error.ts';

/** The part of a pino logger the state needs (pino's `Logger` fits). */
export interface StateLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The `code` of a Node or SQLite error, or undefined. */
export function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

/** BULWARK_ERR_STATE_IO naming the file, what could not be done and why (an operator problem). */
export function ioError(file: string, what: string, cause: unknown): StateError {
  return new StateError('BULWARK_ERR_STATE_IO', `cannot ${what} ${file}: ${cause instanceof Error ? cause.message : String(cause)}`, {
    file,
    cause,
    source: 'operator',
  });
}

/** Creates the directory (0700) and, when missing, an empty database file (0600). True when created. */
export function prepareFile(file: string, logger: StateLogger): boolean {
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
    return rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
  } catch (err) {
    const code = errCode(err);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || (code !== undefined && code.startsWith('SQLITE_CORRUPT'))) {
      return [err instanceof Error ? err.message : String(err)];
    }
    throw err;
  }
}

/** BULWARK_ERR_STATE_CORRUPT for the operator: names the file, says it was not changed and how to start empty. */
export function corruptError(file: string, problems: readonly string[]): StateError {
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
export function quarantine(file: string, nowMs: number): string {
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

/** What {@link inspect} found: problems ([] when sound) and the schema version (`user_version`, 0 if unknown). */
export interface Inspection {
  readonly problems: string[];
  readonly userVersion: number;
}

/**
 * Looks at the file without changing it: its header, then `PRAGMA quick_check` and `user_version` on a
 * read-only connection (closing a read-write connection may checkpoint, i.e. write into the file).
 */
export function inspect(file: string, o: { readonly busyTimeoutMs?: number; readonly integrityCheck?: boolean }): Inspection {
  let ro: Database.Database | undefined;
  try {
    const bad = headerProblem(file);
    if (bad !== null) return { problems: [bad], userVersion: 0 };
    ro = new Database(file, { readonly: true, fileMustExist: true, timeout: o.busyTimeoutMs ?? 5000 });
    const problems = integrityProblems(ro, o.integrityCheck ?? true);
    return { problems, userVersion: problems.length > 0 ? 0 : (ro.pragma('user_version', { simple: true }) as number) };
  } catch (err) {
    throw ioError(file, 'read', err);
  } finally {
    ro?.close();
  }
}
