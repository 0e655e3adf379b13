/**
 * Incidents in Redis/Valkey (the {@link IncidentStore} contract; the conformance suite runs against it and
 * SQLite alike), so the leader of a site on any node writes the one incident of an attack, and whichever
 * node leads next continues it.
 *
 * Layout and atomicity: redis-incident-scripts.ts. Each incident is a hash of its fields (JSON fields
 * encoded, validated and — with `truncateAddresses` — redacted here, exactly as the SQLite store does, by
 * the same helpers of incident-rows.ts) and a hash of its timeline seconds; indexes by opening and closing
 * time, overall and per site; site → open incident.
 *
 * Bounded like the SQLite store: `maxIncidents` (opening one more deletes the oldest closed ones),
 * `maxTimelineSeconds` per incident, `maxJsonChars` per field. Incidents do not expire by time: they are
 * the record an operator comes back to; the retention sweep removes their address-level data.
 */
import { removeAddressSourceData, removeFingerprintSourceData, truncateAddressesInJson } from '../address-redaction.ts';
import { checkId, checkSecond, checkUpdate, DEFAULT_MAX_JSON_CHARS, encodeJson, idDayPrefix, levelRank, rowToIncident, rowToSecond, type IncidentRow, type SecondRow } from '../incident-rows.ts';
import { DEFAULT_MAX_TIMELINE_SECONDS } from '../incident-timeline.ts';
import { checkMs, invalidState, StateError } from '../state-error.ts';
import type { AppendSecondsResult, IncidentRecord, IncidentSecond, IncidentStore, IncidentUpdate } from '../types.ts';
import { isReplyError, type RedisHub } from './redis-hub.ts';
import { APPEND_SECONDS, CLOSE_INCIDENT, DELETE_CLOSED, OPEN_INCIDENT, UPDATE_INCIDENT } from './redis-incident-scripts.ts';

/** Options of {@link createRedisIncidentStore} (the SQLite store's, less the WAL checkpoint). */
export interface RedisIncidentStoreOptions {
  readonly truncateAddresses?: boolean;
  readonly maxIncidents?: number;
  readonly maxTimelineSeconds?: number;
  readonly maxJsonChars?: number;
  readonly clock?: () => number;
}

/** Update fields and their hash field names. */
const FIELDS: ReadonlyArray<[keyof IncidentUpdate, string, 'json' | 'value']> = [
  ['peakLevel', 'peak_level', 'value'],
  ['severity', 'severity', 'value'],
  ['peakRps', 'peak_rps', 'value'],
  ['totalRequests', 'total', 'value'],
  ['distinctSources', 'distinct', 'value'],
  ['summary', 'summary', 'json'],
  ['actions', 'actions', 'json'],
  ['visitors', 'visitors', 'json'],
  ['linkedTo', 'linked_to', 'value'],
  ['linkVerdict', 'link_verdict', 'value'],
  ['linkEvidence', 'link_evidence', 'json'],
  ['fingerprint', 'fingerprint', 'json'],
];

/** Marks a field to delete (SQL NULL) in the scripts' field/value pairs. */
const NULL = '\0';
const PAGE = 200;

function num(v: string | undefined): number | null {
  return v === undefined || v === '' ? null : Number(v);
}

/** An incident hash as the row shape rowToIncident reads. */
function hashToRow(h: Record<string, string>): IncidentRow {
  return {
    id: h.id!,
    site: h.site!,
    opened_at_ms: Number(h.opened),
    closed_at_ms: num(h.closed),
    status: h.status as IncidentRow['status'],
    close_reason: (h.close_reason ?? null) as IncidentRow['close_reason'],
    peak_level: h.peak_level as IncidentRow['peak_level'],
    severity: h.severity as IncidentRow['severity'],
    peak_rps: Number(h.peak_rps ?? 0),
    total_requests: Number(h.total ?? 0),
    distinct_sources: Number(h.distinct ?? 0),
    summary: h.summary ?? '{}',
    actions: h.actions ?? '[]',
    visitors: h.visitors ?? '{}',
    linked_to: h.linked_to ?? null,
    link_verdict: (h.link_verdict ?? null) as IncidentRow['link_verdict'],
    link_evidence: h.link_evidence ?? null,
    fingerprint: h.fingerprint ?? null,
    last_second_ms: num(h.last_second),
    timeline_seconds: Number(h.tl_seconds ?? 0),
    timeline_dropped: Number(h.tl_dropped ?? 0),
    addresses_truncated: Number(h.truncated ?? 0),
    source_data_purged_at_ms: num(h.purged),
    updated_at_ms: Number(h.updated ?? 0),
  };
}

/** Maps the scripts' error replies onto the store's error codes. */
function translate(err: unknown, id: string): never {
  if (!isReplyError(err)) throw err;
  const text = (err as Error).message.replace(/^ERR /, '');
  if (text.startsWith('NOTFOUND')) throw new StateError('BULWARK_ERR_STATE_NOT_FOUND', `no incident ${id}`);
  if (text.startsWith('CONFLICT')) throw new StateError('BULWARK_ERR_STATE_CONFLICT', `incident ${id}: ${text.slice(9)}`);
  if (text.startsWith('INVALID')) invalidState(`incident ${id}: ${text.slice(8)}`);
  throw err;
}

/** Creates the incident store on a hub. */
export function createRedisIncidentStore(hub: RedisHub, options: RedisIncidentStoreOptions = {}): IncidentStore {
  const clock = options.clock ?? Date.now;
  const truncate = options.truncateAddresses ?? false;
  const maxIncidents = options.maxIncidents ?? 10_000;
  const maxTimelineSeconds = options.maxTimelineSeconds ?? DEFAULT_MAX_TIMELINE_SECONDS;
  const maxJson = options.maxJsonChars ?? DEFAULT_MAX_JSON_CHARS;
  const P = `${hub.ks}:`;
  const cmd = hub.cmd;
  const openScript = hub.script(OPEN_INCIDENT, 1);
  const updateScript = hub.script(UPDATE_INCIDENT, 1);
  const closeScript = hub.script(CLOSE_INCIDENT, 1);
  const appendScript = hub.script(APPEND_SECONDS, 1);
  const deleteScript = hub.script(DELETE_CLOSED, 1);
  const inc = (id: string) => `${P}inc:${id}`;
  /** KEYS[1] of every incident script: the incident index, so a Cluster runs it on the namespace's master. */
  const routing = [`${P}incs`];

  /** Validated field/value pairs of an update, and the id linkedTo must name ('' when not set). */
  function pairs(id: string, u: IncidentUpdate): { pairs: string[]; link: string } {
    checkUpdate(u);
    if (u.linkedTo === id) invalidState(`incident ${id} cannot be linked to itself`);
    const out: string[] = [];
    for (const [field, name, kind] of FIELDS) {
      const v = u[field];
      if (v === undefined) continue;
      if (v === null) out.push(name, NULL);
      else out.push(name, kind === 'json' ? encodeJson(v, field, truncate, maxJson) : String(v));
    }
    return { pairs: out, link: typeof u.linkedTo === 'string' ? u.linkedTo : '' };
  }

  async function read(id: string): Promise<IncidentRecord | undefined> {
    const h = (await cmd.hgetall(inc(id))) as Record<string, string>;
    return h.id === undefined ? undefined : rowToIncident(hashToRow(h));
  }
  async function mustRead(id: string): Promise<IncidentRecord> {
    const r = await read(id);
    if (r === undefined) throw new StateError('BULWARK_ERR_STATE_NOT_FOUND', `no incident ${id}`);
    return r;
  }
  async function readMany(ids: readonly string[]): Promise<IncidentRecord[]> {
    if (ids.length === 0) return [];
    const p = cmd.pipeline();
    for (const id of ids) p.hgetall(inc(id));
    const res = (await p.exec()) ?? [];
    return res.map(([, h]) => h as Record<string, string>).filter((h) => h?.id !== undefined).map((h) => rowToIncident(hashToRow(h)));
  }

  async function close(id: string, closedAtMs: number, final: { reason?: string } & IncidentUpdate): Promise<IncidentRecord> {
    const { reason, ...rest } = final;
    if (reason !== undefined && reason !== 'calm' && reason !== 'interrupted' && reason !== 'manual') invalidState(`close reason ${String(reason)} is unknown`);
    const p = pairs(id, rest);
    try {
      await closeScript(routing, [P, id, checkMs(closedAtMs, 'closedAtMs'), reason ?? 'calm', clock(), p.link, ...p.pairs]);
    } catch (err) {
      translate(err, id);
    }
    return mustRead(id);
  }

  async function timeline(id: string): Promise<IncidentSecond[]> {
    const h = (await cmd.hgetall(`${inc(id)}:tl`)) as Record<string, string>;
    return Object.entries(h)
      .map(([t, json]) => {
        const r = JSON.parse(json) as { r: number; d: number; l: SecondRow['level']; o: unknown; x: unknown };
        const row: SecondRow = { t: Number(t), requests: r.r, distinct_sources: r.d, level: r.l, outcomes: r.o == null ? null : JSON.stringify(r.o), extra: r.x === undefined ? null : JSON.stringify(r.x) };
        return rowToSecond(row);
      })
      .sort((a, b) => a.t - b.t);
  }

  async function openIncidents(): Promise<IncidentRecord[]> {
    const records = await readMany(await cmd.hvals(`${P}incs:open`));
    return records.sort((a, b) => a.openedAtMs - b.openedAtMs || (a.id < b.id ? -1 : 1));
  }

  return {
    async open(input) {
      if (typeof input.site !== 'string' || input.site.length === 0) invalidState('incident site must be a non-empty string');
      const { site, openedAtMs, id, ...rest } = input;
      const fields = pairs(id ?? '-', rest);
      const explicit = id === undefined ? '' : checkId(id);
      let newId: string;
      try {
        newId = String(await openScript(routing, [P, site, explicit, idDayPrefix(checkMs(openedAtMs, 'openedAtMs')), openedAtMs, rest.peakLevel ?? 'elevated', truncate ? 1 : 0, clock(), maxIncidents]));
      } catch (err) {
        if (isReplyError(err) && (err as Error).message.startsWith('CONFLICT')) {
          throw new StateError('BULWARK_ERR_STATE_CONFLICT', `cannot open an incident for site ${site}: the site already has an open incident, or the id is taken`, { cause: err });
        }
        throw err;
      }
      if (fields.pairs.length > 0) {
        try {
          await updateScript(routing, [P, newId, clock(), fields.link, ...fields.pairs]);
        } catch (err) {
          translate(err, newId);
        }
      }
      return mustRead(newId);
    },
    async appendSeconds(id, rows): Promise<AppendSecondsResult> {
      const args: Array<string | number> = [P, id, maxTimelineSeconds, clock()];
      for (const s of rows) {
        const [outcomes, extra] = checkSecond(s, truncate);
        args.push(s.t, s.requests, levelRank(s.level), s.level, `{"r":${s.requests},"d":${s.distinct},"l":"${s.level}","o":${outcomes ?? 'null'}${extra === null ? '' : `,"x":${extra}`}}`);
      }
      try {
        const [inserted, duplicates, dropped] = (await appendScript(routing, args)) as number[];
        return { inserted: inserted!, duplicates: duplicates!, dropped: dropped! };
      } catch (err) {
        translate(err, id);
      }
    },
    async update(id, partial) {
      const p = pairs(id, partial);
      try {
        await updateScript(routing, [P, id, partial.nowMs ?? clock(), p.link, ...p.pairs]);
      } catch (err) {
        translate(err, id);
      }
      return mustRead(id);
    },
    close: (id, closedAtMs, final = {}) => close(id, closedAtMs, final),
    async get(id, opts = {}) {
      const r = await read(id);
      if (r === undefined) return undefined;
      return { ...r, timeline: opts.timeline === false ? [] : await timeline(id) };
    },
    async list(opts = {}) {
      const limit = Math.min(Math.max(0, Math.floor(opts.limit ?? 50)), 1000);
      const index = opts.site === undefined ? `${P}incs` : `${P}incs:site:${opts.site}`;
      const max = opts.openedBeforeMs === undefined ? '+inf' : `(${opts.openedBeforeMs}`;
      const out: IncidentRecord[] = [];
      for (let offset = 0; out.length < limit; offset += PAGE) {
        const ids = await cmd.zrevrangebyscore(index, max, '-inf', 'LIMIT', offset, PAGE);
        for (const r of await readMany(ids)) if ((opts.status === undefined || r.status === opts.status) && out.length < limit) out.push(r);
        if (ids.length < PAGE) break;
      }
      return out;
    },
    async latestClosed(site, n) {
      const k = Math.max(0, Math.floor(n));
      return k === 0 ? [] : readMany(await cmd.zrevrange(`${P}incs:closed:${site}`, 0, k - 1));
    },
    openIncidents,
    async recoverOpen(opts) {
      const maxGap = opts.maxGapMs ?? 5 * 60_000;
      const continued: IncidentRecord[] = [];
      const closed: IncidentRecord[] = [];
      for (const r of await openIncidents()) {
        const silentFor = opts.nowMs - (r.lastSecondMs ?? r.openedAtMs);
        if (opts.policy === 'close_interrupted' || silentFor > maxGap) closed.push(await close(r.id, r.lastSecondMs === null ? r.openedAtMs : r.lastSecondMs + 1000, { reason: 'interrupted' }));
        else continued.push(r);
      }
      return { continued, closed };
    },
    async purgeSourceData(olderThanMs, nowMs = clock()) {
      checkMs(olderThanMs, 'olderThanMs');
      const ids = await cmd.zrangebyscore(`${P}incs:closed`, '-inf', `(${olderThanMs}`);
      let total = 0;
      for (const r of await readMany(ids)) {
        if (r.sourceDataPurgedAtMs !== null) continue;
        const m = cmd.multi().hset(inc(r.id), 'summary', JSON.stringify(removeAddressSourceData(r.summary)), 'actions', JSON.stringify(truncateAddressesInJson(r.actions)), 'visitors', JSON.stringify(truncateAddressesInJson(r.visitors)), 'purged', nowMs);
        if (r.linkEvidence !== null) m.hset(inc(r.id), 'link_evidence', JSON.stringify(truncateAddressesInJson(r.linkEvidence)));
        if (r.fingerprint !== null && r.fingerprint !== undefined) m.hset(inc(r.id), 'fingerprint', JSON.stringify(removeFingerprintSourceData(r.fingerprint)));
        await m.exec();
        total++;
      }
      return total;
    },
    async deleteClosedBefore(closedBeforeMs) {
      checkMs(closedBeforeMs, 'closedBeforeMs');
      let total = 0;
      for (let n = Number(await deleteScript(routing, [P, closedBeforeMs])); n > 0; n = Number(await deleteScript(routing, [P, closedBeforeMs]))) total += n;
      return total;
    },
    async stats() {
      const [n, open, rows] = await Promise.all([cmd.zcard(`${P}incs`), cmd.hlen(`${P}incs:open`), cmd.get(`${P}incs:rows`)]);
      return { incidents: n, open, timelineRows: Number(rows ?? 0), maxIncidents, maxTimelineSeconds };
    },
  };
}
