/**
 * A process's share of each site's traffic, one second at a time, for the process that detects.
 *
 * With several workers or several nodes, every process serves part of a site's requests; the site's
 * leader detects from the sum. So each serving process records its requests here (the recorder sink,
 * O(1) per request, the same mapping as the detection service's own `observe`) and, once a second, hands
 * over the second that just ended: counters and latency, the HyperLogLog registers of its clients, its
 * heavy hitters and the incident extras (decisions, cleared visitors' latency, prefix sketch, methods). The leader
 * merges every part (`DetectionService.mergeContribution`) before its tick. HyperLogLogs merge exactly
 * when every process hashes with the same seed — the deployment's shared seed.
 *
 * Bounded: one small aggregates ring (3 seconds) and one extras object per configured site.
 */
import { createWindowAggregates, hash32, type SecondExport, type WindowAggregates } from '../core/detect/index.ts';
import { UNROUTED_SITE } from '../telemetry/request-record.ts';
import { emptyRequestEvent, fillRequestEvent, type DetectionRecord } from './detection-record.ts';
import { createSiteExtras, type ExtrasPart, type SiteExtras } from './site-extras.ts';

/** One site's second from one process. */
export interface SiteContribution {
  readonly site: string;
  readonly aggregates: SecondExport;
  readonly extras: ExtrasPart;
}

/** The collector. */
export interface ContributionCollector {
  /** Recorder sink. Never throws. */
  observe(record: DetectionRecord): void;
  /** Every site's `second` (sites without traffic in it are left out); call once per second, after it ended. */
  take(second: number): SiteContribution[];
  stats(): { sites: number; records: number; skipped: number };
}

/** Options of {@link createContributionCollector}. */
export interface ContributionCollectorOptions {
  /** The deployment's shared hash seed. */
  readonly hashSeed: number;
  /** Configured site names (read when a site is first seen). */
  readonly sites: () => readonly string[];
  /** Heavy hitters per dimension handed over. Default 64 (the detector's topK). */
  readonly topK?: number;
}

interface Entry {
  readonly aggregates: WindowAggregates;
  readonly extras: SiteExtras;
}

/** Creates a collector. */
export function createContributionCollector(options: ContributionCollectorOptions): ContributionCollector {
  const entries = new Map<string, Entry>();
  const event = emptyRequestEvent();
  let records = 0;
  let skipped = 0;
  let lastAddress = '';
  let lastHash = hash32('', options.hashSeed);

  function entryOf(site: string): Entry | undefined {
    let e = entries.get(site);
    if (e !== undefined) return e;
    if (site === UNROUTED_SITE || !options.sites().includes(site)) return undefined;
    e = {
      aggregates: createWindowAggregates({ windowSeconds: 3, recentSeconds: 1, hashSeed: options.hashSeed, topK: options.topK ?? 64 }),
      extras: createSiteExtras(options.hashSeed),
    };
    entries.set(site, e);
    return e;
  }

  return {
    observe(record) {
      const e = entryOf(record.site);
      if (e === undefined) {
        skipped++;
        return;
      }
      records++;
      try {
        const address = record.clientAddress;
        if (address !== lastAddress) {
          lastAddress = address;
          lastHash = hash32(address, options.hashSeed);
        }
        fillRequestEvent(event, record).addressHash = lastHash;
        e.aggregates.observe(event, record.timeMs);
        e.extras.observe(Math.floor(record.timeMs / 1000), record.cleared, record.originLatencyMs, record.decisionBy, address, record.prefix, lastHash, record.method);
      } catch {
        skipped++;
      }
    },
    take(second) {
      const out: SiteContribution[] = [];
      for (const [site, e] of entries) {
        const aggregates = e.aggregates.exportSecond(second);
        const decisions = e.extras.takeDecisions();
        const methods = Object.entries(e.extras.takeMethods());
        const prefixes = e.extras.sourceSignature();
        e.extras.resetSources();
        if (aggregates === null) continue;
        out.push({ site, aggregates, extras: { second, decisions: [...decisions], cleared: e.extras.clearedLatency(second), sources: aggregates.all, prefixes, methods } });
      }
      for (const site of entries.keys()) if (!options.sites().includes(site)) entries.delete(site);
      return out;
    },
    stats: () => ({ sites: entries.size, records, skipped }),
  };
}
