import { z } from 'zod';
import { checkCidr } from '../core/net/cidr.ts';

/** An IP address or CIDR (host bits must be zero: `10.1.2.3/8` is almost always a typo for a wider net). */
export const cidrSchema = z.string().superRefine((text, ctx) => {
  const checked = checkCidr(text);
  if (typeof checked === 'string') ctx.addIssue({ code: 'custom', message: `expected an IP address or CIDR: ${checked}` });
});
