/**
 * Requests per site and HTTP version (`1.1`, `2.0`…), from the records: what share of a site's
 * visitors arrive over HTTP/2, shown in `/stats` beside the site's other aggregates. Bounded: one small
 * map per site, versions other than 1.0, 1.1 and 2.0 counted together as `other`.
 */
import type { RecordSink } from './request-record.ts';

const VERSIONS = new Set(['1.0', '1.1', '2.0']);

export interface ProtocolStats {
  readonly sink: RecordSink;
  /** Requests of `site` by HTTP version since start. */
  of(site: string): Readonly<Record<string, number>>;
  /** Forgets sites no longer configured (`_unrouted` is always kept). */
  retain(sites: readonly string[]): void;
}

export function createProtocolStats(): ProtocolStats {
  const bySite = new Map<string, Map<string, number>>();
  return {
    sink(record) {
      let m = bySite.get(record.site);
      if (m === undefined) bySite.set(record.site, (m = new Map()));
      const v = VERSIONS.has(record.httpVersion) ? record.httpVersion : 'other';
      m.set(v, (m.get(v) ?? 0) + 1);
    },
    of: (site) => Object.fromEntries(bySite.get(site) ?? []),
    retain(sites) {
      const keep = new Set(sites);
      for (const s of [...bySite.keys()]) if (!keep.has(s) && s !== '_unrouted') bySite.delete(s);
    },
  };
}
