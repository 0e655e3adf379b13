/**
 * Attack detection, I/O side: the detection service (per-site detectors fed by the request
 * records, ticked once a second, levels published, incidents driven, state persisted), its config block,
 * operator overrides, and the signature-rule enforcement for decide. Start with `attachDetection`
 * (attach.ts), which shows the whole wiring.
 */
export { attachDetection, type AttachedDetection, type AttachOptions, type DetectionHost } from './attach.ts';
export { createDetectionService } from './detection-service.ts';
export type { DetectionLogger, DetectionService, DetectionServiceOptions, DetectionStats } from './detection-service-types.ts';
export { detectionSchema, defaultDetectionConfig, type DetectionConfig } from '../config/detection-schema.ts';
export { siteDetectorOptions } from './detection-options.ts';
export { toRequestEvent, type DetectionRecord } from './detection-record.ts';
export { MODE_KEY_PREFIX, modeKey, parseModeRequest, readOverride, writeMode, listOverrides, type ModeRequest, type StoredOverride } from './override.ts';
export { createSignatureDecider, matchesRule, type SignatureDecider, type SignatureFacts } from '../core/detect/signature-decider.ts';
export { ruleView, type RuleView, type SiteDetectionView } from './detection-stats.ts';
