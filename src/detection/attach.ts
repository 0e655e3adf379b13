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
    // Geo data loads in the background: asked at each lookup, so incidents name networks once it is there.
    lookupNetwork: (text) => {
      const geo = services().geo;
      if (geo === null) return null;
      const g = geo.lookup(text);
      return g.asn === null && g.country === null ? null : { asn: g.asn, as_name: g.asnOrg, country: g.country };
    },
  });
  await service.start();
  if (options.config.enabled) host.recorder.addSink('detection', service.observe);
  const decider = createSignatureDecider(service.activeRules);
  return {
    service,
    decider,
    routes: () => incidentRoutes({
      incidents: services().stores.incidents, kv: services().stores.kv, detection: options.config.enabled ? service : null, sites,
      reports: () => host.runtime().config.reports,
      hostnames: (site) => host.runtime().config.sites.find((s) => s.name === site)?.hosts ?? [],
    }),
    async stop() {
      host.recorder.removeSink('detection');
      await service.stop();
    },
  };
}
