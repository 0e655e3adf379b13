/**
 * `admin:` — the admin listener (API, dashboard, metrics, health).
 */
import { z } from 'zod';
import { isLoopbackHost, parseListenAddress } from './listen-address.ts';

const listenAddress = z.string().refine((s) => parseListenAddress(s) !== null, {
  message: 'expected host:port with an IP literal, e.g. 127.0.0.1:9901 or [::1]:9901',
});

const hostName = z
  .string()
  .regex(/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i, { message: 'expected a DNS name such as admin.example.org' })
  .transform((s) => s.toLowerCase());

export const adminSchema = z.strictObject({
  listen: listenAddress
    .refine((s) => isLoopbackHost(parseListenAddress(s)!.host), {
      message: 'the admin listener has no authentication yet, so it may only bind a loopback address (127.0.0.0/8 or ::1)',
    })
    .nullable()
    .default('127.0.0.1:9901')
    .describe('admin listener (health, readiness, stats); null disables it'),
  hosts: z
    .array(hostName)
    .default([])
    .describe(
      'names the admin listener answers to besides its own address (and localhost on loopback): requests whose Host or Origin names anything else are refused, which stops DNS rebinding and cross-site requests',
    ),
});

export type AdminConfig = z.output<typeof adminSchema>;
