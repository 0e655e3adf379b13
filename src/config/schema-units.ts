/** Zod types for the config's human units (see units.ts); shared by every schema section. */
import { z } from 'zod';
import { parseDuration, parseSize } from './units.ts';

/** A duration in the file; milliseconds after parsing. */
export const duration = (description: string) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)} (use e.g. 500ms, 10s, 5m, 1h)` });
        return z.NEVER;
      }
      return ms;
    })
    .describe(description);

/** A size in the file; bytes after parsing. */
export const size = (description: string) =>
  z
    .union([z.number(), z.string()])
    .transform((value, ctx) => {
      const bytes = parseSize(value);
      if (bytes === null) {
        ctx.addIssue({ code: 'custom', message: `invalid size ${JSON.stringify(value)} (use e.g. 16kb, 10mb)` });
        return z.NEVER;
      }
      return bytes;
    })
    .describe(description);
