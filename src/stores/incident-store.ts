/**
 * Incidents in SQLite: one row per incident in `incidents`, its seconds in
 * `incident_seconds` (incident-timeline.ts). Opened when a site leaves `normal`, updated every second,
 * closed after calm; at most one open incident per site (a unique partial index enforces it).
 *
 * Crash safety: every call commits before it returns (WAL, `synchronous=NORMAL`). A process crash loses
 * only the batch being written; an OS crash or power loss may also lose what was committed since the last
 * WAL sync, which this store bounds by checkpointing at most every `checkpointEveryMs` (default 10 s) from
 * `appendSeconds`. A restart finds the incident still open: `recoverOpen` continues it or closes it as
 * `interrupted`.
 *
 * Privacy: with `truncateAddresses`, every IP address in the JSON fields is stored as its /24 or /48
 * (address-redaction.ts); `purgeSourceData` removes address-level source data after the retention period.
 *
 * Caps: `maxIncidents` (default 10,000; opening one more deletes the oldest closed incidents),
 * `maxTimelineSeconds` per incident, `maxJsonChars` per JSON field. Fill levels: `stats()`.
 */
import type { StateDatabase } from './database.ts';
import { removeAddressSourceData, removeFingerprintSourceData, truncateAddressesInJson } from './address-redaction.ts';
import { checkId, checkUpdate, DEFAULT_MAX_JSON_CHARS, encodeJson, idDayPrefix, nextIncidentId, rowToIncident, type IncidentRow } from './incident-rows.ts';
import { createTimeline, DEFAULT_MAX_TIMELINE_SECONDS } from './incident-timeline.ts';
import { checkMs, invalidState, StateError } from './state-error.ts';
import type { CloseIncidentInput, IncidentRecord, IncidentStore, IncidentUpdate } from './types.ts';

/** Options of {@link createSqliteIncidentStore}. */
export interface SqliteIncidentStoreOptions {
  /** Store every IP address in the JSON fields as its /24 (IPv4) or /48 (IPv6). Default false. */
  readonly truncateAddresses?: boolean;
  /** Incidents kept; opening one more deletes the oldest closed ones. Default 10,000. */
  readonly maxIncidents?: number;
  /** Timeline rows kept per incident. Default 604,800 (7 days). */
  readonly maxTimelineSeconds?: number;
  /** Largest JSON field, in characters. Default 1 MiB. */
  readonly maxJsonChars?: number;
  /** Sync the WAL (PASSIVE checkpoint) from `appendSeconds` at most this often; 0 disables. Default 10,000 ms. */
  readonly checkpointEveryMs?: number;
  /** Clock for `updatedAtMs` and checkpoints. Default `Date.now`. */
  readonly clock?: () => number;
}

type UpdateParams = Record<string, string | number | null>;

const FIELDS: ReadonlyArray<[keyof IncidentUpdate, string, 'json' | 'value']> = [
  ['peakLevel', 'peak_level', 'value'],
  ['severity', 'severity', 'value'],
  ['peakRps', 'peak_rps', 'value'],
  ['totalRequests', 'total_requests', 'value'],
  ['distinctSources', 'distinct_sources', 'value'],
  ['summary', 'summary', 'json'],
  ['actions', 'actions', 'json'],
  ['visitors', 'visitors', 'json'],
  ['linkedTo', 'linked_to', 'value'],
  ['linkVerdict', 'link_verdict', 'value'],
  ['linkEvidence', 'link_evidence', 'json'],
  ['fingerprint', 'fingerprint', 'json'],
];

function statements(state: StateDatabase) {
  const db = state.db;
  const sets = FIELDS.map(([, col]) => `${col} = CASE WHEN @has_${col} THEN @${col} ELSE ${col} END`).join(', ');
  return {
    get: db.prepare<[string], IncidentRow>('SELECT * FROM incidents WHERE id = ?'),
    lastIdOfDay: db.prepare<[string, string], { id: string }>('SELECT id FROM incidents WHERE id >= ? AND id < ? ORDER BY id DESC LIMIT 1'),
    insert: db.prepare<[string, string, number, string, number, number]>(
      "INSERT INTO incidents (id, site, opened_at_ms, status, peak_level, severity, addresses_truncated, updated_at_ms) VALUES (?, ?, ?, 'open', ?, 'low', ?, ?)",
    ),
    update: db.prepare<UpdateParams>(`UPDATE incidents SET ${sets}, updated_at_ms = @now WHERE id = @id`),
    close: db.prepare<[number, string, number, string]>("UPDATE incidents SET status = 'closed', closed_at_ms = ?, close_reason = ?, updated_at_ms = ? WHERE id = ?"),
    list: db.prepare<{ site: string | null; status: string | null; before: number | null; limit: number }, IncidentRow>(
      `SELECT * FROM incidents WHERE (@site IS NULL OR site = @site) AND (@status IS NULL OR status = @status)
         AND (@before IS NULL OR opened_at_ms < @before) ORDER BY opened_at_ms DESC, id DESC LIMIT @limit`,
    ),
    latestClosed: db.prepare<[string, number], IncidentRow>("SELECT * FROM incidents WHERE site = ? AND status = 'closed' ORDER BY closed_at_ms DESC, id DESC LIMIT ?"),
    open: db.prepare<[], IncidentRow>("SELECT * FROM incidents WHERE status = 'open' ORDER BY opened_at_ms, id"),
    counts: db.prepare<[], { n: number; open: number; seconds: number }>(
      "SELECT count(*) AS n, coalesce(sum(status = 'open'), 0) AS open, coalesce(sum(timeline_seconds), 0) AS seconds FROM incidents",
    ),
    evict: db.prepare<[number]>("DELETE FROM incidents WHERE id IN (SELECT id FROM incidents WHERE status = 'closed' ORDER BY closed_at_ms, id LIMIT ?)"),
    toPurge: db.prepare<[number], IncidentRow>(
      "SELECT * FROM incidents WHERE status = 'closed' AND closed_at_ms < ? AND source_data_purged_at_ms IS NULL ORDER BY closed_at_ms LIMIT 500",
    ),
    purged: db.prepare<[string, string, string, string | null, string | null, number, string]>(
      'UPDATE incidents SET summary = ?, actions = ?, visitors = ?, link_evidence = ?, fingerprint = ?, source_data_purged_at_ms = ? WHERE id = ?',
    ),
    deleteClosed: db.prepare<[number]>("DELETE FROM incidents WHERE status = 'closed' AND closed_at_ms < ?"),
  };
}

/** Creates the SQLite incident store on an open state database. */
export function createSqliteIncidentStore(state: StateDatabase, options: SqliteIncidentStoreOptions = {}): IncidentStore {
  const db = state.db;
  const clock = options.clock ?? Date.now;
  const truncate = options.truncateAddresses ?? false;
  const maxIncidents = options.maxIncidents ?? 10_000;
  const maxTimelineSeconds = options.maxTimelineSeconds ?? DEFAULT_MAX_TIMELINE_SECONDS;
  const maxJson = options.maxJsonChars ?? DEFAULT_MAX_JSON_CHARS;
  const checkpointEveryMs = options.checkpointEveryMs ?? 10_000;
  const st = statements(state);
  const timeline = createTimeline(db, { truncate, maxSeconds: maxTimelineSeconds });
  let lastCheckpointMs = clock();

  function mustGet(id: string): IncidentRow {
    const row = st.get.get(id);
    if (row === undefined) throw new StateError('BULWARK_ERR_STATE_NOT_FOUND', `no incident ${id}`);
    return row;
  }

  function updateParams(id: string, u: IncidentUpdate, nowMs: number): UpdateParams {
    checkUpdate(u);
    if (u.linkedTo === id) invalidState(`incident ${id} cannot be linked to itself`);
    const p: UpdateParams = { id, now: nowMs };
    for (const [field, col, kind] of FIELDS) {
      const v = u[field];
      p[`has_${col}`] = v === undefined ? 0 : 1;
      if (v === undefined) p[col] = null;
      else if (kind === 'json') p[col] = (field === 'linkEvidence' || field === 'fingerprint') && v === null ? null : encodeJson(v, field, truncate, maxJson);
      else p[col] = v as string | number | null;
    }
    return p;
  }

  function applyUpdate(id: string, u: IncidentUpdate, nowMs: number): void {
    const params = updateParams(id, u, nowMs);
    try {
      st.update.run(params);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') invalidState(`incident ${id}: linkedTo ${String(u.linkedTo)} does not exist`);
      throw err;
    }
  }

  const openTx = db.transaction((id: string | undefined, site: string, openedAtMs: number, rest: IncidentUpdate): string => {
    const counts = st.counts.get()!;
    if (counts.n >= maxIncidents) st.evict.run(counts.n - maxIncidents + 1);
    const prefix = idDayPrefix(openedAtMs);
    const newId = id ?? nextIncidentId(prefix, st.lastIdOfDay.get(prefix, prefix + '~')?.id);
    try {
      st.insert.run(newId, site, openedAtMs, rest.peakLevel ?? 'elevated', truncate ? 1 : 0, clock());
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new StateError('BULWARK_ERR_STATE_CONFLICT', `cannot open incident ${newId} for site ${site}: the site already has an open incident, or the id is taken`, { cause: err });
      }
      throw err;
    }
    applyUpdate(newId, rest, clock());
    return newId;
  });

  const closeTx = db.transaction((id: string, closedAtMs: number, final: CloseIncidentInput): void => {
    const row = mustGet(id);
    if (row.status !== 'open') throw new StateError('BULWARK_ERR_STATE_CONFLICT', `incident ${id} is already closed`);
    if (closedAtMs < row.opened_at_ms) invalidState(`incident ${id} cannot close (${closedAtMs}) before it opened (${row.opened_at_ms})`);
    const { reason, ...rest } = final;
    if (reason !== undefined && reason !== 'calm' && reason !== 'interrupted' && reason !== 'manual') invalidState(`close reason ${String(reason)} is unknown`);
    applyUpdate(id, rest, clock());
    st.close.run(closedAtMs, reason ?? 'calm', clock(), id);
  });

  const purgeBatch = db.transaction((olderThanMs: number, nowMs: number): number => {
    const rows = st.toPurge.all(olderThanMs);
    for (const r of rows) {
      const back = rowToIncident(r);
      const evidence = back.linkEvidence === null ? null : JSON.stringify(truncateAddressesInJson(back.linkEvidence));
      const fingerprint = back.fingerprint === null ? null : JSON.stringify(removeFingerprintSourceData(back.fingerprint));
      st.purged.run(
        JSON.stringify(removeAddressSourceData(back.summary)),
        JSON.stringify(truncateAddressesInJson(back.actions)),
        JSON.stringify(truncateAddressesInJson(back.visitors)),
        evidence,
        fingerprint,
        nowMs,
        r.id,
      );
    }
    return rows.length;
  });

  function closeAsInterrupted(row: IncidentRow): IncidentRecord {
    const at = row.last_second_ms === null ? row.opened_at_ms : row.last_second_ms + 1000;
    closeTx(row.id, at, { reason: 'interrupted' });
    return rowToIncident(mustGet(row.id));
  }

  return {
    async open(input) {
      if (typeof input.site !== 'string' || input.site.length === 0) invalidState('incident site must be a non-empty string');
      const { site, openedAtMs, id, ...rest } = input;
      checkUpdate(rest);
      return rowToIncident(mustGet(openTx(id === undefined ? undefined : checkId(id), site, checkMs(openedAtMs, 'openedAtMs'), rest)));
    },
    async appendSeconds(id, rows) {
      const now = clock();
      const result = timeline.append(id, rows, now);
      if (checkpointEveryMs > 0 && now - lastCheckpointMs >= checkpointEveryMs) {
        lastCheckpointMs = now;
        state.checkpoint('PASSIVE');
      }
      return result;
    },
    async update(id, partial) {
      mustGet(id);
      applyUpdate(id, partial, partial.nowMs ?? clock());
      return rowToIncident(mustGet(id));
    },
    async close(id, closedAtMs, final = {}) {
      closeTx(id, checkMs(closedAtMs, 'closedAtMs'), final);
      return rowToIncident(mustGet(id));
    },
    async get(id, opts = {}) {
      const row = st.get.get(id);
      if (row === undefined) return undefined;
      return { ...rowToIncident(row), timeline: opts.timeline === false ? [] : timeline.read(id) };
    },
    async list(opts = {}) {
      const limit = Math.min(Math.max(0, Math.floor(opts.limit ?? 50)), 1000);
      return st.list.all({ site: opts.site ?? null, status: opts.status ?? null, before: opts.openedBeforeMs ?? null, limit }).map(rowToIncident);
    },
    async latestClosed(site, n) {
      return st.latestClosed.all(site, Math.max(0, Math.floor(n))).map(rowToIncident);
    },
    async openIncidents() {
      return st.open.all().map(rowToIncident);
    },
    async recoverOpen(opts) {
      const maxGap = opts.maxGapMs ?? 5 * 60_000;
      const continued: IncidentRecord[] = [];
      const closed: IncidentRecord[] = [];
      for (const row of st.open.all()) {
        const silentFor = opts.nowMs - (row.last_second_ms ?? row.opened_at_ms);
        if (opts.policy === 'close_interrupted' || silentFor > maxGap) closed.push(closeAsInterrupted(row));
        else continued.push(rowToIncident(row));
      }
      return { continued, closed };
    },
    async purgeSourceData(olderThanMs, nowMs = clock()) {
      checkMs(olderThanMs, 'olderThanMs');
      let total = 0;
      for (let n = purgeBatch(olderThanMs, nowMs); n > 0; n = purgeBatch(olderThanMs, nowMs)) total += n;
      return total;
    },
    async deleteClosedBefore(closedBeforeMs) {
      return st.deleteClosed.run(checkMs(closedBeforeMs, 'closedBeforeMs')).changes;
    },
    async stats() {
      const c = st.counts.get()!;
      return { incidents: c.n, open: c.open, timelineRows: c.seconds, maxIncidents, maxTimelineSeconds };
    },
  };
}
