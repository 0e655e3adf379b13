/**
 * The `tls:` block: what the https listeners do before HTTP starts — how many new TLS handshakes a
 * client may start (a full handshake costs far more than a request: a flood of them is capped at
 * accept, before the expensive part), session resumption for returning visitors, and how certificate
 * files are watched for renewals.
 */
import { z } from 'zod';
import { duration } from './schema-units.ts';

/** New handshakes a source may start: `burst` at once, refilled at `rate` per second; null: no cap. */
const handshakeBudget = (who: string, rate: number, burst: number) =>
  z
    .strictObject({
      rate: z.number().positive().max(1_000_000).default(rate).describe(`new TLS handshakes per second per ${who}, sustained`),
      burst: z.number().int().min(1).max(1_000_000).default(burst).describe(`new TLS handshakes at once per ${who}`),
    })
    .nullable()
    .prefault({})
    .describe(`new TLS handshakes per ${who} (default ${rate}/s, burst ${burst}); beyond, the connection is closed at accept; null: no cap`);

export const tlsSchema = z
  .strictObject({
    handshakes: z
      .strictObject({
        per_address: handshakeBudget('client address', 20, 50),
        per_prefix: handshakeBudget('client prefix (identify.prefix_v4 / prefix_v6)', 100, 300),
      })
      .prefault({}),
    min_version: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2').describe('oldest TLS version accepted'),
    session_resumption: z.boolean().default(true).describe('session tickets, so returning visitors skip the certificate and its signature'),
    ticket_key_rotation: duration('a new session ticket key this often (tickets under the old key then need one full handshake)', { min: '1m', max: '7d' }).default(3_600_000),
    cert_check_interval: duration('how often certificate and key files are checked for a renewal (0: only on SIGHUP)', { min: '100ms', max: '1d', off: true }).default(30_000),
    expiry_warning: duration('certificates expiring within this are logged once a day and flagged in /stats', { min: '1d', max: '365d' }).default(14 * 86_400_000),
  })
  .describe('TLS on the https listeners: handshake caps, resumption, certificate renewal.');

/** The validated `tls:` block. */
export type TlsConfig = z.output<typeof tlsSchema>;
