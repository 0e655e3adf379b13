/**
 * `identify:` (how clients are grouped and located) and `lists:` (allow and deny lists).
 */
import { z } from 'zod';
import { cidrSchema } from './cidr-schema.ts';

const pathOrOff = z.union([z.string().min(1), z.literal(false)]);

export const identifySchema = z.strictObject({
  prefix_v4: z.number().int().min(8).max(32).default(24).describe('IPv4 prefix length that groups clients (limits, bans, clearance binding)'),
  prefix_v6: z.number().int().min(16).max(128).default(64).describe('IPv6 prefix length that groups clients (one /64 is usually one subscriber)'),
  coarse_v4: z.number().int().min(8).max(32).default(16).describe('coarser IPv4 level for aggregation'),
  coarse_v6: z.number().int().min(16).max(128).default(48).describe('coarser IPv6 level for aggregation'),
  geo: z
    .strictObject({
      enabled: z.boolean().default(true).describe('look up ASN and country (offline data, loaded in the background at start)'),
      asn_v4: pathOrOff.optional().describe('IPv4 ASN CSV (default: the installed @ip-location-db/asn data); false disables'),
      asn_v6: pathOrOff.optional().describe('IPv6 ASN CSV; false disables'),
      country: pathOrOff.optional().describe('country MMDB (default: @ip-location-db/geo-whois-asn-country-mmdb); false disables'),
    })
    .prefault({}),
});

export const listFileSchema = z.strictObject({
  path: z.string().min(1),
  kind: z.enum(['allow', 'deny']),
  format: z.enum(['auto', 'plain', 'netset', 'spamhaus-drop', 'spamhaus-drop-json']).default('auto'),
  name: z.string().min(1).optional().describe('source name in logs and decisions (default: the file name)'),
  force: z.boolean().default(false).describe('deny entries covering loopback, private ranges or trusted proxies are skipped unless forced'),
});

export const listsSchema = z.strictObject({
  allow: z.array(cidrSchema).default([]).describe('never limited, challenged or dropped'),
  deny: z
    .array(z.union([cidrSchema, z.strictObject({ cidr: cidrSchema, force: z.boolean().default(false) })]))
    .default([])
    .describe('dropped at accept, before any HTTP parsing; an entry covering loopback, private ranges or a trusted proxy needs {cidr, force: true}'),
  files: z.array(listFileSchema).default([]).describe('plain, FireHOL .netset or Spamhaus DROP (text/NDJSON) lists; reloaded with the config'),
  max_prefixes: z.number().int().positive().default(1_000_000),
});

export type IdentifyConfig = z.output<typeof identifySchema>;
export type ListsConfig = z.output<typeof listsSchema>;
