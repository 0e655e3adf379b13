/** Test support: the `reports:` config the golden files and the browser test are made with. */
import { reportsSchema, type ReportsConfig } from '../../../config/reports-schema.ts';

/** The reporting organisation of the golden files (documentation domain, RFC 2606). */
export const GOLDEN_CONFIG: ReportsConfig = reportsSchema.parse({
  organisation: { name: 'Example Newsroom', domain: 'example.org', contact: 'abuse@example.org', sector: 'communications' },
  tlp: 'amber',
});

/** The site's hostnames in the golden files. */
export const GOLDEN_HOSTNAMES = ['news.example.org', 'www.news.example.org'];
