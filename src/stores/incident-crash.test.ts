/**
 * "A crash in the middle of an incident loses at most the last few seconds": a child process
 * writes an incident's timeline in a loop and is killed with SIGKILL; reopening the state must find every
 * batch the child reported as committed, nothing half-written, and aggregates that agree with the timeline.
 *
 * This covers a process crash. Power loss can additionally lose what was committed since the last WAL sync
 * (see database.ts); that cannot be simulated from a test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { openStateStores } from './index.ts';
import { tempStateDir } from './test-support.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./test-crash-writer.ts', import.meta.url));

/** Runs the writer until it has reported `killAfter` batches (or 15 s), SIGKILLs it, returns its output. */
function runAndKill(stateDir: string, batch: number, killAfter: number): Promise<{ lines: string[]; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, stateDir, String(batch)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    const kill = (): void => {
      if (!killed) {
        killed = true;
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(kill, 15_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').length > killAfter + 2) kill();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited with ${code}: ${err}`));
      else resolve({ lines: out.split('\n').filter((l) => l.length > 0), signal });
    });
  });
}

async function crashAndCheck(batch: number, log: (msg: string) => void): Promise<void> {
  const stateDir = tempStateDir();
  try {
    const { lines } = await runAndKill(stateDir, batch, 300);
    const id = lines[0].replace(/^open /, '');
    const reported = Number(lines[lines.length - 1]);
    assert.ok(Number.isInteger(reported) && reported >= batch * 10, `the writer made progress (${lines.length} lines)`);
    const state = openStateStores({ stateDir }); // quick_check passes: the file is not damaged
    try {
      const inc = await state.incidents.get(id);
      assert.ok(inc);
      const n = inc.timeline.length;
      log(`killed after ${reported} reported seconds; ${n} stored`);
      assert.ok(n >= reported, `every reported second is there (${n} >= ${reported})`);
      assert.ok(n <= reported + batch, `at most the one batch after the last report (${n})`);
      assert.equal(n % batch, 0, 'no half-written batch');
      inc.timeline.forEach((s, i) => assert.equal(s.t, inc.openedAtMs + i * 1000));
      const sum = inc.timeline.reduce((a, s) => a + s.requests, 0);
      assert.deepEqual([inc.status, inc.timelineSeconds, inc.totalRequests, inc.lastSecondMs], ['open', n, sum, inc.openedAtMs + (n - 1) * 1000]);
      assert.ok(inc.distinctSources === n || inc.distinctSources === n - batch, 'the summary update lags at most one batch');
      const { continued } = await state.incidents.recoverOpen({ policy: 'continue', nowMs: inc.openedAtMs + n * 1000 });
      assert.deepEqual(continued.map((x) => x.id), [id]);
      const next = await state.incidents.appendSeconds(id, [{ t: inc.openedAtMs + n * 1000, requests: 1, distinct: 1, level: 'elevated' }]);
      assert.equal(next.inserted, 1);
    } finally {
      state.close();
    }
  } finally {
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

describe('incident store after SIGKILL mid-write', () => {
  it('one second per call (the detector tick): every committed second survives', (t) => crashAndCheck(1, (m) => t.diagnostic(m)));
  it('large batches: a batch is all there or not at all', (t) => crashAndCheck(250, (m) => t.diagnostic(m)));
});
