/**
 * A YAML alias bomb ("billion laughs") in a config — a few lines whose aliases expand into millions of
 * nodes — used to exit 1 with a stack trace. It is a config error like any other: exit 2, the problem
 * named, no stack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli-process.ts';

test('YAML alias bomb: check and start exit 2 naming the problem, with no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bomb-'));
  const file = join(dir, 'bulwark.yaml');
  const rows = ['x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i <= 8; i++) rows.push(`x${i}: &x${i} [${Array(9).fill(`*x${i - 1}`).join(', ')}]`);
  writeFileSync(file, `${rows.join('\n')}\nsites:\n  - name: a\n    hosts: ["*"]\n    origins: ["http://127.0.0.1:9"]\n`);
  for (const command of ['check', 'start']) {
    const r = cli([command, '-c', file]);
    assert.equal(r.status, 2, `${command} exit ${r.status}: ${r.stderr}`);
    assert.match(r.stderr, /alias bomb/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
