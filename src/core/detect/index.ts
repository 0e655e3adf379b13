/**
 * Attack detection, pure core: per-site aggregates fed from the request path, learned
 * baselines, the detector's threat level, signature rules and incident fingerprints. Start with
 * `createSiteDetector` (site-detector.ts), which wires the parts in the order a tick needs.
 */
export * from './aggregate-types.ts';
export { createWindowAggregates } from './window-aggregates.ts';
export { emptyTotals, type Totals } from './totals.ts';
export * from './dimensions.ts';
export { hash32 } from '../sketch/hash.ts';
export * from './hyperloglog.ts';
export * from './windowed-distinct.ts';
export * from './heavy-hitters.ts';
export * from './baseline.ts';
export { SEASONAL_METRICS, type SeasonalBasis, type SeasonalMetric, type SeasonalOptions, type SeasonalReference, type SlotView } from './seasonal-profile.ts';
export type { LearningQueueStats } from './learning-queue.ts';
export * from './detector-config.ts';
export * from './signals.ts';
export { coldStartApplies, coldStartEvidence, type ColdStartEvidence } from './cold-start.ts';
export * from './detector.ts';
export * from './signatures.ts';
export * from './incident-fingerprint.ts';
export * from './site-detector.ts';
