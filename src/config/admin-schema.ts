/**
 * `admin:` — the admin listener (API, dashboard, metrics, health).
 */
import { z } from 'zod';
import { isLoopbackHost, parseListenAddress } from './listen-address.ts';
import { duration } from './schema-units.ts';

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
  session: z
    .strictObject({
      idle: duration('a browser session ends after this long without a request').default(30 * 60_000),
      max: duration('a browser session ends this long after login, whatever the activity').default(12 * 3_600_000),
    })
    .prefault({})
    .describe('dashboard logins: an HttpOnly, SameSite=Strict session cookie (Secure over TLS) bound to the address that logged in'),
  login: z
    .strictObject({
      max_failures: z.number().int().min(1).max(1000).default(5).describe('failed logins (or bad Bearer tokens) allowed per address (IPv6: per /64) in the window'),
      window: duration('the window failed logins are counted in; beyond the limit the address gets 429 until it passes').default(15 * 60_000),
    })
    .prefault({}),
});

export type AdminConfig = z.output<typeof adminSchema>;
