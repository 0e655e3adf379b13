/**
 * The `/stats` document of one Bulwark process: connections, tables and their fill, bans, shared state,
 * cluster, challenge, detection, connection guards, the wire, HTTPS, and per site its traffic, level,
 * shield, challenge, policy and protocol figures. Read on demand (admin `/stats`, tests), never on the
 * request path.
 */
import type { SharedStores } from '../cluster/shared-stores.ts';
import type { Scale } from '../cluster/scale.ts';
import type { AttachedDetection } from '../detection/attach.ts';
import type { AcceptGate } from '../edge/accept-gate.ts';
import type { HttpsEdge } from '../edge/https-edge.ts';
import type { KernelDrop } from '../edge/kernel/kernel-drop.ts';
import { knownFieldNames, MAX_KNOWN_FIELD_NAMES } from '../edge/request-headers.ts';
import { forwardFieldNames } from '../pipeline/forward/field-names.ts';
import type { SlowReadGuard } from '../edge/slow-read-guard.ts';
import type { ShieldRegistry } from '../pipeline/shield/shield-registry.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Services } from '../runtime/services.ts';
import type { BanStore } from '../stores/types.ts';
import type { ProtocolStats } from '../telemetry/protocol-stats.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import type { ProxyServers } from './types.ts';
import { UNROUTED_SITE } from '../telemetry/request-record.ts';

/** Where the figures come from; the getters read parts that are created at start or swapped on reload. */
export interface StatsSources {
  readonly recorder: Recorder;
  readonly services: Services;
  readonly shields: ShieldRegistry;
  readonly protocols: ProtocolStats;
  readonly gate: AcceptGate;
  readonly slowReads: SlowReadGuard;
  readonly servers: ProxyServers;
  runtime(): Runtime;
  draining(): boolean;
  bans(): BanStore;
  shared(): SharedStores | null;
  kernelDrop(): KernelDrop | null;
  scale(): Scale | null;
  detection(): AttachedDetection | null;
  httpsEdge(): HttpsEdge | null;
  accessLogDropped(): number;
}

/**
 * The wire (edge/wire): connections taken from node:http's native reads and given back, copies answered;
 * lane requests answered at their parsed head; requests whose pipeline ran at their parsed head and
 * answered there, and those handed on to node:http's objects from there.
 */
function wireStats(servers: ProxyServers): { connections_taken: number; connections_returned: number; answered: number; head_answered: number; head_ran: number; head_handed_over: number } {
  let taken = 0;
  let returned = 0;
  let answered = 0;
  let headAnswered = 0;
  let headRan = 0;
  let handedOver = 0;
  for (const server of [servers.http, servers.https]) {
    const w = server?.wire.stats();
    taken += w?.taken ?? 0;
    returned += w?.returned ?? 0;
    answered += w?.answered ?? 0;
    const h = server?.head.stats();
    headAnswered += h?.answered ?? 0;
    headRan += h?.ran ?? 0;
    handedOver += h?.handedOver ?? 0;
  }
  return { connections_taken: taken, connections_returned: returned, answered, head_answered: headAnswered, head_ran: headRan, head_handed_over: handedOver };
}

/** Builds the stats document now (snake_case fields, times as ISO 8601). */
export function statsOf(src: StatsSources): unknown {
  const { recorder, services, shields, protocols, gate, slowReads, servers } = src;
  const now = Date.now();
  const current = src.runtime();
  return {
    time: new Date(now).toISOString(),
    generation: current.generation,
    draining: src.draining(),
    connections: gate.stats(),
    rate_limit_table: services.policy.table.stats(),
    escalation: services.policy.escalation?.stats() ?? null,
    bans: src.bans().stats(),
    shared_state: src.shared()?.stats() ?? null,
    kernel_drop: src.kernelDrop()?.stats() ?? null,
    cluster: src.scale()?.stats() ?? null,
    challenge: { replay: services.challenge.replay.stats(), spread: services.challenge.spread.stats() },
    detection: src.detection()?.service.stats() ?? null,
    slow_bodies_closed: (servers.http?.slowBodies.closed ?? 0) + (servers.https?.slowBodies.closed ?? 0),
    slow_reads_closed: slowReads.closed,
    wire: wireStats(servers),
    // Field names whose header-object rule is remembered (edge/request-headers.ts), against their cap.
    request_field_names: { known: knownFieldNames(), cap: MAX_KNOWN_FIELD_NAMES },
    // Field names whose forwarding decision is remembered per direction (pipeline/forward/field-names.ts).
    forward_field_names: forwardFieldNames(),
    https: src.httpsEdge()?.stats() ?? null,
    access_log_dropped: src.accessLogDropped(),
    record_sink_errors: recorder.sinkErrors,
    process: { rss_bytes: process.memoryUsage.rss(), uptime_s: Math.round(process.uptime()) },
    sites: recorder.allStats().map((s) => ({
      ...s.snapshot(now, 60),
      level: services.levelOf(s.site),
      shield: shields.get(s.site)?.stats(now) ?? null,
      challenge: s.site === UNROUTED_SITE ? null : services.challengeStatsOf(s.site).snapshot(),
      policy: s.site === UNROUTED_SITE ? null : services.policyStatsOf(s.site).snapshot(),
      protocols: protocols.of(s.site),
    })),
  };
}
