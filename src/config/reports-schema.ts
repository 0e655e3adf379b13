/**
 * `reports:` — who the incident reports come from and how much they may say (`bulwark incidents report`,
 * `GET /incident/report`). Every export format (HTML, JSON, STIX 2.1, X-ARF v4, MISP) reads the same block:
 *
 * - `organisation`: the reporting organisation — the STIX `identity`, the X-ARF `reporter`, the MISP
 *   event's creator. X-ARF drafts need `contact` and `domain` (an abuse desk answers to them), so the
 *   `xarf` format refuses to run without them rather than inventing an address.
 * - `tlp`: the Traffic Light Protocol marking of every export (https://www.first.org/tlp/). Default
 *   `amber`: incident data names networks and addresses, so it should not travel beyond the recipients'
 *   organisations unless the operator says so. `clear` is TLP 2.0's name for TLP 1.0's `white`.
 * - `truncate_sources`: show every client address as its /24 (IPv4) or /48 (IPv6) in reports, whatever
 *   the stored record holds; the report says it did. Retention (`detection.retention`) and
 *   `detection.truncate_addresses` apply on top: a report never shows more than the record keeps.
 */
import { z } from 'zod';

const domain = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i, { message: 'expected a domain name, e.g. example.org' })
  .transform((d) => d.toLowerCase());

const email = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'expected an e-mail address, e.g. abuse@example.org' });

export const organisationSchema = z.strictObject({
  name: z.string().min(1).max(200).default('Bulwark operator').describe('name of the reporting organisation (STIX identity, X-ARF reporter, MISP creator)'),
  domain: domain.optional().describe("the organisation's domain (X-ARF reporter.domain); needed for X-ARF drafts"),
  contact: email.optional().describe('where recipients answer (X-ARF reporter.contact, STIX contact_information); needed for X-ARF drafts'),
  sector: z
    .enum(['communications', 'education', 'government', 'government-local', 'government-national', 'healthcare', 'non-profit', 'technology', 'financial-services', 'retail'])
    .optional()
    .describe('STIX industry sector of the organisation (identity.sectors)'),
});

export const reportsSchema = z
  .strictObject({
    organisation: organisationSchema.prefault({}),
    tlp: z.enum(['clear', 'white', 'green', 'amber', 'red']).default('amber').describe('Traffic Light Protocol marking of every report and export'),
    truncate_sources: z.boolean().default(false).describe('show client addresses in reports as their /24 (IPv4) or /48 (IPv6); the report says so'),
    compare_with: z.number().int().min(0).max(20).default(5).describe('earlier incidents of the same site each report compares with (recurrence section)'),
  })
  .describe('incident reports and exports: reporting organisation, TLP marking, privacy');

/** The parsed `reports:` block. */
export type ReportsConfig = z.output<typeof reportsSchema>;

/** The defaults, as `reports: {}` parses (reports made without a config file use these). */
export const DEFAULT_REPORTS_CONFIG: ReportsConfig = reportsSchema.parse({});
