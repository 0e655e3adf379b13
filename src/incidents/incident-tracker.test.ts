/**
 * The tracker against a real SQLite store with a fake clock and synthetic seconds: write failures are
 * retried without losing the timeline, flapping keeps one incident, and links are chosen by verdict.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Snapshot } from '../core/detect/index.ts';
import { createSyntheticSite } from '../core/detect/synthetic-site.ts';
import type { ThreatLevel } from '../core/vocabulary.ts';
import { openStateStores, type IncidentStore, type StateStores } from '../stores/index.ts';
import { tempStateDir } from '../stores/test-support.ts';
import type { IncidentSecondInput } from './incident-accumulator.ts';
import { createIncidentTracker } from './incident-tracker.ts';

const T0 = 1_700_000_000_000;
const CONFIG = { calmMs: 10_000, updateEveryMs: 5000, resumeGapMs: 300_000, compareWith: 5, retentionMs: 0, truncateAddresses: false };
const quietLogger = { info() {}, warn() {}, error() {} };

function input(snapshot: Snapshot, level: ThreatLevel, previousLevel: ThreatLevel): IncidentSecondInput {
  return {
    snapshot, level, previousLevel, overridden: false, reasons: [], signals: [], rules: { active: [], added: [], renewed: [], retired: [] }, activeRules: [],
    decisions: new Map([['level/under_attack', snapshot.last.requests]]), clearedLatency: null, distinctSources: 0, baseline: { rps: 20, unclearedRps: 15, distinct: 10, warm: true },
  };
}

/** Feeds one level per second; returns the store's incidents afterwards. */
async function feed(tracker: ReturnType<typeof createIncidentTracker>, levels: readonly ThreatLevel[], from: number, prefix = '127.1.0.0/24'): Promise<number> {
  const site = createSyntheticSite();
  let previous: ThreatLevel = 'normal';
  for (let i = 0; i < levels.length; i++) {
    const s = from + i;
    const level = levels[i]!;
    const snap = site.next({ rps: level === 'normal' ? 20 : 2000, heavy: { prefix: [[prefix, level === 'normal' ? 0 : 0.9]], path: [['/x', 0.9]] } }, T0 + (s + 1) * 1000);
    await tracker.onSecond('news', input(snap, level, previous), T0 + (s + 1) * 1000 + 5);
    previous = level;
  }
  return from + levels.length;
}

const repeat = (level: ThreatLevel, n: number): ThreatLevel[] => Array.from({ length: n }, () => level);

describe('incident tracker', () => {
  const dirs: string[] = [];
  const opened: StateStores[] = [];
  after(() => {
    for (const s of opened) s.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  function stores(): StateStores {
    const dir = tempStateDir();
    dirs.push(dir);
    const s = openStateStores({ stateDir: dir, logger: quietLogger });
    opened.push(s);
    return s;
  }

  it('keeps timeline rows the store refused and writes them once it accepts again', async () => {
    const s = stores();
    let failures = 3;
    const flaky: IncidentStore = {
      ...s.incidents,
      appendSeconds: async (id, rows) => {
        if (failures-- > 0) throw Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' });
        return s.incidents.appendSeconds(id, rows);
      },
    };
    const errors: string[] = [];
    const tracker = createIncidentTracker({ store: flaky, config: CONFIG, logger: { ...quietLogger, error: (_o, m) => void errors.push(m) } });
    await feed(tracker, repeat('under_attack', 6), 0);
    const [open] = await s.incidents.openIncidents();
    const inc = (await s.incidents.get(open!.id))!;
    assert.equal(inc.timelineSeconds, 6, 'no second lost');
    assert.equal(tracker.stats().writeErrors, 3);
    assert.equal(errors.length, 1, 'logged once');
    assert.equal(tracker.stats().pendingRows, 0);
  });

  it('keeps one incident through a flapping level and closes it after calm', async () => {
    const s = stores();
    const tracker = createIncidentTracker({ store: s.incidents, config: CONFIG, logger: quietLogger });
    const flapping: ThreatLevel[] = [];
    for (let i = 0; i < 12; i++) flapping.push(...repeat(i % 2 ? 'normal' : 'elevated', 5));
    await feed(tracker, [...flapping, ...repeat('normal', 12)], 0);
    const all = await s.incidents.list();
    assert.equal(all.length, 1);
    assert.equal(all[0]!.status, 'closed');
    assert.equal((all[0]!.summary as { abnormal_seconds: number }).abnormal_seconds, 30);
    assert.equal((all[0]!.actions as { level_changes: unknown[] }).level_changes.length, 12);
  });

  it('links a recurrence from the same prefix as same_actor', async () => {
    const s = stores();
    const tracker = createIncidentTracker({ store: s.incidents, config: CONFIG, logger: quietLogger });
    let at = await feed(tracker, [...repeat('under_attack', 10), ...repeat('normal', 11)], 0);
    at = await feed(tracker, [...repeat('under_attack', 10), ...repeat('normal', 11)], at + 100);
    await feed(tracker, [...repeat('under_attack', 10), ...repeat('normal', 11)], at + 100, '127.9.0.0/24');
    const [third, second, first] = await s.incidents.list();
    assert.equal(first!.linkedTo, null);
    assert.deepEqual([second!.linkedTo, second!.linkVerdict], [first!.id, 'same_actor']);
    assert.equal(third!.linkVerdict, 'copycat', 'same path from another prefix');
  });
});
