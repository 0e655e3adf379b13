/**
 * Runs an ES module script in a child Node with V8's natives syntax (`%DebugPrint`) and `--expose-gc`,
 * the TypeScript loader on, and returns what it printed. V8 prints with C stdio, which loses output on a
 * non-blocking pipe, so the child writes to a file that is read back and removed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function runWithV8Print(script: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-v8-'));
  const file = join(dir, 'out.txt');
  const fd = openSync(file, 'w');
  try {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', '--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', fd, 'pipe'] });
    assert.equal(r.status, 0, r.stderr);
    return readFileSync(file, 'utf8');
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}
