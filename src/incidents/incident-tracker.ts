/**
 * Incidents, I/O side: drives each site's lifecycle (lifecycle.ts) from the detector's second,
 * accumulates the incident (incident-accumulator.ts) and writes it to the IncidentStore:
 * - open when the site leaves `normal` (one open incident per site);
 * - every second: one timeline row (`appendSeconds`, one transaction); every `updateEveryMs` (default
 *   5 s): the record's tops, actions, visitors, severity, distinct sources — so a crash loses at most
 *   the last few seconds of the record and the second being written of the timeline;
 * - close after `calmMs` of normal, linked to the most similar recent incident (incident-link.ts).
 *
 * Restart policy (`recover`, called once at start): an incident still open whose last second is at
 * most `resumeGapMs` old (default 5 min) is **continued** — same id, its stored tops, actions and
 * counters carried on, the unobserved seconds counted in `summary.gap_seconds`; an older one is closed
 * as `interrupted` at its last second (the store's `recoverOpen`). Rationale: a quick restart (deploy,
 * crash loop) during an attack is still the same attack; after a long outage nobody can say what
 * happened in between, so a new incident (linked by comparison) is the honest record.
 *
 * Write failures (disk full, database locked) never stop detection: they are logged once per code and
 * counted; timeline rows not written are kept (at most `MAX_PENDING_ROWS`, oldest dropped) and retried
 * with the next second. Privacy: with `truncateAddresses`, every address in the JSON written is
 * truncated to /24 or /48 here (whether or not the store was opened with the same option); the
 * retention `sweep` removes address-level source data of incidents closed longer ago than `retentionMs`.
 */
import type { IncidentRecord, IncidentSecond, CloseReason, IncidentUpdate } from '../stores/index.ts';
import { truncateAddressesInJson } from '../stores/index.ts';
import { createIncidentAccumulator, type IncidentAccumulator, type IncidentSecondInput } from './incident-accumulator.ts';
import { parseSummaryCarry } from './incident-json.ts';
import { linkIncident } from './incident-link.ts';
import { IDLE, resumedLifecycle, stepLifecycle, type LifecycleState } from './lifecycle.ts';
import { buildFingerprint } from './fingerprint/build-fingerprint.ts';
import { createFingerprintRecorder, type FingerprintRecorder } from './fingerprint/fingerprint-recorder.ts';
import type { AttackFingerprint } from './fingerprint/fingerprint-types.ts';
import { fingerprintOf, parseFingerprint } from './fingerprint/read-fingerprint.ts';
import { MAX_PENDING_ROWS, type IncidentTracker, type IncidentTrackerOptions, type OpenIncidentInfo } from './incident-tracker-types.ts';

export { MAX_PENDING_ROWS } from './incident-tracker-types.ts';
export type { IncidentTracker, IncidentTrackerOptions, OpenIncidentInfo, TrackerConfig, TrackerLogger } from './incident-tracker-types.ts';

interface OpenIncident {
  id: string | null;
  /** The id to open it under (an incident re-opened after the store lost it). */
  wantedId?: string;
  readonly site: string;
  readonly openedAtMs: number;
  readonly acc: IncidentAccumulator;
  /** Methods and rate profile for the fingerprint, and the fingerprint stored before a restart. */
  readonly fp: FingerprintRecorder;
  readonly prior: AttackFingerprint | null;
  /** End of the last second observed (ms), or null before the first. */
  endedAtMs: number | null;
  /** The baseline's normal share of a key, as the last second gave it (see IncidentSecondInput). */
  baselineShare?: IncidentSecondInput['baselineShare'];
  pending: IncidentSecond[];
  lastUpdateMs: number;
}

interface SiteState {
  lifecycle: LifecycleState;
  open: OpenIncident | null;
}

/** The fingerprint parts of an incident continued after a restart: carried on from its stored fingerprint. */
function resumedFingerprint(rec: IncidentRecord): Pick<OpenIncident, 'fp' | 'prior' | 'endedAtMs'> {
  const prior = parseFingerprint(rec.fingerprint);
  return { fp: createFingerprintRecorder(prior), prior, endedAtMs: rec.lastSecondMs !== null ? rec.lastSecondMs + 1000 : null };
}

/** Creates the tracker. */
export function createIncidentTracker(options: IncidentTrackerOptions): IncidentTracker {
  const { store, config, logger } = options;
  const sites = new Map<string, SiteState>();
  /** Incidents of sites this process stopped leading, kept for `resumeGapMs` (bounded by the sites). */
  const released = new Map<string, SiteState & { atMs: number }>();
  const reported = new Set<string>();
  let opened = 0;
  let closed = 0;
  let writeErrors = 0;
  let droppedRows = 0;

  const privacy = (v: unknown): unknown => (config.truncateAddresses ? truncateAddressesInJson(v) : v);

  function failed(err: unknown, what: string, site: string): void {
    writeErrors++;
    const code = (err as { code?: string }).code ?? 'BULWARK_ERR_INCIDENT_WRITE';
    if (reported.has(`${what}|${code}`)) return;
    reported.add(`${what}|${code}`);
    logger.error({ err, code, site, what }, `incident ${what} failed (further failures of this kind are counted, not logged)`);
  }

  function stateOf(site: string): SiteState {
    let s = sites.get(site);
    if (s === undefined) sites.set(site, (s = { lifecycle: IDLE, open: null }));
    return s;
  }

  function fingerprint(inc: OpenIncident): AttackFingerprint {
    const actions = inc.acc.actions();
    const total = Object.values(actions.outcomes).reduce((n, c) => n + c, 0);
    const summary = inc.acc.summary();
    return buildFingerprint({
      site: inc.site, openedAtMs: inc.openedAtMs, endedAtMs: inc.endedAtMs, totalRequests: total, distinctSources: Math.round(inc.acc.distinctSources),
      peakRps: summary.rate.peak_rps, summary, methods: inc.fp.methods(), rateProfile: inc.fp.rateProfile(), previous: inc.prior,
      ...(options.lookupNetwork ? { lookup: options.lookupNetwork } : {}),
      ...(inc.baselineShare ? { normalShare: inc.baselineShare } : {}),
    });
  }

  function fields(inc: OpenIncident, nowMs: number): IncidentUpdate {
    return {
      fingerprint: privacy(fingerprint(inc)),
      peakLevel: inc.acc.peakLevel === 'normal' ? undefined : inc.acc.peakLevel,
      severity: inc.acc.severity().severity,
      distinctSources: Math.round(inc.acc.distinctSources),
      summary: privacy(inc.acc.summary()),
      actions: privacy(inc.acc.actions()),
      visitors: privacy(inc.acc.visitors()),
      nowMs,
    };
  }

  async function ensureOpen(site: string, inc: OpenIncident, nowMs: number): Promise<boolean> {
    if (inc.id !== null) return true;
    try {
      const { nowMs: _n, ...rest } = fields(inc, nowMs);
      const rec = await store.open({ site, openedAtMs: inc.openedAtMs, ...rest, peakLevel: inc.acc.peakLevel === 'normal' ? 'elevated' : inc.acc.peakLevel, ...(inc.wantedId !== undefined ? { id: inc.wantedId } : {}) });
      inc.id = rec.id;
      inc.lastUpdateMs = nowMs;
      opened++;
      logger.warn({ site, incident: rec.id, level: rec.peakLevel, code: 'BULWARK_EVENT_INCIDENT_OPENED' }, `incident ${rec.id} opened on ${site}`);
      return true;
    } catch (err) {
      failed(err, 'open', site);
      return false;
    }
  }

  async function writeRows(site: string, inc: OpenIncident, row: IncidentSecond | null, nowMs: number): Promise<void> {
    if (row !== null) inc.pending.push(row);
    if (inc.pending.length > MAX_PENDING_ROWS) {
      droppedRows += inc.pending.length - MAX_PENDING_ROWS;
      inc.pending.splice(0, inc.pending.length - MAX_PENDING_ROWS);
    }
    if (!(await ensureOpen(site, inc, nowMs))) return;
    try {
      await store.appendSeconds(inc.id!, inc.pending);
      inc.pending = [];
    } catch (err) {
      failed(err, 'timeline append', site);
    }
  }

  async function writeRecord(site: string, inc: OpenIncident, nowMs: number): Promise<void> {
    if (inc.id === null) return;
    try {
      await store.update(inc.id, fields(inc, nowMs));
      inc.lastUpdateMs = nowMs;
    } catch (err) {
      failed(err, 'update', site);
    }
  }

  async function close(site: string, s: SiteState, atMs: number, reason: CloseReason, nowMs: number): Promise<void> {
    const inc = s.open;
    s.open = null;
    s.lifecycle = IDLE;
    if (inc === null) return;
    await writeRows(site, inc, null, nowMs);
    if (inc.id === null) return;
    try {
      const closedAtMs = Math.max(atMs, inc.openedAtMs);
      inc.endedAtMs = closedAtMs;
      const candidates = config.compareWith > 0 ? (await store.latestClosed(site, config.compareWith + 1)).filter((r) => r.id !== inc.id).slice(0, config.compareWith) : [];
      const { nowMs: _n, ...final } = fields(inc, nowMs);
      // Compared as stored (addresses truncated when configured), as every later report compares it.
      const mine = parseFingerprint(final.fingerprint);
      const link = mine === null ? null : linkIncident(mine, candidates.map((record) => ({ record, fingerprint: fingerprintOf(record) })));
      const rec = await store.close(inc.id, closedAtMs, {
        ...final,
        reason,
        ...(link ? { linkedTo: link.linkedTo, linkVerdict: link.linkVerdict, linkEvidence: privacy(link.linkEvidence) } : {}),
      });
      closed++;
      logger.warn(
        { site, incident: rec.id, severity: rec.severity, peak_level: rec.peakLevel, peak_rps: rec.peakRps, total_requests: rec.totalRequests, linked_to: rec.linkedTo, link_verdict: rec.linkVerdict, reason, code: 'BULWARK_EVENT_INCIDENT_CLOSED' },
        `incident ${rec.id} closed on ${site} (${reason})`,
      );
    } catch (err) {
      failed(err, 'close', site);
    }
  }

  /** Carries on a stored open incident (a restart, or a takeover by this process). */
  function continueIncident(rec: IncidentRecord, nowMs: number): void {
    const carry = parseSummaryCarry(rec.summary);
    const acc = createIncidentAccumulator({ openedAtMs: rec.openedAtMs, trigger: carry.trigger, baseline: null, prior: rec });
    sites.set(rec.site, {
      lifecycle: resumedLifecycle(rec.openedAtMs, rec.lastSecondMs, carry.abnormalSeconds),
      open: { id: rec.id, site: rec.site, openedAtMs: rec.openedAtMs, acc, pending: [], lastUpdateMs: nowMs, ...resumedFingerprint(rec) },
    });
  }

  return {
    async recover(nowMs) {
      const result = await store.recoverOpen({ policy: 'continue', nowMs, maxGapMs: config.resumeGapMs });
      for (const rec of result.continued) {
        continueIncident(rec, nowMs);
        logger.warn({ site: rec.site, incident: rec.id, code: 'BULWARK_EVENT_INCIDENT_RESUMED' }, `incident ${rec.id} on ${rec.site} continues after the restart`);
      }
      for (const rec of result.closed) {
        logger.warn({ site: rec.site, incident: rec.id, code: 'BULWARK_EVENT_INCIDENT_INTERRUPTED' }, `incident ${rec.id} on ${rec.site} was left open too long ago; closed as interrupted`);
      }
      return result;
    },

    async onSecond(site, input, nowMs) {
      const s = stateOf(site);
      const step = stepLifecycle(s.lifecycle, input.level, input.snapshot.second * 1000, config.calmMs);
      s.lifecycle = step.state;
      const event = step.event;
      if (event.kind === 'none') return;
      if (event.kind === 'open') {
        const acc = createIncidentAccumulator({ openedAtMs: event.atMs, trigger: input.overridden ? 'override' : 'detector', baseline: input.baseline });
        s.open = { id: null, site, openedAtMs: event.atMs, acc, pending: [], lastUpdateMs: nowMs, fp: createFingerprintRecorder(), prior: null, endedAtMs: null };
      }
      const inc = s.open!;
      const row = inc.acc.observe(input, nowMs);
      inc.fp.observe(input.snapshot.last.requests / Math.max(1, input.snapshot.last.seconds), input.methods);
      inc.endedAtMs = input.snapshot.second * 1000 + 1000;
      if (input.baselineShare !== undefined) inc.baselineShare = input.baselineShare;
      if (event.kind === 'close') {
        inc.pending.push(row);
        await close(site, s, event.atMs, 'calm', nowMs);
        return;
      }
      await writeRows(site, inc, row, nowMs);
      if (nowMs - inc.lastUpdateMs >= config.updateEveryMs) await writeRecord(site, inc, nowMs);
    },

    current(site) {
      const inc = sites.get(site)?.open;
      return inc ? { site, id: inc.id, openedAtMs: inc.openedAtMs } : null;
    },

    openSites() {
      return [...sites].filter(([, s]) => s.open !== null).map(([name]) => name);
    },

    async closeSite(site, nowMs, reason) {
      const s = sites.get(site);
      if (s?.open) await close(site, s, nowMs, reason, nowMs);
      sites.delete(site);
    },

    async flush(nowMs) {
      for (const [site, s] of sites) {
        if (s.open === null) continue;
        await writeRows(site, s.open, null, nowMs);
        await writeRecord(site, s.open, nowMs);
      }
    },

    async adopt(site, nowMs) {
      if (sites.get(site)?.open) return;
      const kept = released.get(site);
      released.delete(site);
      const stored = (await store.openIncidents()).find((r) => r.site === site);
      if (stored !== undefined) {
        if (nowMs - (stored.lastSecondMs ?? stored.openedAtMs) > config.resumeGapMs) {
          await store.close(stored.id, stored.lastSecondMs === null ? stored.openedAtMs : stored.lastSecondMs + 1000, { reason: 'interrupted' });
          return;
        }
        continueIncident(stored, nowMs);
        logger.warn({ site, incident: stored.id, code: 'BULWARK_EVENT_INCIDENT_TAKEN_OVER' }, `incident ${stored.id} on ${site}: this process leads the site now and continues it`);
        return;
      }
      if (kept?.open && nowMs - kept.atMs <= config.resumeGapMs) {
        const inc = kept.open;
        sites.set(site, { lifecycle: kept.lifecycle, open: { ...inc, id: null, ...(inc.id !== null ? { wantedId: inc.id } : {}) } });
        logger.warn({ site, incident: inc.id, code: 'BULWARK_EVENT_INCIDENT_REOPENED' }, `incident ${inc.id ?? '(unsaved)'} on ${site} was not in the shared store any more: written again`);
      }
    },

    release(site, nowMs) {
      const s = sites.get(site);
      sites.delete(site);
      if (s?.open) released.set(site, { ...s, atMs: nowMs });
    },

    async sweep(nowMs) {
      if (!(config.retentionMs > 0)) return 0;
      try {
        return await store.purgeSourceData(nowMs - config.retentionMs, nowMs);
      } catch (err) {
        failed(err, 'retention sweep', '*');
        return 0;
      }
    },

    stats() {
      const open: OpenIncidentInfo[] = [];
      let pendingRows = 0;
      for (const [site, s] of sites) {
        if (s.open === null) continue;
        open.push({ site, id: s.open.id, openedAtMs: s.open.openedAtMs });
        pendingRows += s.open.pending.length;
      }
      return { open, opened, closed, writeErrors, pendingRows, droppedRows };
    },
  };
}
