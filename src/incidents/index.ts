/**
 * Incidents: the pure lifecycle and severity, the per-incident accumulator, the tracker that
 * writes them to the IncidentStore, recurrence links, and the text / JSON reports.
 */
export { IDLE, resumedLifecycle, stepLifecycle, type LifecycleEvent, type LifecycleState } from './lifecycle.ts';
export { severityOf, MIN_CLEARED_SAMPLES, type SeverityInput, type SeverityResult } from './severity.ts';
export { baselineFacts, createIncidentAccumulator, type AccumulatorInit, type BaselineFacts, type IncidentAccumulator, type IncidentSecondInput } from './incident-accumulator.ts';
export { mergeSummaries } from './summary-merge.ts';
export { createIncidentTracker, MAX_PENDING_ROWS, type IncidentTracker, type IncidentTrackerOptions, type OpenIncidentInfo, type TrackerConfig, type TrackerLogger } from './incident-tracker.ts';
export { linkIncident, storedVerdict, type IncidentLink, type LinkCandidate, type LinkEvidenceJson } from './incident-link.ts';
export * from './incident-json.ts';
export { durationS, incidentHeadlineJson, incidentJson, incidentListJson, renderIncidentList, renderIncidentText, timelineRowJson } from './report.ts';
