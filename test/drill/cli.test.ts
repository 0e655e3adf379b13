/**
 * `bulwark drill` as a command (through commander, without the rest of the CLI) and the drill's pure
 * helpers: --list, --help, the loopback refusal, usage errors, the visitor split, the config rewrite, the
 * start-line parser and the connection-attack figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addDrillCommand, drillOptionsFrom, splitVisitors } from '../../src/cli/drill-command.ts';
import { resolvePlan, runDrill } from '../../src/drill/run.ts';
import { SCENARIOS, findScenario, listScenarios } from '../../src/drill/scenarios/index.ts';
import { drillConfig } from '../../src/drill/scenarios/drill-config.ts';
import { figuresOfSlow } from '../../src/drill/scenarios/figures.ts';
import { startLine } from '../../src/drill/bulwark-process.ts';
import { demoConfigInput } from '../../src/demo/demo-config.ts';
import type { SlowAttackResult } from '../../src/drill/attackers/slow-connections.ts';

class Failed extends Error {
  constructor(readonly err: unknown) {
    super('fail called');
  }
}

/** Runs `bulwark drill ARGS` with stdout captured and `fail` recording its error. */
async function drill(args: string[]): Promise<{ out: string; failed?: { code?: string; source?: string; message: string } }> {
  const program = new Command('bulwark').exitOverride();
  let out = '';
  program.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  addDrillCommand(program, (err) => {
    throw new Failed(err);
  });
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'bulwark', 'drill', ...args]);
    return { out };
  } catch (e) {
    if (e instanceof Failed) return { out, failed: e.err as { code?: string; source?: string; message: string } };
    if ((e as { code?: string }).code === 'commander.helpDisplayed') return { out };
    throw e;
  } finally {
    process.stdout.write = write;
  }
}

test('--list names every scenario, one line each', async () => {
  const { out, failed } = await drill(['--list']);
  assert.equal(failed, undefined);
  const lines = out.trimEnd().split('\n');
  assert.equal(lines.length, SCENARIOS.length);
  const names = ['get-flood-few', 'get-flood-many', 'cache-busting', 'post-flood', 'ua-rotation', 'ipv6-rotation', 'slowloris', 'slow-post', 'slow-read', 'malformed', 'origin-collapse', 'recurrence', 'slow-ramp', 'burst-teach', 'h2-rapid-reset', 'h2-continuation', 'h2-stream-flood', 'tls-handshake-flood'];
  assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]), names);
  assert.ok(lines.every((l) => l.length > 30), 'each has a description');
  assert.equal(out, listScenarios());
});

test('--help says it only targets loopback and is a test instrument for your own deployment', async () => {
  const { out } = await drill(['--help']);
  assert.match(out, /only ever targets loopback/);
  assert.match(out, /test instrument for YOUR OWN deployment/);
  for (const flag of ['--config', '--duration', '--rate', '--sources', '--capacity', '--visitors', '--target', '--admin', '--json', '--list']) assert.ok(out.includes(flag), flag);
});

test('--target http://10.0.0.1 is refused before anything starts (exit 2: usage)', async () => {
  const t0 = performance.now();
  const { failed } = await drill(['get-flood-few', '--target', 'http://10.0.0.1']);
  assert.equal(failed?.code, 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK');
  assert.equal(failed?.source, 'config');
  assert.ok(performance.now() - t0 < 1000, 'refused at once');
  await assert.rejects(runDrill({ scenario: 'get-flood-few', target: 'http://10.0.0.1' }), { code: 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK' });
  await assert.rejects(runDrill({ scenario: 'get-flood-few', target: 'http://127.0.0.1:8080', admin: 'http://10.0.0.1:9901' }), { code: 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK' });
  await assert.rejects(runDrill({ scenario: 'get-flood-few', target: 'http://2130706433/' }), { code: 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK' });
});

test('usage errors: no scenario, unknown scenario, bad numbers, bounds beyond the ceilings', async () => {
  assert.equal((await drill([])).failed?.code, 'BULWARK_ERR_USAGE');
  const unknown = await drill(['no-such-attack']);
  assert.equal(unknown.failed?.code, 'BULWARK_ERR_DRILL_UNKNOWN_CASE');
  assert.equal(unknown.failed?.source, 'config');
  assert.match(unknown.failed?.message ?? '', /get-flood-few/);
  await assert.rejects(drill(['slowloris', '--rate=-3']), { code: 'commander.invalidArgument', message: /positive number/ });
  await assert.rejects(drill(['slowloris', '--sources', '2.5']), { code: 'commander.invalidArgument', message: /positive integer/ });
  assert.equal((await drill(['slowloris', '--duration', '100000'])).failed?.code, 'BULWARK_ERR_DRILL_BOUNDS');
  await assert.rejects(runDrill({ scenario: 'slowloris', sources: 0, visitors: { browsers: -1 } }), { code: 'BULWARK_ERR_DRILL_BOUNDS', message: /sources=0.*visitors=/ });
  assert.equal((await drill(['get-flood-many', '--duration', '10', '--restart', '12'])).failed?.code, 'BULWARK_ERR_DRILL_BOUNDS', 'a restart after the attack');
  await assert.rejects(runDrill({ scenario: 'get-flood-few', target: 'http://127.0.0.1:8080', restart: true }), { code: 'BULWARK_ERR_DRILL_BOUNDS', message: /restart/ });
});

/** The options `bulwark drill --list ARGS` parses (--list returns before anything starts). */
function parsedDrillOptions(args: string[]): Record<string, unknown> {
  const program = new Command('bulwark').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  addDrillCommand(program, (err) => {
    throw err;
  });
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    program.parse(['node', 'bulwark', 'drill', '--list', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return program.commands.find((c) => c.name() === 'drill')!.opts();
}

test('--duration, --restart and --page-latency take the config duration syntax; bare numbers keep their unit', () => {
  const cases: readonly [args: string[], key: string, value: number][] = [
    [['--duration', '30'], 'duration', 30],
    [['--duration', '30s'], 'duration', 30],
    [['--duration', '2m'], 'duration', 120],
    [['--duration', '1500ms'], 'duration', 1.5],
    [['--restart', '15'], 'restart', 15],
    [['--restart', '15s'], 'restart', 15],
    [['--page-latency', '100'], 'pageLatency', 100],
    [['--page-latency', '100ms'], 'pageLatency', 100],
    [['--page-latency', '1s'], 'pageLatency', 1000],
  ];
  for (const [args, key, value] of cases) assert.equal(parsedDrillOptions(args)[key], value, args.join(' '));
  assert.equal(parsedDrillOptions(['--restart']).restart, true);
  assert.throws(() => parsedDrillOptions(['--duration', '30x']), (err: Error & { code?: string }) => err.code === 'commander.invalidArgument' && err.message.includes('--duration') && /positive duration such as 30s/.test(err.message));
});

test('--restart: half way by default, or at the seconds given', () => {
  assert.equal(drillOptionsFrom('get-flood-many', { restart: true }).restart, true);
  assert.equal(drillOptionsFrom('get-flood-many', { restart: 7 }).restart, 7);
  assert.equal('restart' in drillOptionsFrom('get-flood-many', {}), false);
  assert.equal(resolvePlan(findScenario('get-flood-many'), { restart: true }).restartAtS, 10);
  assert.equal(resolvePlan(findScenario('get-flood-many'), { restart: 4 }).restartAtS, 4);
  assert.equal(resolvePlan(findScenario('get-flood-many'), {}).restartAtS, null);
});

test('drillConfig compresses the learning delay with the warm-up, unless the config sets one', () => {
  const d = drillConfig({ originUrl: 'http://127.0.0.1:4000', stateDir: '/tmp/s', baselineWarmupS: 35 });
  assert.deepEqual((d.config.detection as { baseline: unknown }).baseline, { warmup: '30s', learn_delay: '2s' });
  const own = drillConfig({ base: { ...demoConfigInput({ originUrl: 'http://127.0.0.1:9' }), detection: { baseline: { learn_delay: '10s' } } }, originUrl: 'http://127.0.0.1:4000', stateDir: '/tmp/s', baselineWarmupS: 35 });
  assert.deepEqual((own.config.detection as { baseline: unknown }).baseline, { learn_delay: '10s', warmup: '32s' });
});

test('splitVisitors: 60% browsers, 20% no-JS, the rest API', () => {
  const table: ReadonlyArray<readonly [number, { browsers: number; nojs: number; api: number }]> = [
    [10, { browsers: 6, nojs: 2, api: 2 }],
    [1, { browsers: 1, nojs: 0, api: 0 }],
    [5, { browsers: 3, nojs: 1, api: 1 }],
    [100, { browsers: 60, nojs: 20, api: 20 }],
  ];
  for (const [n, expected] of table) assert.deepEqual(splitVisitors(n), expected, String(n));
});

test('drillConfig: one site answering every host in front of the fixture, fresh state, loopback port 0', () => {
  const base: Record<string, unknown> = { ...demoConfigInput({ originUrl: 'http://127.0.0.1:9' }), log: { level: 'warn', access_log: { path: '/tmp/x.log' } } };
  base.sites = [{ name: 'a', hosts: ['a.example'], origins: ['http://10.1.1.1'] }, { name: 'b', hosts: ['b.example'], origins: ['http://10.1.1.2'] }];
  const { config, site } = drillConfig({ base, originUrl: 'http://127.0.0.1:4000', stateDir: '/tmp/drill-state', site: 'b' });
  assert.equal(site, 'b');
  assert.deepEqual(config.sites, [{ name: 'b', hosts: ['*'], origins: ['http://127.0.0.1:4000'] }]);
  assert.deepEqual(config.listen, { http: ['127.0.0.1:0'], https: [] });
  assert.deepEqual(config.admin, { listen: '127.0.0.1:0' });
  assert.deepEqual(config.log, { level: 'info' });
  assert.equal(config.state_dir, '/tmp/drill-state');
  assert.equal(config.trusted_proxies, undefined, 'loopback is not trusted by default');
  const v6 = drillConfig({ originUrl: 'http://127.0.0.1:4000', stateDir: '/tmp/s', scenario: findScenario('ipv6-rotation') });
  assert.deepEqual(v6.config.trusted_proxies, ['127.0.0.1/32'], 'trusted for the IPv6 rotation scenario only');
  assert.throws(() => drillConfig({ base, originUrl: 'http://127.0.0.1:4000', stateDir: '/tmp/s', site: 'zzz' }), { code: 'BULWARK_ERR_CONFIG_INVALID' });
  assert.throws(() => drillConfig({ base: { ...base, bogus: 1 }, originUrl: 'http://127.0.0.1:4000', stateDir: '/tmp/s' }), { code: 'BULWARK_ERR_CONFIG_INVALID' });
});

test('startLine: reads the listener and admin of the "bulwark started" log line', () => {
  const log = '{"level":"info","msg":"x"}\n{"level":"info","listeners":["https://127.0.0.1:1","http://127.0.0.1:41000"],"admin":"127.0.0.1:41001","msg":"bulwark started"}\n';
  assert.deepEqual(startLine(log), { url: 'http://127.0.0.1:41000', https: 'https://127.0.0.1:1', admin: 'http://127.0.0.1:41001' });
  assert.equal(startLine('{"msg":"bulwark started","listeners":["http://127.0.0.1:1"],"admin":null}\n'), undefined);
  assert.equal(startLine('{"msg":"bulwark sta'), undefined);
});

test('figuresOfSlow: answers before close are classified, silent closes are drops', () => {
  const r = { opened: 100, closedByServer: 60, answers: { 408: 30, 429: 5, 503: 5 }, connectErrors: { ECONNREFUSED: 2 } } as unknown as SlowAttackResult;
  const f = figuresOfSlow(r);
  assert.deepEqual({ sent: f.sent, answered: f.answered, rejected: f.rejected, limited: f.limited, shed: f.shed, dropped: f.dropped }, { sent: 100, answered: 40, rejected: 30, limited: 5, shed: 5, dropped: 20 });
  assert.deepEqual(f.errors, { ECONNREFUSED: 2 });
});
