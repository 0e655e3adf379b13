/**
 * Errors of the durable state (SQLite under `<stateDir>`), with stable codes. They are operator-facing:
 * the message names the file and says what to do; nothing here is shown to visitors.
 */
import { BulwarkError } from '../core/errors.ts';

/** Stable codes raised by `src/stores/`. */
export type StateErrorCode =
  /** The database file is not SQLite, or fails `PRAGMA quick_check`. Never overwritten. */
  | 'BULWARK_ERR_STATE_CORRUPT'
  /** The database was written by a newer Bulwark (`user_version` above what this code knows). */
  | 'BULWARK_ERR_STATE_TOO_NEW'
  /** The state directory or file cannot be created, opened or renamed (permissions, not a file, disk). */
  | 'BULWARK_ERR_STATE_IO'
  /** A schema migration step failed; the database is left at its previous version. */
  | 'BULWARK_ERR_STATE_MIGRATION'
  /** A caller passed a value the store refuses (bad ban key, non-finite time, unknown level...). */
  | 'BULWARK_ERR_STATE_INVALID'
  /** The incident named does not exist. */
  | 'BULWARK_ERR_STATE_NOT_FOUND'
  /** The operation contradicts the stored state (a second open incident for a site, writing to a closed one). */
  | 'BULWARK_ERR_STATE_CONFLICT'
  /** A value is larger than the store's per-value cap. */
  | 'BULWARK_ERR_STATE_TOO_LARGE'
  /** A table is at its cap and the write cannot evict anything. */
  | 'BULWARK_ERR_STATE_FULL';

/** A state failure: `code` is stable, `file` (when known) is the database concerned. */
export class StateError extends BulwarkError {
  readonly file: string | undefined;
  constructor(code: StateErrorCode, message: string, options: { file?: string; cause?: unknown; source?: 'internal' | 'operator' | 'config' } = {}) {
    super(code, message, { source: options.source ?? 'internal', cause: options.cause, publicReason: 'Internal state error.' });
    this.name = 'StateError';
    this.file = options.file;
  }
}

/** Throws BULWARK_ERR_STATE_INVALID with `message` (for argument checks). */
export function invalidState(message: string): never {
  throw new StateError('BULWARK_ERR_STATE_INVALID', message, { source: 'internal' });
}

/** Checks that `v` is a finite integer number of milliseconds (safe integer, may be 0); returns it. */
export function checkMs(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) invalidState(`${what} must be a non-negative integer of milliseconds, got ${String(v)}`);
  return v;
}
