import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { cliDurationMs, explicitDuration, positiveDurationArg, requireDurationMs } from './cli-units.ts';

test('a duration flag takes the config syntax; a bare number is seconds unless the flag says ms', () => {
  const cases: readonly [text: string, bare: 's' | 'ms', ms: number | null][] = [
    ['30', 's', 30_000],
    ['30s', 's', 30_000],
    ['1.5', 's', 1_500],
    ['500ms', 's', 500],
    ['5m', 's', 300_000],
    ['2h', 's', 7_200_000],
    ['7d', 's', 604_800_000],
    [' 10s ', 's', 10_000],
    ['100', 'ms', 100],
    ['1s', 'ms', 1_000],
    ['', 's', null],
    ['-3', 's', null],
    ['3x', 's', null],
    ['10kb', 's', null],
    ['s', 's', null],
  ];
  for (const [text, bare, ms] of cases) assert.equal(cliDurationMs(text, bare), ms, `${JSON.stringify(text)} (bare ${bare})`);
});

test('explicitDuration writes out the unit of a bare number only', () => {
  assert.equal(explicitDuration('30'), '30s');
  assert.equal(explicitDuration('100', 'ms'), '100ms');
  assert.equal(explicitDuration('30m'), '30m');
  assert.equal(explicitDuration('junk'), 'junk');
});

test('an invalid duration is a usage error that names the flag and what it accepts', () => {
  assert.equal(requireDurationMs('--for', '90'), 90_000);
  assert.throws(
    () => requireDurationMs('--for', 'soon'),
    (err: Error & { code?: string; source?: string }) =>
      err.code === 'BULWARK_ERR_USAGE' && err.source === 'config' && /--for: invalid duration "soon"/.test(err.message) && /30s/.test(err.message),
  );
});

test('through commander: the parsed value is milliseconds, and a refusal names the flag', () => {
  const parse = (args: string[]): number => {
    const program = new Command('t').exitOverride().configureOutput({ writeErr: () => {} });
    program.option('--wait <duration>', 'how long', positiveDurationArg('s'));
    program.parse(['node', 't', ...args]);
    return program.opts().wait as number;
  };
  assert.equal(parse(['--wait', '30']), 30_000);
  assert.equal(parse(['--wait', '30s']), 30_000);
  assert.equal(parse(['--wait=2m']), 120_000);
  for (const bad of ['0', '0s', 'later', '-1']) {
    assert.throws(() => parse(['--wait', bad]), (err: Error & { code?: string }) => err.code === 'commander.invalidArgument' && err.message.includes("'--wait <duration>'") && err.message.includes('positive duration'), bad);
  }
});
