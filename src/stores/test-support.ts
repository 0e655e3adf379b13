/**
 * Test helpers for the SQLite stores: a temporary state directory and a conformance harness
 * (conformance/harness.ts) that opens a store on it, reopens it (a restart) and opens peers (another
 * process on the same file).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStateDatabase, type StateDatabase, type StateLogger } from './database.ts';
import type { FakeClock, StoreHarness } from './conformance/harness.ts';

/** A fresh temporary directory for state; remove it with `fs.rmSync(dir, { recursive: true })`. */
export function tempStateDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-state-'));
}

/** A logger that remembers what it was told. */
export function recordingLogger(): StateLogger & { lines: Array<{ level: string; obj: object; msg: string }> } {
  const lines: Array<{ level: string; obj: object; msg: string }> = [];
  return {
    lines,
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

/** Builds a harness whose store is `build(database, clock)` on a fresh temporary state directory. */
export function sqliteHarness<S>(clock: FakeClock, build: (db: StateDatabase) => S): StoreHarness<S> {
  const dir = tempStateDir();
  const handles: StateDatabase[] = [];
  const open = (): S => {
    const db = openStateDatabase({ stateDir: dir, logger: recordingLogger(), nowMs: clock.now() });
    handles.push(db);
    return build(db);
  };
  const store = open();
  return {
    store,
    async reopen() {
      handles[0].close();
      handles.shift();
      const db = openStateDatabase({ stateDir: dir, logger: recordingLogger() });
      handles.unshift(db);
      return build(db);
    },
    openPeer: async () => open(),
    async dispose() {
      for (const h of handles) h.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
