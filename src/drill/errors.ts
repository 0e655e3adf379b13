/**
 * Errors raised by the drill's building blocks. Every one carries a stable `BULWARK_ERR_DRILL_*` code so
 * tests and the `bulwark drill` command can tell them apart without matching messages.
 */

/** Stable codes of drill errors. */
export type DrillErrorCode =
  | 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK'
  | 'BULWARK_ERR_DRILL_TARGET_INVALID'
  | 'BULWARK_ERR_DRILL_SOURCE_RANGE'
  | 'BULWARK_ERR_DRILL_BOUNDS'
  | 'BULWARK_ERR_DRILL_FIXTURE_STATE'
  | 'BULWARK_ERR_DRILL_WEBSOCKET'
  | 'BULWARK_ERR_DRILL_UNKNOWN_CASE'
  | 'BULWARK_ERR_DRILL_CONNECT_TIMEOUT'
  | 'BULWARK_ERR_DRILL_NO_HTTPS';

/** An error of the drill, with its stable code. */
export class DrillError extends Error {
  readonly code: DrillErrorCode;
  constructor(code: DrillErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'DrillError';
    this.code = code;
  }
}
