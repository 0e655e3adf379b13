/**
 * Zod types for the config's human units (see units.ts); shared by every schema section.
 *
 * Every duration and size states its bounds: a zero or absurd timeout is a config error naming the
 * key, never a server that closes every connection before its first byte (`header_timeout: 0`) or
 * waits for a week. `off: true` lets 0 through as the documented "off" of that key. The bounds are
 * appended to the key's description, so `bulwark schema` and editors show them.
 */
import { z } from 'zod';
import { formatDuration, formatSize, parseDuration, parseSize } from './units.ts';

/** A key's accepted range, in the file's units (`'1s'`, `'10mb'`) or as a number of ms / bytes. */
export interface UnitBounds {
  readonly min: string | number;
  readonly max: string | number;
  /** 0 is accepted too, meaning "off" (the description says what off does). */
  readonly off?: boolean;
}

function bounded(description: string, bounds: UnitBounds, parse: (v: unknown) => number | null, format: (n: number) => string, kind: string, example: string) {
  const min = parse(bounds.min);
  const max = parse(bounds.max);
  if (min === null || max === null || min > max) throw new Error(`bad ${kind} bounds for "${description}"`);
  const range = `${format(min)}..${format(max)}`;
  const expected = bounds.off === true ? `0 (off) or ${range}` : range;
  return z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const n = parse(value);
      if (n === null) {
        ctx.addIssue({ code: 'custom', message: `invalid ${kind} ${JSON.stringify(value)} (use e.g. ${example})` });
        return z.NEVER;
      }
      if (!(bounds.off === true && n === 0) && (n < min || n > max)) {
        ctx.addIssue({ code: 'custom', message: `${kind} ${JSON.stringify(value)} out of range: expected ${expected}` });
        return z.NEVER;
      }
      return n;
    })
    .describe(`${description} (${expected})`);
}

/** A duration in the file, within `bounds`; milliseconds after parsing. */
export const duration = (description: string, bounds: UnitBounds) => bounded(description, bounds, parseDuration, formatDuration, 'duration', '500ms, 10s, 5m, 1h');

/** A size in the file, within `bounds`; bytes after parsing. */
export const size = (description: string, bounds: UnitBounds) => bounded(description, bounds, parseSize, formatSize, 'size', '16kb, 10mb');
