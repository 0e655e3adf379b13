/**
 * One error shape for all of Bulwark, with two audiences (Errors: one shape, two audiences):
 * `code` is stable (`BULWARK_ERR_<AREA>_<WHAT>`), `publicReason` is what a visitor or API caller may see,
 * `message` and `cause` are for the log only.
 */
export type ErrorSource = 'client' | 'origin' | 'internal' | 'config' | 'operator';

export interface BulwarkErrorOptions {
  readonly source?: ErrorSource;
  readonly publicReason?: string;
  readonly cause?: unknown;
  readonly retryable?: boolean;
}

export class BulwarkError extends Error {
  readonly code: string;
  readonly source: ErrorSource;
  readonly publicReason: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: BulwarkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BulwarkError';
    this.code = code;
    this.source = options.source ?? 'internal';
    this.publicReason = options.publicReason ?? 'Something went wrong.';
    this.retryable = options.retryable ?? false;
  }
}

/** True when `err` is an object with a string `code` (Node system errors, undici errors, BulwarkError). */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}
