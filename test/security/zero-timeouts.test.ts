/**
 * Self-inflicted denial of service through the config: `header_timeout: 0` used to pass `check` and
 * then close every connection before its first byte. Every duration and size has bounds in the
 * schema (config/schema-units.ts): a zero or absurd value is a config error naming the key (exit 2),
 * and Bulwark never starts with it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli-process.ts';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-timeouts-'));

function config(extra: string): string {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `state_dir: ${dir}/state\nlisten:\n  http: ["127.0.0.1:0"]\nadmin:\n  listen: null\n${extra}sites:\n  - name: a\n    hosts: ["*"]\n    origins: ["http://127.0.0.1:9"]\n`);
  return file;
}

const cases: [string, string, RegExp][] = [
  ['header_timeout: 0', 'connections:\n  header_timeout: 0\n', /connections\.header_timeout: duration 0 out of range: expected 1s\.\.5m/],
  ['request_timeout: 0', 'connections:\n  request_timeout: 0\n', /connections\.request_timeout: duration 0 out of range/],
  ['keep_alive_timeout: 0ms', 'connections:\n  keep_alive_timeout: 0ms\n', /connections\.keep_alive_timeout: duration "0ms" out of range/],
  ['idle_timeout: 1000d', 'connections:\n  idle_timeout: 1000d\n', /connections\.idle_timeout: duration "1000d" out of range/],
  ['max_header_bytes: 0', 'connections:\n  max_header_bytes: 0\n', /connections\.max_header_bytes: size 0 out of range/],
  ['header_timeout beyond request_timeout', 'connections:\n  header_timeout: 1m\n  request_timeout: 30s\n', /connections\.header_timeout: header_timeout must not exceed request_timeout/],
];

for (const [what, yaml, message] of cases) {
  test(`self-inflicted denial of service through the config: ${what} is refused by check and start, naming the key`, () => {
    const file = config(yaml);
    const checked = cli(['check', '-c', file]);
    assert.equal(checked.status, 2, `check exit ${checked.status}: ${checked.stderr}`);
    assert.match(checked.stderr, message);
    const started = cli(['start', '-c', file]);
    assert.equal(started.status, 2, `start exit ${started.status}: ${started.stdout}${started.stderr}`);
    assert.match(started.stderr, message);
    assert.doesNotMatch(started.stdout + started.stderr, /bulwark started|\n\s+at /, 'never started, no stack trace');
  });
}
