/**
 * Wires detection into a built Bulwark without touching the composition root: the service on the
 * Bulwark's open state stores, its sites and `services.setLevel`, the recorder sink, and the signature
 * decider ready to plug in (admin/detection-routes.ts builds the admin routes from what this returns). This is the wiring main.ts uses, usable as is from a
 * test.
 *
 * Order: call after the stores are open and before the listeners accept (main.ts does so in `start()`):
 * attaching restores each site's level, override and signature rules, which the first request must
 * already meet after a restart during an attack. Call `stop()` before the stores close.
 */
import type { Recorder } from '../telemetry/recorder.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { createDetectionService, type DetectionLogger, type DetectionService } from './detection-service.ts';
import type { DetectionConfig } from '../config/detection-schema.ts';
import { createSignatureDecider, type SignatureDecider } from '../core/detect/signature-decider.ts';
import type { DetectionCoordination } from './coordination.ts';
import { createRuleDecisions, type RuleDecisions } from './rule-decisions.ts';

/** The parts of a Bulwark detection attaches to (`Bulwark` from main.ts fits). */
export interface DetectionHost {
  readonly logger: DetectionLogger;
  readonly recorder: Pick<Recorder, 'addSink' | 'removeSink'>;
  runtime(): Pick<Runtime, 'config' | 'services'>;
}

/** Detection attached to a Bulwark. */
export interface AttachedDetection {
  readonly service: DetectionService;
  /** Enforces applied signature rules in decide (signature-decider.ts), with the operator's accept / reject. */
  readonly decider: SignatureDecider;
  /** The operator's accept / reject of signature rules (rule-decisions.ts). */
  readonly ruleDecisions: RuleDecisions;
  /** The Bulwark it is attached to (the admin routes read its stores and config through it). */
  readonly host: DetectionHost;
  /** `detection.enabled`: false keeps the service's state readable but the detector idle. */
  readonly enabled: boolean;
  /** The clock the service and the rule decisions use. */
  readonly now: () => number;
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
    // Geo data loads in the background: asked at each lookup, so incidents name networks once it is there.
    lookupNetwork: (text) => {
      const geo = services().geo;
      if (geo === null) return null;
      const g = geo.lookup(text);
      return g.asn === null && g.country === null ? null : { asn: g.asn, as_name: g.asnOrg, country: g.country };
    },
  });
  await service.start();
  if (options.config.enabled && options.observeRecords !== false) host.recorder.addSink('detection', service.observe);
  const now = options.now ?? Date.now;
  const ruleDecisions = createRuleDecisions(services().stores.kv);
  await ruleDecisions.load(now());
  const decider = createSignatureDecider((site) => ruleDecisions.apply(site, service.activeRules(site), now()));
  return {
    service,
    decider,
    ruleDecisions,
    host,
    enabled: options.config.enabled,
    now,
    async stop() {
      host.recorder.removeSink('detection');
      await service.stop();
    },
  };
}
