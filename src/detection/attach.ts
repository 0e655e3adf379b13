/**
 * Wires detection into a built Bulwark without touching the composition root: the service on the
 * Bulwark's open state stores, its sites and `services.setLevel`, the recorder sink, and the admin
 * routes and signature decider ready to plug in. This is the wiring main.ts needs (see the report of
 * issue #6), usable as is from main.ts or from a test.
 *
 * Order: call after `createBulwark` (stores open) and before or after `start()`; call `stop()` before
 * the Bulwark's `stop()` closes the stores.
 */
import type { AdminRoute } from '../admin/admin-server.ts';
import { incidentRoutes } from '../admin/incident-routes.ts';
import type { Recorder } from '../telemetry/recorder.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { createDetectionService, type DetectionLogger, type DetectionService } from './detection-service.ts';
import type { DetectionConfig } from './detection-schema.ts';
import { createSignatureDecider, type SignatureDecider } from './signature-decider.ts';
import type { DetectionCoordination } from './coordination.ts';

/** The parts of a Bulwark detection attaches to (`Bulwark` from main.ts fits). */
export interface DetectionHost {
  readonly logger: DetectionLogger;
  readonly recorder: Pick<Recorder, 'addSink' | 'removeSink'>;
  runtime(): Pick<Runtime, 'config' | 'services'>;
}

/** Detection attached to a Bulwark. */
export interface AttachedDetection {
  readonly service: DetectionService;
  /** Enforces applied signature rules in decide (signature-decider.ts). */
  readonly decider: SignatureDecider;
  /** `/incidents`, `/incident`, `/detection`, `POST /mode` for `AdminState.routes`. */
  routes(): Record<string, AdminRoute>;
  /** Removes the sink and stops the service (saves its state). Call before the stores close. */
  stop(): Promise<void>;
}

/** Options of {@link attachDetection}: the `detection:` config, and a clock / seed for tests. */
export interface AttachOptions {
  readonly config: DetectionConfig;
  readonly now?: () => number;
  readonly hashSeed?: number;
  readonly timers?: boolean;
  /** The origin queue length of a site, sampled once a second (see DetectionServiceOptions). */
  readonly queueLength?: (site: string) => number | null;
  /** Sites shared with other processes (coordination.ts); absent: this process alone. */
  readonly coordination?: DetectionCoordination;
  /** Delay of the tick after each second boundary, ms (see DetectionServiceOptions). */
  readonly tickOffsetMs?: number;
  /**
   * Register the service as the recorder's `detection` sink (default true). False when the records go
   * to a contribution collector instead, whose parts the caller merges (several processes share a site).
   */
  readonly observeRecords?: boolean;
}

/** Creates, starts and plugs in the detection service. */
export async function attachDetection(host: DetectionHost, options: AttachOptions): Promise<AttachedDetection> {
  const services = () => host.runtime().services;
  const sites = () => host.runtime().config.sites.map((s) => s.name);
  const service = createDetectionService({
    stores: services().stores,
    sites,
    config: options.config,
    logger: host.logger,
    setLevel: (site, level) => services().setLevel(site, level),
    ...(options.now ? { now: options.now } : {}),
    ...(options.hashSeed !== undefined ? { hashSeed: options.hashSeed } : {}),
    ...(options.timers !== undefined ? { timers: options.timers } : {}),
    ...(options.queueLength ? { queueLength: options.queueLength } : {}),
    ...(options.coordination ? { coordination: options.coordination } : {}),
    ...(options.tickOffsetMs !== undefined ? { tickOffsetMs: options.tickOffsetMs } : {}),
  });
  await service.start();
  if (options.config.enabled && options.observeRecords !== false) host.recorder.addSink('detection', service.observe);
  const decider = createSignatureDecider(service.activeRules);
  return {
    service,
    decider,
    routes: () => incidentRoutes({ incidents: services().stores.incidents, kv: services().stores.kv, detection: options.config.enabled ? service : null, sites }),
    async stop() {
      host.recorder.removeSink('detection');
      await service.stop();
    },
  };
}
