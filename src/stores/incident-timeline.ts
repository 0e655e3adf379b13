/**
 * The per-second timeline of incidents: `appendSeconds` writes a batch of seconds and the incident's running
 * aggregates (peak level, peak rps, total requests, last second, row counts) in one transaction, with
 * statements prepared once — the detector calls it every second for every open incident.
 *
 * A second already stored (same `t`) is ignored, so a tick replayed after a restart does not count twice.
 * The per-incident cap (`maxTimelineSeconds`, default 7 days) keeps the first seconds and counts the rest
 * in `timeline_dropped`.
 */
import type Database from 'better-sqlite3';
import { checkSecond, levelRank, rowToSecond, type SecondRow } from './incident-rows.ts';
import { StateError } from './state-error.ts';
import type { AppendSecondsResult, IncidentSecond } from './types.ts';

/** Default per-incident timeline cap: 7 days of seconds (~40 MB of rows). */
export const DEFAULT_MAX_TIMELINE_SECONDS = 7 * 86_400;

/** Prepared timeline operations for one database. */
export interface Timeline {
  append(id: string, rows: readonly IncidentSecond[], nowMs: number): AppendSecondsResult;
  read(id: string): IncidentSecond[];
}

interface Aggregates {
  id: string;
  inserted: number;
  dropped: number;
  sum: number;
  peak: number;
  rank: number;
  level: string | null;
  lastT: number | null;
  now: number;
}

/** Prepares the timeline statements. `truncate` applies address truncation to each second's `extra`. */
export function createTimeline(db: Database.Database, options: { truncate: boolean; maxSeconds: number }): Timeline {
  const head = db.prepare<[string], { status: string; timeline_seconds: number }>('SELECT status, timeline_seconds FROM incidents WHERE id = ?');
  const insert = db.prepare<[string, number, number, number, string, string | null, string | null]>(
    'INSERT INTO incident_seconds (incident_id, t, requests, distinct_sources, level, outcomes, extra) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const aggregate = db.prepare<Aggregates>(
    `UPDATE incidents SET
       timeline_seconds = timeline_seconds + @inserted,
       timeline_dropped = timeline_dropped + @dropped,
       total_requests = total_requests + @sum,
       peak_rps = max(peak_rps, @peak),
       peak_level = CASE WHEN @rank > (CASE peak_level WHEN 'normal' THEN 0 WHEN 'elevated' THEN 1 ELSE 2 END) THEN @level ELSE peak_level END,
       last_second_ms = CASE WHEN @lastT IS NULL THEN last_second_ms WHEN last_second_ms IS NULL OR @lastT > last_second_ms THEN @lastT ELSE last_second_ms END,
       updated_at_ms = @now
     WHERE id = @id`,
  );
  const select = db.prepare<[string], SecondRow>('SELECT t, requests, distinct_sources, level, outcomes, extra FROM incident_seconds WHERE incident_id = ? ORDER BY t');

  const append = db.transaction((id: string, rows: readonly IncidentSecond[], nowMs: number): AppendSecondsResult => {
    const inc = head.get(id);
    if (inc === undefined) throw new StateError('BULWARK_ERR_STATE_NOT_FOUND', `no incident ${id}`);
    if (inc.status !== 'open') throw new StateError('BULWARK_ERR_STATE_CONFLICT', `incident ${id} is closed; its timeline is final`);
    let room = options.maxSeconds - inc.timeline_seconds;
    const agg: Aggregates = { id, inserted: 0, dropped: 0, sum: 0, peak: 0, rank: -1, level: null, lastT: null, now: nowMs };
    let duplicates = 0;
    for (const s of rows) {
      const [outcomes, extra] = checkSecond(s, options.truncate);
      if (room <= 0) {
        agg.dropped++;
        continue;
      }
      if (insert.run(id, s.t, s.requests, s.distinct, s.level, outcomes, extra).changes === 0) {
        duplicates++;
        continue;
      }
      room--;
      agg.inserted++;
      agg.sum += s.requests;
      if (s.requests > agg.peak) agg.peak = s.requests;
      const rank = levelRank(s.level);
      if (rank > agg.rank) [agg.rank, agg.level] = [rank, s.level];
      if (agg.lastT === null || s.t > agg.lastT) agg.lastT = s.t;
    }
    if (agg.inserted > 0 || agg.dropped > 0) aggregate.run(agg);
    return { inserted: agg.inserted, duplicates, dropped: agg.dropped };
  });

  return {
    append: (id, rows, nowMs) => append(id, rows, nowMs),
    read: (id) => select.all(id).map(rowToSecond),
  };
}
