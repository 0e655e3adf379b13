/**
 * The detection service's coordination (detection/coordination.ts) on the bus and the leases:
 * - `role`: `lead` while this node holds the site's lease; `follow` while the lease store answers (someone
 *   else leads, or will within a lease) or a leader's view is fresh; `alone` when cut off from both for
 *   longer than two leases — then it protects from what it sees, and writes no incident.
 * - `publish`: the view goes on the bus (to every worker and every other node) and is applied here.
 * - every traffic share arriving on the bus (`contrib`) with the deployment's tag is merged into the
 *   service, so the leader detects from the whole deployment's traffic.
 */
import { COUNTERS } from '../core/detect/totals.ts';
import { DIMENSIONS } from '../core/detect/index.ts';
import { LOG_BUCKETS } from '../core/detect/log-histogram.ts';
import type { DetectionCoordination, LeaderView, SiteRole } from '../detection/coordination.ts';
import type { DetectionService } from '../detection/detection-service.ts';
import type { Bus } from './bus.ts';
import { decodeContribution, type ContributionWire } from './contribution-codec.ts';
import type { Leases } from './leases.ts';

/** Options of {@link createDetectionLink}. */
export interface DetectionLinkOptions {
  readonly bus: Bus;
  readonly leases: Leases;
  /** Tag of the shared secret: shares with another tag are not merged. */
  readonly tag: string;
  /** Lease length, ms (a view older than two leases is stale). */
  readonly leaseMs: number;
  /** Applies a view in this process (the services' level), besides keeping it for `followed`. */
  readonly apply?: (view: LeaderView) => void;
  /** HyperLogLog registers per sketch (2^precision). Default 16,384. */
  readonly registers?: number;
  readonly now?: () => number;
}

/** The coordination, plus the wiring to a service. */
export interface DetectionLink extends DetectionCoordination {
  /** Routes traffic shares from the bus into `service`. */
  attach(service: DetectionService): void;
  /** Which node leads each site, as last known. */
  leaders(sites: readonly string[]): Record<string, string | null>;
  stop(): void;
}

/** Creates the link. */
export function createDetectionLink(options: DetectionLinkOptions): DetectionLink {
  const { bus, leases, tag } = options;
  const now = options.now ?? Date.now;
  const views = new Map<string, LeaderView>();
  const shape = { counters: COUNTERS, latency: LOG_BUCKETS, registers: options.registers ?? 1 << 14, dimensions: DIMENSIONS.length };
  const offs: Array<() => void> = [];

  function keep(v: LeaderView): void {
    const cur = views.get(v.site);
    if (cur === undefined || cur.atMs <= v.atMs) views.set(v.site, v);
  }

  offs.push(
    bus.on('view', (m) => {
      const v = m.v as LeaderView | undefined;
      if (v !== undefined && typeof v.site === 'string') keep(v);
    }),
  );

  return {
    self: bus.node,
    role(site, nowMs): SiteRole {
      if (leases.holds(site, nowMs)) return 'lead';
      if (leases.reachable(nowMs)) return 'follow';
      const v = views.get(site);
      return v !== undefined && nowMs - v.atMs < 2 * options.leaseMs ? 'follow' : 'alone';
    },
    publish(view) {
      keep(view);
      options.apply?.(view);
      bus.publish({ t: 'view', v: view });
    },
    followed: (site) => views.get(site),
    attach(service) {
      offs.push(
        bus.on('contrib', (m) => {
          if (m.tag !== tag) return bus.noteDropped();
          const c = decodeContribution(m.c as ContributionWire, shape);
          if (c === null || !service.mergeContribution(c)) bus.noteDropped();
        }),
      );
    },
    leaders(sites) {
      const out: Record<string, string | null> = {};
      for (const site of sites) {
        const v = views.get(site);
        out[site] = leases.holds(site, now()) ? bus.node : v !== undefined && now() - v.atMs < 2 * options.leaseMs ? v.leader : leases.holder(site);
      }
      return out;
    },
    stop() {
      for (const off of offs) off();
    },
  };
}
