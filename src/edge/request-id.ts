/**
 * Request IDs: a random per-process prefix plus a counter, e.g. `q3f8k2x1-00001a`. Unique across
 * restarts and nodes without coordination, cheap (no crypto per request), and short enough to read
 * out over the phone from an error page.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function createRequestIds(): () => string {
  const bytes = randomBytes(8);
  let prefix = '';
  for (const b of bytes) prefix += ALPHABET[b & 31];
  let counter = 0;
  return () => {
    counter = (counter + 1) % 2_176_782_336; // 36^6
    const c = counter.toString(36);
    return `${prefix}-${'000000'.slice(c.length)}${c}`;
  };
}

/** Accepts an incoming `X-Request-Id` (only from a trusted proxy) if it is short and plain. */
export function isAcceptableRequestId(value: string | undefined): value is string {
  return value !== undefined && value.length >= 8 && value.length <= 64 && /^[A-Za-z0-9._:-]+$/.test(value);
}
