/**
 * `bulwark mode SITE LEVEL --for D` writes `mode/<site>` into the state database while Bulwark runs: the
 * service picks it up at its next tick, records an incident opened by the override, and returns to the
 * automatic level when the override expires or is removed (`auto`).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openStateStores } from '../../src/stores/index.ts';
import { parseModeRequest, readOverride, writeMode } from '../../src/detection/override.ts';
import { createHarness, visitors, type Harness } from './harness.ts';

const SITE = 'news';

describe('operator override through the settings store', () => {
  const harnesses: Harness[] = [];
  after(async () => {
    for (const h of harnesses) await h.dispose();
  });

  it('takes effect at the next tick, opens an incident, and expires back to the automatic level', async () => {
    const h = await createHarness();
    harnesses.push(h);
    const quiet = (s: number) => visitors(SITE, 50, s, h.service.levelOf(SITE));
    await h.run(10, quiet);
    // Another process (the CLI) writes the override into the same database.
    const cli = openStateStores({ stateDir: h.dir, onCorrupt: 'refuse' });
    try {
      await writeMode(cli.kv, SITE, parseModeRequest('under_attack', '30s'), { by: 'cli', reason: 'announced debate' }, h.clock());
    } finally {
      cli.close();
    }
    assert.equal(h.service.levelOf(SITE), 'normal', 'not before the next tick');
    await h.run(1, quiet);
    assert.equal(h.service.levelOf(SITE), 'under_attack');
    assert.equal(h.levels.get(SITE)!.at(-1), 'under_attack', 'published through setLevel');
    const view = h.service.stats().sites[SITE]!;
    assert.equal(view.override?.level, 'under_attack');
    assert.equal(view.override?.by, 'cli');
    assert.equal(view.auto_level, 'normal');
    const open = await h.stores.incidents.openIncidents();
    assert.equal(open.length, 1, 'leaving normal by override opens an incident');

    await h.run(28, quiet);
    assert.equal(h.service.levelOf(SITE), 'under_attack', 'still in force before expiry');
    await h.run(3, quiet);
    assert.equal(h.service.levelOf(SITE), 'normal', 'expired: automatic level again');
    assert.equal(await readOverride(h.stores.kv, SITE, h.clock()), null);

    await h.run(25, quiet);
    const inc = (await h.stores.incidents.get(open[0]!.id))!;
    assert.equal(inc.status, 'closed');
    const summary = inc.summary as { trigger: string };
    assert.equal(summary.trigger, 'override');
    const changes = (inc.actions as { level_changes: Array<{ by: string; to: string }> }).level_changes;
    assert.deepEqual(changes.map((c) => [c.by, c.to]), [['override', 'under_attack'], ['detector', 'normal']]);
  });

  it('applies setOverride at once and `auto` removes it', async () => {
    const h = await createHarness();
    harnesses.push(h);
    const quiet = (s: number) => visitors(SITE, 20, s, h.service.levelOf(SITE));
    await h.run(5, quiet);
    await h.service.setOverride(SITE, 'elevated', h.clock() + 600_000, 'admin');
    assert.equal(h.service.levelOf(SITE), 'elevated', 'no tick needed');
    assert.equal(h.levels.get(SITE)!.at(-1), 'elevated');
    await h.run(3, quiet);
    assert.equal(h.service.levelOf(SITE), 'elevated');
    // `bulwark mode news auto` from another process
    const cli = openStateStores({ stateDir: h.dir, onCorrupt: 'refuse' });
    try {
      await writeMode(cli.kv, SITE, parseModeRequest('auto'), { by: 'cli' }, h.clock());
    } finally {
      cli.close();
    }
    await h.run(1, quiet);
    assert.equal(h.service.levelOf(SITE), 'normal');
    assert.equal(h.service.stats().sites[SITE]!.override, null);
  });

  it('keeps an override across a restart', async () => {
    const h = await createHarness();
    harnesses.push(h);
    const quiet = (s: number) => visitors(SITE, 20, s, h.service.levelOf(SITE));
    await h.run(3, quiet);
    await h.service.setOverride(SITE, 'under_attack', h.clock() + 120_000, 'admin');
    await h.run(2, quiet);
    await h.restart(5);
    assert.equal(h.service.levelOf(SITE), 'under_attack', 'restored before the first tick');
    await h.run(2, quiet);
    assert.equal(h.service.levelOf(SITE), 'under_attack');
  });
});

describe('mode requests', () => {
  const cases: Array<[unknown, unknown, string | null]> = [
    ['under_attack', '30m', null],
    ['elevated', undefined, null],
    ['auto', 'ignored', null],
    ['panic', '30m', 'level must be one of'],
    ['normal', '8d', 'at most 7d'],
    ['normal', '0s', 'more than 0'],
    ['normal', 'soon', 'duration'],
  ];
  for (const [level, duration, error] of cases) {
    it(`${String(level)} for ${String(duration)}`, () => {
      if (error === null) assert.doesNotThrow(() => parseModeRequest(level, duration));
      else assert.throws(() => parseModeRequest(level, duration), (err: Error & { code?: string }) => err.code === 'BULWARK_ERR_DETECT_MODE_INVALID' && err.message.includes(error));
    });
  }

  it('defaults to one hour', () => {
    assert.deepEqual(parseModeRequest('elevated'), { level: 'elevated', durationMs: 3_600_000 });
  });
});
