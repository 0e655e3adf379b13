/**
 * Test support: the recorded incidents (recorded-incidents.json) loaded into a fresh SQLite incident
 * store, written back through the store's own API with the recorded times, so the report path under test
 * is the real one: store → loadReportInput → model → format.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStateDatabase } from '../../../stores/database.ts';
import { createSqliteIncidentStore } from '../../../stores/incident-store.ts';
import type { IncidentStore, IncidentWithTimeline } from '../../../stores/index.ts';

/** The recorded incidents, oldest first. */
export function recordedIncidents(): IncidentWithTimeline[] {
  const file = fileURLToPath(new URL('./recorded-incidents.json', import.meta.url));
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { incidents: IncidentWithTimeline[] }).incidents;
}

/**
 * Writes `incidents` into `store` through its own API with their recorded times; `setNow` moves the
 * store's clock (its `updatedAtMs`) to each record's time.
 */
export async function loadFixtureInto(store: IncidentStore, setNow: (ms: number) => void, incidents: readonly IncidentWithTimeline[] = recordedIncidents()): Promise<void> {
  for (const r of incidents) {
    setNow(r.updatedAtMs);
    const fields = {
      peakLevel: r.peakLevel, severity: r.severity, distinctSources: r.distinctSources, summary: r.summary, actions: r.actions,
      visitors: r.visitors, fingerprint: r.fingerprint ?? null,
    };
    await store.open({ id: r.id, site: r.site, openedAtMs: r.openedAtMs, ...fields });
    await store.appendSeconds(r.id, r.timeline);
    const link = r.linkedTo === null ? {} : { linkedTo: r.linkedTo, linkVerdict: r.linkVerdict, linkEvidence: r.linkEvidence };
    if (r.closedAtMs !== null) await store.close(r.id, r.closedAtMs, { reason: r.closeReason ?? 'calm', ...link });
    else await store.update(r.id, { ...link, nowMs: r.updatedAtMs });
    // A record whose source data retention removed: the store removes it (and that of every incident
    // closed before it, as retention would).
    if (r.sourceDataPurgedAtMs !== null && r.closedAtMs !== null) await store.purgeSourceData(r.closedAtMs + 1, r.sourceDataPurgedAtMs);
  }
}

/** Runs `fn` with a store holding `incidents` (default: the recorded ones), then removes it. */
export async function withFixtureStore<T>(fn: (store: IncidentStore) => Promise<T>, incidents: readonly IncidentWithTimeline[] = recordedIncidents()): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-report-test-'));
  const state = openStateDatabase({ stateDir: dir });
  let now = 0;
  const store = createSqliteIncidentStore(state, { clock: () => now, checkpointEveryMs: 0 });
  try {
    await loadFixtureInto(store, (ms) => (now = ms), incidents);
    return await fn(store);
  } finally {
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
