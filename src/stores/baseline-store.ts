/**
 * Per-site detector baselines in SQLite: one JSON blob per site
 * (`Baseline.toJSON()`, see core/detect/baseline-json.ts), so a restart does not forget what normal
 * traffic looks like. The blob is stored as given and returned parsed; validating it on restore is the
 * detector's job (`parseBaselineJson`).
 *
 * A save never goes back in time: a blob older than the stored one (`updatedAtMs`) is ignored, so a slow
 * writer cannot overwrite a newer baseline. Caps: `maxSites` rows (default 10,000; saving a new site beyond
 * it is BULWARK_ERR_STATE_FULL) and `maxJsonChars` per blob (default 4 MiB).
 */
import type { StateDatabase } from './database.ts';
import { checkMs, invalidState, StateError } from './state-error.ts';
import type { BaselineRecord, BaselineStore } from './types.ts';

/** Options of {@link createSqliteBaselineStore}. */
export interface SqliteBaselineStoreOptions {
  readonly maxSites?: number;
  readonly maxJsonChars?: number;
}

interface Row {
  site: string;
  updated_at_ms: number;
  json: string;
}

function toRecord(r: Row): BaselineRecord {
  return { site: r.site, updatedAtMs: r.updated_at_ms, json: JSON.parse(r.json) as unknown };
}

/** Creates the SQLite baseline store on an open state database. */
export function createSqliteBaselineStore(state: StateDatabase, options: SqliteBaselineStoreOptions = {}): BaselineStore {
  const maxSites = options.maxSites ?? 10_000;
  const maxChars = options.maxJsonChars ?? 4 << 20;
  const db = state.db;
  const get = db.prepare<[string], Row>('SELECT * FROM baselines WHERE site = ?');
  const all = db.prepare<[], Row>('SELECT * FROM baselines ORDER BY site');
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM baselines');
  const upsert = db.prepare<[string, number, string]>(
    `INSERT INTO baselines (site, updated_at_ms, json) VALUES (?, ?, ?)
     ON CONFLICT (site) DO UPDATE SET updated_at_ms = excluded.updated_at_ms, json = excluded.json
     WHERE excluded.updated_at_ms >= baselines.updated_at_ms`,
  );
  const remove = db.prepare<[string]>('DELETE FROM baselines WHERE site = ?');

  const save = db.transaction((site: string, at: number, json: string): boolean => {
    if (get.get(site) === undefined && count.get()!.n >= maxSites) {
      throw new StateError('BULWARK_ERR_STATE_FULL', `baseline store holds ${maxSites} sites already; not saving ${site}`);
    }
    return upsert.run(site, at, json).changes > 0;
  });

  return {
    async save(record) {
      if (typeof record.site !== 'string' || record.site.length === 0) invalidState('baseline site must be a non-empty string');
      const text = JSON.stringify(record.json);
      if (text === undefined) invalidState(`baseline of ${record.site} is not a JSON value`);
      if (text.length > maxChars) throw new StateError('BULWARK_ERR_STATE_TOO_LARGE', `baseline of ${record.site} is ${text.length} characters, above ${maxChars}`);
      return save(record.site, checkMs(record.updatedAtMs, 'updatedAtMs'), text);
    },
    async load(site) {
      const r = get.get(site);
      return r === undefined ? undefined : toRecord(r);
    },
    async loadAll() {
      return all.all().map(toRecord);
    },
    async delete(site) {
      return remove.run(site).changes > 0;
    },
  };
}
