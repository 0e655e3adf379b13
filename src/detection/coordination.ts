/**
 * How the detection service shares a site with other Bulwark processes (several nodes on one Redis, or
 * the primary of several workers): for each site one process *leads* — it merges everyone's share of the
 * traffic, decides the level and the signature rules, writes the incident and publishes the result — and
 * the others *follow* what it publishes. A process that can reach neither the leader nor the shared store
 * for longer than a lease is *alone*: it decides the level from what it sees so it keeps protecting, but
 * writes no incident (the leader, or the next one, writes the one incident of the attack).
 *
 * The service asks `role` at every tick; the implementation (src/cluster/) holds the leases and the bus.
 */
import type { DetectorState, SignatureRule } from '../core/detect/index.ts';
import type { ThreatLevel } from '../core/vocabulary.ts';

/** What this process does for a site this second. */
export type SiteRole = 'lead' | 'follow' | 'alone';

/** What a site's leader publishes after each tick. */
export interface LeaderView {
  readonly site: string;
  readonly level: ThreatLevel;
  /** The detector's state (level, timers, override), adopted by followers so a takeover goes on from it. */
  readonly state: DetectorState;
  /** Active signature rules (followers enforce the applied ones). */
  readonly rules: readonly SignatureRule[];
  /** The leader's name (node, or node/worker). */
  readonly leader: string;
  /** The open incident's id, or null. */
  readonly incident: string | null;
  /** When the leader ticked, ms since the epoch. */
  readonly atMs: number;
}

/** The service's view of the leases and the bus. */
export interface DetectionCoordination {
  /** This process's name in leases and views. */
  readonly self: string;
  /** The role for `site` now (synchronous: from the lease state kept up to date in the background). */
  role(site: string, nowMs: number): SiteRole;
  /** Publishes a view (the leader's, or this process's own while alone). */
  publish(view: LeaderView): void;
  /** The latest view received for the site, or undefined. */
  followed(site: string): LeaderView | undefined;
}
