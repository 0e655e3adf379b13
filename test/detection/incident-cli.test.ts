/**
 * `bulwark incidents list|show` and `bulwark mode` on a state directory with a real incident in it, and
 * the admin routes `/incidents`, `/incident`, `/detection`, `POST /mode`. The commands run in-process on
 * a commander program built like src/cli.ts builds it (the lead wires `addIncidentCommands` there).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { addIncidentCommands } from '../../src/cli/incident-commands.ts';
import { incidentRoutes } from '../../src/admin/incident-routes.ts';
import { routeHandler } from '../../src/admin/route-types.ts';
import { readOverride } from '../../src/detection/override.ts';
import { BulwarkError } from '../../src/core/errors.ts';
import { createHarness, flood, visitors, type Harness } from './harness.ts';

const SITE = 'news';

class Exit extends Error {
  constructor(readonly err: unknown) {
    super('exit');
  }
}

/** Runs `bulwark ARGS` in-process; returns stdout, stderr and the exit code. */
async function bulwark(args: string[]): Promise<{ out: string; err: string; code: number }> {
  const program = new Command('bulwark').exitOverride();
  let out = '';
  let err = '';
  program.configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
  addIncidentCommands(program, (e) => {
    throw new Exit(e);
  });
  for (const c of program.commands) c.exitOverride().configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
  for (const c of program.commands.flatMap((x) => x.commands)) c.exitOverride().configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s) });
  const write = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  let code = 0;
  try {
    await program.parseAsync(['node', 'bulwark', ...args]);
    code = Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof Exit) {
      const be = e.err as BulwarkError;
      err += `${be.code}: ${be.message}`;
      code = be instanceof BulwarkError && be.source === 'config' ? 2 : 1;
    } else if ((e as { code?: string }).code === 'commander.helpDisplayed') code = 0;
    else throw e;
  } finally {
    process.stdout.write = write;
    process.stderr.write = writeErr;
    process.exitCode = 0;
  }
  return { out, err, code };
}

describe('incident commands and admin routes', () => {
  let h: Harness;
  let id: string;
  before(async () => {
    h = await createHarness();
    const level = () => h.service.levelOf(SITE);
    await h.run(90, (s) => visitors(SITE, 50, s, level()));
    await h.run(15, (s) => [...visitors(SITE, 50, s, level()), ...flood(SITE, 3000, s, level())]);
    for (let i = 0; i < 200 && (await h.stores.incidents.openIncidents()).length > 0; i++) await h.run(1, (s) => visitors(SITE, 50, s, level()));
    id = (await h.stores.incidents.list())[0]!.id;
  });
  after(async () => {
    await h.dispose();
  });

  it('lists incidents as a table and as JSON', async () => {
    const text = await bulwark(['incidents', 'list', '--state-dir', h.dir]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, new RegExp(`${id}\\s+news\\s+closed/calm`));
    const json = await bulwark(['incidents', 'list', '--json', '--site', SITE, '--state-dir', h.dir]);
    const parsed = JSON.parse(json.out) as { incidents: Array<{ id: string; peak_level: string }> };
    assert.deepEqual(parsed.incidents.map((i) => [i.id, i.peak_level]), [[id, 'under_attack']]);
    const none = await bulwark(['incidents', 'list', '--site', 'blog', '--state-dir', h.dir]);
    assert.equal(none.out, 'no incidents\n');
  });

  it('shows one incident as text and as JSON, with or without its timeline', async () => {
    const text = await bulwark(['incidents', 'show', id, '--state-dir', h.dir]);
    assert.equal(text.code, 0, text.err);
    for (const part of [`Incident ${id} on news`, 'Top sources', '127.1.', 'Actions', 'Visitors', 'Timeline']) assert.ok(text.out.includes(part), part);
    const json = JSON.parse((await bulwark(['incidents', 'show', id, '--json', '--state-dir', h.dir])).out) as Record<string, unknown>;
    assert.equal(json.id, id);
    assert.ok(Array.isArray(json.timeline) && json.timeline.length > 30);
    const bare = JSON.parse((await bulwark(['incidents', 'show', id, '--json', '--no-timeline', '--state-dir', h.dir])).out) as Record<string, unknown>;
    assert.deepEqual(bare.timeline, []);
    const missing = await bulwark(['incidents', 'show', 'inc-19700101-0001', '--state-dir', h.dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /no incident/);
  });

  it('sets, shows and removes an override with `mode`, checking the site against the config', async () => {
    const set = await bulwark(['mode', SITE, 'under_attack', '--for', '30m', '--reason', 'debate tonight', '--state-dir', h.dir]);
    assert.equal(set.code, 0, set.err);
    assert.match(set.out, /news: under_attack until /);
    const stored = await readOverride(h.stores.kv, SITE, Date.now());
    assert.equal(stored?.level, 'under_attack');
    assert.equal(stored?.reason, 'debate tonight');
    assert.ok(Math.abs(stored!.untilMs - Date.now() - 30 * 60_000) < 5000);
    assert.match((await bulwark(['mode', SITE, '--state-dir', h.dir])).out, /under_attack until .* \(by cli:[^:]+: debate tonight\)/);
    assert.match((await bulwark(['mode', SITE, 'auto', '--state-dir', h.dir])).out, /override removed/);
    assert.equal(await readOverride(h.stores.kv, SITE, Date.now()), null);

    // --for takes the config's duration syntax; a bare number is seconds, as on every duration flag.
    assert.equal((await bulwark(['mode', SITE, 'elevated', '--for', '90', '--state-dir', h.dir])).code, 0);
    assert.ok(Math.abs((await readOverride(h.stores.kv, SITE, Date.now()))!.untilMs - Date.now() - 90_000) < 5000, 'a bare 90 is 90 seconds');
    const soon = await bulwark(['mode', SITE, 'elevated', '--for', 'soon', '--state-dir', h.dir]);
    assert.equal(soon.code, 2);
    assert.match(soon.err, /--for: invalid duration "soon"/);
    const long = await bulwark(['mode', SITE, 'elevated', '--for', '8d', '--state-dir', h.dir]);
    assert.equal(long.code, 2);
    assert.match(long.err, /at most 7d .*"8d"/);
    assert.match((await bulwark(['mode', SITE, 'auto', '--state-dir', h.dir])).out, /override removed/);

    const bad = await bulwark(['mode', SITE, 'panic', '--state-dir', h.dir]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /level must be one of/);
    const file = path.join(h.dir, 'bulwark.yaml');
    fs.writeFileSync(file, `state_dir: ${JSON.stringify(h.dir)}\nsites:\n  - name: news\n    hosts: ["*"]\n    origins: ["http://127.0.0.1:9"]\n`);
    const unknown = await bulwark(['mode', 'blog', 'elevated', '-c', file]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /no site "blog" in the config/);
    assert.equal((await bulwark(['mode', SITE, 'elevated', '--for', '1m', '-c', file])).code, 0);
    assert.equal((await bulwark(['mode', SITE, 'auto', '-c', file])).code, 0);
    assert.equal((await bulwark(['mode', SITE, 'auto'])).code, 2, 'no state given');
  });

  it('has help on every command', async () => {
    for (const args of [['incidents', 'list'], ['incidents', 'show'], ['mode']]) {
      const r = await bulwark([...args, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.out, /Usage: bulwark .*--state-dir|--state-dir/s);
      assert.match(r.out, /Examples:/);
    }
  });

  it('answers the admin routes', async () => {
    const routes = incidentRoutes({ incidents: h.stores.incidents, kv: h.stores.kv, detection: h.service, sites: () => [SITE], now: h.clock });
    const call = async (key: string, query = '', body?: unknown) => routeHandler(routes[key]!)({ url: new URL(`http://admin${key.split(' ')[1]}${query}`), body });
    const list = await call('GET /incidents', '?site=news&status=closed');
    assert.equal((list.body as { incidents: unknown[] }).incidents.length, 1);
    const one = await call('GET /incident', `?id=${id}&timeline=0`);
    assert.equal(one.status, 200);
    assert.equal((one.body as { id: string; timeline: unknown[] }).timeline.length, 0);
    assert.equal((await call('GET /incident', '?id=nope')).status, 404);
    await assert.rejects(call('GET /incident'), (e: BulwarkError) => e.source === 'operator');
    await assert.rejects(call('GET /incidents', '?limit=0'), (e: BulwarkError) => e.source === 'operator');
    const detection = (await call('GET /detection')).body as { sites: Record<string, { level: string; baseline: { warm: boolean } }> };
    assert.equal(detection.sites[SITE]!.level, 'normal');
    assert.ok(detection.sites[SITE]!.baseline.warm);

    const mode = await call('POST /mode', '', { site: SITE, level: 'elevated', duration: '10m', reason: 'test' });
    assert.equal((mode.body as { override: { level: string; by: string } }).override.level, 'elevated');
    assert.equal(h.service.levelOf(SITE), 'elevated', 'applied at once');
    await call('POST /mode', '', { site: SITE, level: 'auto' });
    assert.equal(h.service.levelOf(SITE), 'normal');
    await assert.rejects(call('POST /mode', '', { site: 'blog', level: 'elevated' }), (e: BulwarkError) => e.source === 'operator' && /site must be one of: news/.test(e.message));
    await assert.rejects(call('POST /mode', '', { site: SITE, level: 'elevated', duration: '9d' }), (e: BulwarkError) => e.code === 'BULWARK_ERR_DETECT_MODE_INVALID');

    const withoutService = incidentRoutes({ incidents: h.stores.incidents, kv: h.stores.kv, detection: null, sites: () => [SITE], now: h.clock });
    assert.deepEqual((await routeHandler(withoutService['GET /detection']!)({ url: new URL('http://admin/detection'), body: undefined })).body, { enabled: false, sites: {} });
    await routeHandler(withoutService['POST /mode']!)({ url: new URL('http://admin/mode'), body: { site: SITE, level: 'under_attack', duration: '1m' } });
    assert.equal((await readOverride(h.stores.kv, SITE, h.clock()))?.level, 'under_attack', 'written for the next start');
  });
});
