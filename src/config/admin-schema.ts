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

const tlsFiles = z.strictObject({
  cert: z.string().min(1).describe('PEM certificate (chain) file'),
  key: z.string().min(1).describe('PEM private key file'),
});

export const adminSchema = z
  .strictObject({
    listen: listenAddress
      .nullable()
      .default('127.0.0.1:9901')
      .describe(
        'admin listener (API, dashboard, /metrics, health); null disables it. A loopback address needs nothing more; any other address needs admin.tls (or cleartext_on_trusted_network: true) and at least one token (bulwark tokens create), or Bulwark refuses to start',
      ),
    tls: z
      .union([tlsFiles, z.literal('self_signed')])
      .nullable()
      .default(null)
      .describe(
        'serve the admin listener over HTTPS: {cert, key} files, or self_signed (a certificate generated under state_dir/admin-tls and kept; its SHA-256 fingerprint is logged at every start so operators can pin it)',
      ),
    cleartext_on_trusted_network: z
      .boolean()
      .default(false)
      .describe(
        'allow a non-loopback admin listener without TLS because the network carrying it is trusted (a management VLAN, a VPN such as WireGuard): tokens and session cookies then cross it in the clear',
      ),
    hosts: z
      .array(hostName)
      .default([])
      .describe(
        'names the admin listener answers to besides its own address (and localhost on loopback): requests whose Host or Origin names anything else are refused, which stops DNS rebinding and cross-site requests',
      ),
    session: z
      .strictObject({
        idle: duration('a browser session ends after this long without a request', { min: '1m', max: '7d' }).default(30 * 60_000),
        max: duration('a browser session ends this long after login, whatever the activity', { min: '5m', max: '30d' }).default(12 * 3_600_000),
      })
      .prefault({})
      .describe('dashboard logins: an HttpOnly, SameSite=Strict session cookie (Secure over TLS) bound to the address that logged in'),
    login: z
      .strictObject({
        max_failures: z.number().int().min(1).max(1000).default(5).describe('failed logins (or bad Bearer tokens) allowed per address (IPv6: per /64) in the window'),
        window: duration('the window failed logins are counted in; beyond the limit the address gets 429 until it passes', { min: '10s', max: '1d' }).default(15 * 60_000),
      })
      .prefault({}),
    dashboard: z
      .strictObject({
        max_streams: z.number().int().min(1).max(1000).default(16).describe('live dashboard streams (server-sent events) open at once; more are refused with 503'),
        max_streams_per_token: z.number().int().min(1).max(100).default(4).describe('live streams one token (or its sessions) may hold at once'),
      })
      .prefault({})
      .describe('the live dashboard served at / (preact + uPlot, built at install time; nothing loaded from elsewhere)'),
    audit_retention: duration('audit log rows (who changed what, when, from where) older than this are deleted daily; at most 1,000,000 rows are kept', { min: '1d', max: '3650d' }).default(400 * 86_400_000),
  })
  .superRefine((a, ctx) => {
    const parsed = a.listen === null ? null : parseListenAddress(a.listen);
    if (parsed !== null && !isLoopbackHost(parsed.host) && a.tls === null && !a.cleartext_on_trusted_network) {
      ctx.addIssue({
        code: 'custom',
        path: ['listen'],
        message:
          'a non-loopback admin listener carries tokens and session cookies: give admin.tls ({cert, key} or self_signed), or set admin.cleartext_on_trusted_network: true if a trusted network carries it',
      });
    }
  });

export type AdminConfig = z.output<typeof adminSchema>;
