/**
 * SQLite-specific behaviour of the incident store (ids, checkpoint cadence). The behaviour every
 * implementation shares is in conformance/incident-store-conformance.ts; crash safety in incident-crash.test.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { openStateDatabase, type StateDatabase } from './database.ts';
import { idDayPrefix, nextIncidentId } from './incident-rows.ts';
import { createSqliteIncidentStore } from './incident-store.ts';
import { tempStateDir } from './test-support.ts';

describe('incident ids', () => {
  const p = idDayPrefix(Date.UTC(2026, 10, 28, 23, 59, 59));
  const cases: Array<[string | undefined, string]> = [
    [undefined, 'inc-20261128-0001'],
    ['inc-20261128-0001', 'inc-20261128-0002'],
    ['inc-20261128-9998', 'inc-20261128-9999'],
    ['inc-20261128-9999', 'inc-20261128-9999-10000'],
    ['inc-20261128-9999-10000', 'inc-20261128-9999-10001'],
  ];
  for (const [last, want] of cases) it(`after ${String(last)} comes ${want}`, () => assert.equal(nextIncidentId(p, last), want));
  it('sort in opening order across the 9999 boundary', () => {
    const ids = [nextIncidentId(p, 'inc-20261128-9998'), nextIncidentId(p, 'inc-20261128-9999'), nextIncidentId(p, 'inc-20261128-9999-10000')];
    assert.deepEqual([...ids].sort(), ids);
  });
});

describe('SQLite incident store', () => {
  it('syncs the WAL (PASSIVE checkpoint) from appendSeconds at most every checkpointEveryMs', async () => {
    const stateDir = tempStateDir();
    let now = Date.UTC(2026, 10, 28);
    try {
      const db = openStateDatabase({ stateDir });
      const modes: string[] = [];
      const spy: StateDatabase = { ...db, checkpoint: (mode) => (modes.push(mode ?? 'PASSIVE'), db.checkpoint(mode)) };
      const s = createSqliteIncidentStore(spy, { clock: () => now, checkpointEveryMs: 5000 });
      const { id } = await s.open({ site: 'news', openedAtMs: now });
      for (let i = 0; i < 12; i++) {
        now += 1000;
        await s.appendSeconds(id, [{ t: now, requests: 1, distinct: 1, level: 'elevated' }]);
      }
      assert.deepEqual(modes, ['PASSIVE', 'PASSIVE']);
      db.close();
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
