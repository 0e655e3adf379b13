/**
 * Attack detection, I/O side: one core `SiteDetector` per configured site, fed every request record,
 * ticked once a second; it publishes each site's threat level, keeps the active signature rules, drives
 * the incidents (incident-tracker.ts) and persists what it learned.
 *
 * - `observe(record)` is a recorder sink: O(1) per request (aggregates, cleared-visitor latency,
 *   decision counts, distinct sources). Records of sites without a detector yet are counted and skipped.
 * - `tick()` runs every site's detector on the last complete second (telling it whether the site has an
 *   open incident: nothing is learned then), publishes the level through `setLevel`, feeds the incident
 *   tracker, re-reads the operator overrides (`mode/<site>`) every `override_poll`, saves the detector
 *   state and rules at once whenever the level, the rules or the override changed, and everything
 *   (baselines too) every `persist_every`.
 *   `start()` runs it from one `unref`ed timer just after each second boundary (second-timer.ts).
 * - Sites come from `sites()`, read at each tick: a new site gets a detector (from its saved baseline
 *   and state), a removed one is saved, dropped, and its open incident closed as `interrupted`.
 * - `start()` restores (through the `DetectionStateStore`): baselines whatever their age (the core
 *   re-warms old ones), detector state, override and rules saved within `restore.max_age`, open
 *   incidents per the tracker's restart policy; then publishes the restored levels at once — call it
 *   before the listeners accept, so a restart during an attack keeps defending from the first request.
 *   The detector steps down from a restored level only after its usual calm period, counted from now.
 * - `stop()` saves everything and writes the open incidents (they stay open, for the next start).
 */
import { randomInt } from 'node:crypto';
import { hash32 } from '../core/detect/index.ts';
import type { SiteDetectorOptions } from '../core/detect/index.ts';
import { UNROUTED_SITE } from '../telemetry/request-record.ts';
import { createIncidentTracker } from '../incidents/incident-tracker.ts';
import { siteDetectorOptions } from './detection-options.ts';
import { emptyRequestEvent, fillRequestEvent } from './detection-record.ts';
import type { DetectionService, DetectionServiceOptions, DetectionStats } from './detection-service-types.ts';
import { createDetectionStateStore, type SavedSite } from './detection-state.ts';
import { siteView, type SiteDetectionView } from './detection-stats.ts';
import { listOverrides, parseModeRequest, writeMode } from './override.ts';
import { startSecondTimer, type SecondTimer } from './second-timer.ts';
import { applyStoredOverride, createSiteEntry, incidentInput, type SiteEntry } from './site-entry.ts';

export type { DetectionLogger, DetectionService, DetectionServiceOptions, DetectionStats } from './detection-service-types.ts';

const DAY_MS = 86_400_000;

/** Creates the detection service (nothing runs until `start()`). */
export function createDetectionService(options: DetectionServiceOptions): DetectionService {
  const { stores, config, logger, setLevel } = options;
  const state = options.state ?? createDetectionStateStore(stores, { maxStateAgeMs: config.restore.max_age });
  const now = options.now ?? Date.now;
  const hashSeed = options.hashSeed ?? randomInt(0x7fffffff);
  /** The last address observed and its hash (see observe). */
  let lastAddress = '';
  let lastAddressHash = hash32('', hashSeed);
  const siteOptions: SiteDetectorOptions = siteDetectorOptions(config, hashSeed);
  /** Reused for every request: the aggregates read it synchronously and keep no reference to it. */
  const event = emptyRequestEvent();
  const tracker = createIncidentTracker({
    store: stores.incidents,
    logger,
    config: {
      calmMs: config.incidents.calm, updateEveryMs: config.incidents.update_every, resumeGapMs: config.incidents.resume_gap,
      compareWith: config.incidents.compare_with, retentionMs: config.retention, truncateAddresses: config.truncate_addresses,
    },
    ...(options.lookupNetwork ? { lookupNetwork: options.lookupNetwork } : {}),
  });
  const entries = new Map<string, SiteEntry>();
  let saved = new Map<string, SavedSite>();
  const reported = new Set<string>();
  let timer: SecondTimer | null = null;
  let sweepTimer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let started = false;
  let stopped = false;
  let lastPersistMs = 0;
  let lastOverridePollMs = -Infinity;
  const counters = { ticks: 0, lastTickMs: 0, maxTickMs: 0, records: 0, withoutDetector: 0, persistErrors: 0, stateSaves: 0, merged: 0, refused: 0 };
  const coordination = options.coordination;
  /** Whether this process writes the site's incident and saved state (always, without coordination). */
  const leads = (e: SiteEntry): boolean => coordination === undefined || e.role === 'lead';

  function reportOnce(key: string, err: unknown, msg: string, extra: object = {}): void {
    if (reported.has(key)) return;
    reported.add(key);
    logger.error({ err, code: (err as { code?: string })?.code ?? 'BULWARK_ERR_DETECT_IO', ...extra }, `${msg} (reported once)`);
  }

  async function savedFor(name: string, nowMs: number): Promise<SavedSite | undefined> {
    if (saved.has(name)) return saved.get(name);
    return state.load(name, nowMs);
  }

  async function addSite(name: string, nowMs: number): Promise<void> {
    let s: SavedSite | undefined;
    try {
      s = await savedFor(name, nowMs);
    } catch (err) {
      reportOnce(`load|${name}`, err, 'could not read the saved detection state; the site starts fresh', { site: name });
    }
    saved.delete(name);
    const entry = createSiteEntry(name, siteOptions, s, hashSeed, nowMs, (what, err) => logger.warn({ err, site: name, code: 'BULWARK_WARN_DETECT_RESTORE' }, `saved ${what} of ${name} is unreadable; the site re-learns`));
    entries.set(name, entry);
    setLevel(name, entry.detector.level);
  }

  async function persistSite(e: SiteEntry, nowMs: number): Promise<void> {
    try {
      await state.saveAll(e.name, { baseline: e.detector.baselineJson(), state: e.detector.state, rules: e.detector.activeRules }, nowMs);
    } catch (err) {
      counters.persistErrors++;
      reportOnce(`persist|${(err as { code?: string })?.code}`, err, 'saving detection state failed', { site: e.name });
    }
  }

  /** Saves the level, override and rules now (a restart must come back to them). */
  async function persistState(e: SiteEntry, nowMs: number): Promise<void> {
    try {
      await state.saveState(e.name, e.detector.state, e.detector.activeRules, nowMs);
      counters.stateSaves++;
    } catch (err) {
      counters.persistErrors++;
      reportOnce(`persist|${(err as { code?: string })?.code}`, err, 'saving detection state failed', { site: e.name });
    }
  }

  async function refreshSites(nowMs: number): Promise<void> {
    const names = new Set(options.sites());
    for (const name of names) if (!entries.has(name)) await addSite(name, nowMs);
    for (const [name, e] of entries) {
      if (names.has(name)) continue;
      entries.delete(name);
      if (!leads(e)) {
        tracker.release(name, nowMs);
        continue;
      }
      await persistSite(e, nowMs);
      await tracker.closeSite(name, nowMs, 'interrupted');
      logger.info({ site: name }, 'site left the config: its detector is saved and dropped');
    }
    for (const name of tracker.openSites()) if (!names.has(name)) await tracker.closeSite(name, nowMs, 'interrupted');
  }

  async function pollOverrides(nowMs: number, force = false): Promise<void> {
    if (!force && nowMs - lastOverridePollMs < config.override_poll) return;
    lastOverridePollMs = nowMs;
    try {
      const overrides = await listOverrides(stores.kv, nowMs);
      for (const e of entries.values()) {
        if (!applyStoredOverride(e, overrides.get(e.name) ?? null, nowMs)) continue;
        setLevel(e.name, e.detector.level);
        if (leads(e)) await persistState(e, nowMs);
      }
    } catch (err) {
      reportOnce('overrides', err, 'reading threat-level overrides failed');
    }
  }

  /** Follows the site's leader: its state and rules, its level published here (no incident, no saving). */
  function follow(e: SiteEntry, nowMs: number): void {
    if (e.role === 'lead') tracker.release(e.name, nowMs);
    e.role = 'follow';
    const view = coordination?.followed(e.name);
    if (view !== undefined) {
      e.detector.adopt(view.state, view.rules);
      setLevel(e.name, view.level);
    }
    e.extras.takeDecisions();
    e.extras.resetSources();
  }

  /** Starts leading the site: the latest saved baseline, and the open incident continued. */
  async function takeOver(e: SiteEntry, nowMs: number): Promise<void> {
    try {
      const last = await state.load(e.name, nowMs);
      if (last?.baseline !== undefined) e.detector.replaceBaseline(last.baseline, nowMs);
      // No view heard from a previous leader (this node just started): go on from what it saved.
      if (coordination?.followed(e.name) === undefined && last?.state !== undefined) e.detector.adopt(last.state, last.rules ?? []);
    } catch (err) {
      reportOnce(`takeover-baseline|${e.name}`, err, 'the saved baseline could not be read at takeover; going on with this process\'s', { site: e.name });
    }
    e.overrideKey = null;
    lastOverridePollMs = -Infinity;
    try {
      await tracker.adopt(e.name, nowMs);
    } catch (err) {
      reportOnce(`takeover-incident|${e.name}`, err, 'the open incident could not be read at takeover', { site: e.name });
    }
    logger.info({ site: e.name, node: coordination?.self, code: 'BULWARK_EVENT_SITE_LEADER' }, `this process leads ${e.name} now`);
  }

  async function tickSite(e: SiteEntry, nowMs: number): Promise<void> {
    const role = coordination?.role(e.name, nowMs) ?? 'lead';
    if (role === 'follow') return follow(e, nowMs);
    if (role === 'lead' && e.role !== 'lead' && coordination !== undefined) await takeOver(e, nowMs);
    if (role === 'alone' && e.role === 'lead') tracker.release(e.name, nowMs);
    e.role = role;
    const previous = e.last?.detection.level ?? e.detector.level;
    const queue = options.queueLength?.(e.name) ?? null;
    if (queue !== null) e.detector.observeQueue(queue, Math.floor(nowMs / 1000) * 1000 - 1);
    const previousAuto = e.detector.state.autoLevel;
    const t = e.detector.tick(nowMs, { incidentOpen: tracker.current(e.name) !== null });
    e.last = t;
    const d = t.detection;
    setLevel(e.name, d.level);
    const changed = d.level !== previous || d.state.autoLevel !== previousAuto || t.rules.added.length > 0 || t.rules.retired.length > 0;
    if (changed && leads(e)) await persistState(e, nowMs);
    if (d.level !== previous) {
      logger.warn({ site: e.name, from: previous, to: d.level, overridden: d.overridden, reasons: d.reasons, code: 'BULWARK_EVENT_LEVEL' }, `threat level of ${e.name}: ${previous} → ${d.level}`);
    }
    for (const r of t.rules.added) logger.info({ site: e.name, rule: r.id, action: r.action, mode: r.mode, reason: r.reason, code: 'BULWARK_EVENT_RULE_ADDED' }, `signature rule ${r.id} (${r.mode})`);
    for (const { rule, reason } of t.rules.retired) logger.info({ site: e.name, rule: rule.id, reason, code: 'BULWARK_EVENT_RULE_RETIRED' }, `signature rule ${rule.id} retired`);
    coordination?.publish({ site: e.name, level: d.level, state: e.detector.state, rules: e.detector.activeRules, leader: coordination.self, incident: tracker.current(e.name)?.id ?? null, atMs: nowMs });
    const decisions = e.extras.takeDecisions();
    const methods = e.extras.takeMethods();
    // Alone (cut off from the leader and the shared store): protect, but the incident is the leader's to write.
    if (role === 'alone') {
      e.extras.resetSources();
      return;
    }
    // Seconds before this detector existed were not observed: they are no timeline rows (a restart gap).
    if (t.snapshot.second < e.firstSecond) return;
    const incidentOpen = tracker.current(e.name) !== null || d.level !== 'normal';
    const input = { ...incidentInput(e, t, previous, decisions, incidentOpen ? e.extras.distinctSources() : 0, incidentOpen ? e.extras.sourceSignature() : []), methods };
    try {
      await tracker.onSecond(e.name, input, nowMs);
    } catch (err) {
      reportOnce(`incident|${e.name}`, err, 'incident tracking failed', { site: e.name });
    }
    // Distinct sources count from the incident's start: while idle, only the last second is kept.
    if (tracker.current(e.name) === null) e.extras.resetSources();
  }

  async function tickOnce(): Promise<void> {
    const started0 = performance.now();
    const nowMs = now();
    await refreshSites(nowMs);
    await pollOverrides(nowMs);
    for (const e of entries.values()) await tickSite(e, nowMs);
    if (nowMs - lastPersistMs >= config.persist_every) {
      lastPersistMs = nowMs;
      for (const e of entries.values()) if (leads(e)) await persistSite(e, nowMs);
    }
    counters.ticks++;
    counters.lastTickMs = performance.now() - started0;
    if (counters.lastTickMs > counters.maxTickMs) counters.maxTickMs = counters.lastTickMs;
  }

  function tick(): Promise<void> {
    if (!started || stopped || !config.enabled) return Promise.resolve();
    if (running !== null) return running;
    running = tickOnce().finally(() => void (running = null));
    return running;
  }

  async function sweep(): Promise<number> {
    const n = await tracker.sweep(now());
    if (n > 0) logger.info({ incidents: n, code: 'BULWARK_EVENT_INCIDENT_RETENTION' }, 'retention: address-level source data removed from old incidents');
    return n;
  }

  return {
    async start() {
      if (started) return;
      started = true;
      if (!config.enabled) return;
      const nowMs = now();
      saved = await state.loadAll(nowMs, (site, what) => logger.warn({ site, code: 'BULWARK_WARN_DETECT_RESTORE' }, `saved ${what} of ${site} is unreadable; ignored`));
      await tracker.recover(nowMs);
      await refreshSites(nowMs);
      await pollOverrides(nowMs, true);
      saved.clear();
      lastPersistMs = nowMs;
      await sweep();
      if (options.timers ?? true) {
        timer = startSecondTimer(tick, { now, offsetMs: options.tickOffsetMs ?? 5, onError: (err) => reportOnce('tick', err, 'detector tick failed') });
        sweepTimer = setInterval(() => void sweep().catch((err: unknown) => reportOnce('sweep', err, 'retention sweep failed')), DAY_MS);
        sweepTimer.unref();
      }
      logger.info({ sites: [...entries.keys()], levels: Object.fromEntries([...entries].map(([n, e]) => [n, e.detector.level])) }, 'detection started');
    },

    async stop() {
      if (stopped || !started) return;
      timer?.stop();
      if (sweepTimer !== null) clearInterval(sweepTimer);
      if (running !== null) await running.catch(() => {});
      stopped = true;
      if (!config.enabled) return;
      const nowMs = now();
      for (const e of entries.values()) if (leads(e)) await persistSite(e, nowMs);
      await tracker.flush(nowMs);
    },

    mergeContribution(part) {
      const e = entries.get(part.site);
      if (e === undefined || !e.detector.aggregates.mergeSecond(part.aggregates)) {
        counters.refused++;
        return false;
      }
      e.extras.merge(part.extras);
      counters.merged++;
      return true;
    },

    observe(record) {
      const e = entries.get(record.site);
      if (e === undefined) {
        if (record.site !== UNROUTED_SITE) counters.withoutDetector++;
        return;
      }
      counters.records++;
      try {
        // One hash of the address for both (same seed): the aggregates' distinct counts and the extras'.
        // Consecutive records usually share the address (keep-alive connections, a flood's sources), so
        // the last one is remembered: a string comparison instead of hashing it again.
        const address = record.clientAddress;
        if (address !== lastAddress) {
          lastAddress = address;
          lastAddressHash = hash32(address, hashSeed);
        }
        const h = lastAddressHash;
        fillRequestEvent(event, record).addressHash = h;
        e.detector.observe(event, record.timeMs);
        e.extras.observe(Math.floor(record.timeMs / 1000), record.cleared, record.originLatencyMs, record.decisionBy, record.clientAddress, record.prefix, h, record.method);
      } catch (err) {
        reportOnce('observe', err, 'recording a request into the detector failed');
      }
    },

    observeQueue(site, length) {
      entries.get(site)?.detector.observeQueue(length, now());
    },

    tick,
    levelOf: (site) => entries.get(site)?.detector.level ?? 'normal',
    activeRules: (site) => entries.get(site)?.detector.activeRules ?? [],

    async setOverride(site, level, untilMs, by, reason) {
      const nowMs = now();
      const request = parseModeRequest(level, untilMs - nowMs);
      const stored = await writeMode(stores.kv, site, request, { by, ...(reason !== undefined ? { reason } : {}) }, nowMs);
      const e = entries.get(site);
      if (e !== undefined && applyStoredOverride(e, stored, nowMs)) {
        setLevel(site, e.detector.level);
        if (leads(e)) await persistState(e, nowMs);
      }
    },

    async clearOverride(site) {
      const nowMs = now();
      await writeMode(stores.kv, site, { level: 'auto' }, { by: 'service' }, nowMs);
      const e = entries.get(site);
      if (e !== undefined && applyStoredOverride(e, null, nowMs)) {
        setLevel(site, e.detector.level);
        if (leads(e)) await persistState(e, nowMs);
      }
    },

    sweep,

    stats(view = {}) {
      const nowMs = now();
      const sites: Record<string, SiteDetectionView> = {};
      for (const [name, e] of entries) sites[name] = siteView(e, tracker.current(name), nowMs, view);
      return {
        enabled: config.enabled, ticks: counters.ticks, skipped_ticks: timer?.skipped ?? 0, last_tick_ms: counters.lastTickMs, max_tick_ms: counters.maxTickMs,
        records: counters.records, records_without_detector: counters.withoutDetector, persist_errors: counters.persistErrors, state_saves: counters.stateSaves,
        incidents: tracker.stats(), sites, contributions_merged: counters.merged, contributions_refused: counters.refused,
      };
    },
  };
}
