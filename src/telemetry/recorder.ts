/**
 * The `record` phase's engine: fans each request record out to the sinks (per-site stats, access log,
 * later the detector). Recording never blocks and never throws into the request path: a failing sink
 * is counted and reported once through `onSinkError`, and the request goes on.
 */
import type { Logger } from 'pino';
import { createSiteStats, type SiteStats } from './site-stats.ts';
import { UNROUTED_SITE, type RecordSink, type RequestRecord } from './request-record.ts';

export interface Recorder {
  record(record: RequestRecord): void;
  /** The stats of a site (created on first use; `_unrouted` always exists). */
  stats(site: string): SiteStats;
  /** Every site's stats, in creation order. */
  allStats(): SiteStats[];
  /** Keeps only the given sites (plus `_unrouted`), after a reload removed some. */
  retainSites(names: readonly string[]): void;
  addSink(name: string, sink: RecordSink): void;
  removeSink(name: string): void;
  readonly sinkErrors: number;
}

export function createRecorder(logger: Logger): Recorder {
  const stats = new Map<string, SiteStats>([[UNROUTED_SITE, createSiteStats(UNROUTED_SITE)]]);
  const sinks = new Map<string, RecordSink>();
  let sinkList: [string, RecordSink][] = [];
  let sinkErrors = 0;
  const reported = new Set<string>();

  function statsOf(site: string): SiteStats {
    let s = stats.get(site);
    if (s === undefined) {
      s = createSiteStats(site);
      stats.set(site, s);
    }
    return s;
  }

  return {
    record(record) {
      try {
        statsOf(record.site).observe(record.timeMs, record.outcome, record.status, record.bytesIn, record.bytesOut, record.originLatencyMs, record.cleared);
      } catch (err) {
        sinkErrors++;
        if (!reported.has('stats')) {
          reported.add('stats');
          logger.error({ err, code: 'BULWARK_ERR_RECORD_SINK' }, 'recording into site stats failed');
        }
      }
      for (let i = 0; i < sinkList.length; i++) {
        try {
          sinkList[i]![1](record);
        } catch (err) {
          sinkErrors++;
          const name = sinkList[i]![0];
          if (!reported.has(name)) {
            reported.add(name);
            logger.error({ err, code: 'BULWARK_ERR_RECORD_SINK', sink: name }, 'a record sink failed (reported once)');
          }
        }
      }
    },
    stats: statsOf,
    allStats() {
      return [...stats.values()];
    },
    retainSites(names) {
      const keep = new Set([...names, UNROUTED_SITE]);
      for (const name of stats.keys()) if (!keep.has(name)) stats.delete(name);
    },
    addSink(name, sink) {
      sinks.set(name, sink);
      sinkList = [...sinks.entries()];
    },
    removeSink(name) {
      sinks.delete(name);
      sinkList = [...sinks.entries()];
    },
    get sinkErrors() {
      return sinkErrors;
    },
  };
}
