/**
 * What `createBulwark` (src/main.ts) takes and gives: the options of one Bulwark process, and the handle
 * the CLI, the worker entry point and the tests drive it by (start, reload, stop, stats).
 */
import type { Logger } from 'pino';
import type { AcceptGate } from '../edge/accept-gate.ts';
import type { BoundListener } from '../edge/listeners.ts';
import type { HttpsEdge } from '../edge/https-edge.ts';
import type { CrawlerResolver } from '../runtime/crawler-verify.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { Config } from '../config/schema.ts';
import type { TicketKeySource } from '../core/tls/ticket-keys.ts';
import type { WorkerLink } from '../cluster/worker-link.ts';
import type { AdminPlane } from '../admin/start-admin.ts';
import type { Auditor } from '../admin/audit.ts';
import type { ReloadLog } from '../admin/reload-log.ts';
import type { AttachedDetection } from '../detection/attach.ts';
import type { Metrics } from '../telemetry/metrics.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import type { ProxyServer } from '../edge/proxy-server.ts';

/** Options of {@link Bulwark}: the validated config, and what tests and workers inject. */
export interface BulwarkOptions {
  readonly config: Config;
  /** The config file, for reloads and messages; absent for zero-config and tests. */
  readonly file?: string;
  readonly logger?: Logger;
  /** DNS used to verify search-engine crawlers (tests inject a fake resolver). */
  readonly crawlerResolver?: CrawlerResolver;
  /** TLS session ticket keys (default: random, rotated every `tls.ticket_key_rotation`); processes that share one source resume each other's sessions. */
  readonly ticketKeys?: TicketKeySource;
  /**
   * Set when this process is one of several workers (src/worker.ts): no admin listener, no detection
   * (its primary detects from every worker's share), connections handed over or accepted on the shared
   * socket, and state exchanged with the other workers through the primary (src/cluster/).
   */
  readonly worker?: WorkerLink;
}

/** One Bulwark process: its listeners, admin plane and lifecycle. */
export interface Bulwark {
  readonly logger: Logger;
  readonly recorder: Recorder;
  readonly gate: AcceptGate;
  /** Binds every listener and the admin listener. Rejects (and releases what it bound) on failure. */
  start(): Promise<void>;
  /** Swaps in a new validated config. Throws ConfigError (and keeps the old config) if it cannot compile. `by` names who asked (audit log). */
  reload(config: Config, by?: string): void;
  /**
   * {@link reload}, with the config's list files read off the event loop first, so the process keeps
   * serving while they are read (SIGHUP). Rejects with ConfigError and keeps the old config.
   */
  reloadAsync(config: Config, by?: string): Promise<void>;
  /** Reload attempts: applied and refused ones are audited; the last of each is shown on the config page. */
  readonly reloads: ReloadLog;
  /** The audit writer (admin API, reloads). */
  readonly auditor: Auditor;
  /** Graceful stop: stop accepting, let in-flight requests finish up to `drain_timeout`, then cut. */
  stop(): Promise<void>;
  readonly listeners: readonly BoundListener[];
  readonly admin: AdminPlane | null;
  runtime(): Runtime;
  /** The attached detection service (after start; null when `detection.enabled` is false). */
  detection(): AttachedDetection | null;
  /** The HTTPS edge (after start; null without https listeners). */
  httpsEdge(): HttpsEdge | null;
  /** Prometheus exposition of this Bulwark (served as /metrics on the admin listener). */
  readonly metrics: Metrics;
  /** `http://host:port` of the first plain-HTTP listener (tests, demo). */
  url(secure?: boolean): string;
  stats(): unknown;
}

/** The proxy servers of a process: one for plain HTTP, one for HTTPS, each null when not listening. */
export interface ProxyServers {
  http: ProxyServer | null;
  https: ProxyServer | null;
}
