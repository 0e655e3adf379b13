import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openStateDatabase, stateDatabaseFile } from './database.ts';
import { STATE_MIGRATIONS, STATE_SCHEMA_VERSION, type Migration } from './migrations.ts';
import { recordingLogger, tempStateDir } from './test-support.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = tempStateDir();
  dirs.push(d);
  return d;
}

const mode = (p: string): number => fs.statSync(p).mode & 0o777;
const digest = (p: string): string => createHash('sha256').update(fs.readFileSync(p)).digest('hex');

function expectCode(fn: () => unknown, code: string): Error & { code: string } {
  try {
    fn();
  } catch (err) {
    assert.equal((err as { code?: string }).code, code, String(err));
    return err as Error & { code: string };
  }
  assert.fail(`expected ${code}`);
}

/** A valid SQLite file with enough rows that damaging a middle page breaks it. */
function writeDamagedDatabase(file: string): void {
  const db = new Database(file);
  db.exec('CREATE TABLE t (a INTEGER, b TEXT); CREATE INDEX t_b ON t (b)');
  const ins = db.prepare('INSERT INTO t VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 3000; i++) ins.run(i, `row-${i}-${'x'.repeat(40)}`);
  })();
  db.close();
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(4096, 0x55), 0, 4096, 4096 * 4);
  fs.closeSync(fd);
}

describe('openStateDatabase', () => {
  it('creates the directory (0700), the file (0600) and the schema on first start', () => {
    const stateDir = path.join(dir(), 'nested', 'state');
    const s = openStateDatabase({ stateDir, busyTimeoutMs: 1234 });
    assert.equal(s.file, path.join(stateDir, 'bulwark.db'));
    assert.deepEqual([s.created, s.schemaVersion, s.quarantinedTo], [true, STATE_SCHEMA_VERSION, null]);
    assert.equal(mode(stateDir), 0o700);
    assert.equal(mode(s.file), 0o600);
    s.db.prepare("INSERT INTO kv VALUES ('k', '1', 0, NULL)").run();
    assert.equal(mode(`${s.file}-wal`), 0o600, 'SQLite gives the WAL the database file mode');
    assert.equal(s.db.pragma('user_version', { simple: true }), STATE_SCHEMA_VERSION);
    assert.equal(s.db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(s.db.pragma('synchronous', { simple: true }), 1, 'NORMAL');
    assert.equal(s.db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(s.db.pragma('busy_timeout', { simple: true }), 1234);
    const tables = (s.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    for (const t of ['ban_audit', 'bans', 'baselines', 'incident_seconds', 'incidents', 'kv']) assert.ok(tables.includes(t), t);
    s.close();
    s.close(); // idempotent
    assert.equal(s.isOpen(), false);
    assert.equal(fs.existsSync(`${s.file}-wal`), false, 'close checkpoints and removes the WAL');
  });

  it('keeps data across a reopen', () => {
    const stateDir = dir();
    const a = openStateDatabase({ stateDir });
    a.db.prepare("INSERT INTO kv VALUES ('k', '\"v\"', 1, NULL)").run();
    a.close();
    const b = openStateDatabase({ stateDir });
    assert.equal(b.created, false);
    assert.deepEqual(b.db.prepare('SELECT key, value FROM kv').all(), [{ key: 'k', value: '"v"' }]);
    assert.equal(b.checkpoint('PASSIVE').busy, 0);
    b.close();
  });

  it('refuses a file that is not SQLite, names it, says what to do, and does not touch it', () => {
    const stateDir = dir();
    const file = stateDatabaseFile(stateDir);
    fs.writeFileSync(file, Buffer.alloc(10_000, 'garbage!'));
    const before = digest(file);
    const err = expectCode(() => openStateDatabase({ stateDir }), 'BULWARK_ERR_STATE_CORRUPT');
    assert.match(err.message, new RegExp(file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    assert.match(err.message, /move the file aside/);
    assert.match(err.message, /empty state/);
    assert.equal(digest(file), before);
    assert.deepEqual(fs.readdirSync(stateDir), ['bulwark.db'], 'no -wal, -shm or journal was created');
  });

  it('refuses an empty database file next to a non-empty -wal (SQLite would delete that WAL)', () => {
    const stateDir = dir();
    const file = stateDatabaseFile(stateDir);
    fs.writeFileSync(file, '');
    fs.writeFileSync(`${file}-wal`, Buffer.alloc(5000, 1));
    expectCode(() => openStateDatabase({ stateDir }), 'BULWARK_ERR_STATE_CORRUPT');
    assert.equal(fs.statSync(`${file}-wal`).size, 5000);
  });

  it('refuses a SQLite file with a damaged page (quick_check)', () => {
    const stateDir = dir();
    const file = stateDatabaseFile(stateDir);
    writeDamagedDatabase(file);
    const before = digest(file);
    expectCode(() => openStateDatabase({ stateDir }), 'BULWARK_ERR_STATE_CORRUPT');
    assert.equal(digest(file), before);
  });

  it('with onCorrupt quarantine, moves the file and its -wal/-shm aside, logs loudly and starts empty', () => {
    const stateDir = dir();
    const file = stateDatabaseFile(stateDir);
    fs.writeFileSync(file, 'not a database at all, sorry');
    fs.writeFileSync(`${file}-wal`, 'wal bytes');
    fs.writeFileSync(`${file}-shm`, 'shm bytes');
    const logger = recordingLogger();
    const nowMs = Date.UTC(2026, 10, 28, 10, 15, 0);
    const s = openStateDatabase({ stateDir, onCorrupt: 'quarantine', logger, nowMs });
    const moved = `${file}.corrupt-20261128T101500Z`;
    assert.equal(s.quarantinedTo, moved);
    assert.equal(s.created, true);
    assert.equal(fs.readFileSync(moved, 'utf8'), 'not a database at all, sorry');
    assert.equal(fs.readFileSync(`${moved}-wal`, 'utf8'), 'wal bytes');
    assert.equal(fs.readFileSync(`${moved}-shm`, 'utf8'), 'shm bytes');
    const errors = logger.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0].msg, /EMPTY state/);
    assert.deepEqual((errors[0].obj as { movedTo: string }).movedTo, moved);
    assert.deepEqual(s.db.prepare('SELECT count(*) AS n FROM bans').get(), { n: 0 });
    s.close();
    // the same second again: a new name, nothing overwritten
    fs.writeFileSync(file, 'garbage again');
    const t = openStateDatabase({ stateDir, onCorrupt: 'quarantine', logger, nowMs });
    assert.equal(t.quarantinedTo, `${moved}-1`);
    assert.equal(fs.readFileSync(moved, 'utf8'), 'not a database at all, sorry');
    t.close();
  });

  it('refuses a database written by a newer Bulwark, unchanged', () => {
    const stateDir = dir();
    const file = stateDatabaseFile(stateDir);
    const db = new Database(file);
    db.pragma(`user_version = ${STATE_SCHEMA_VERSION + 1}`);
    db.close();
    const before = digest(file);
    const err = expectCode(() => openStateDatabase({ stateDir }), 'BULWARK_ERR_STATE_TOO_NEW');
    assert.match(err.message, /newer/);
    assert.equal(digest(file), before);
  });

  it('applies missing steps in one transaction, and none when a step fails', () => {
    const stateDir = dir();
    const v1: Migration = { version: 1, description: 'one', sql: 'CREATE TABLE one (x)' };
    const v2bad: Migration = { version: 2, description: 'two', sql: 'CREATE TABLE two (x); CREATE TABLE three (y); INSERT INTO nope VALUES (1);' };
    const v2: Migration = { version: 2, description: 'two', sql: 'ALTER TABLE one ADD COLUMN y DEFAULT 7; CREATE TABLE two (x);' };
    const a = openStateDatabase({ stateDir, migrations: [v1] });
    a.db.prepare('INSERT INTO one VALUES (1)').run();
    a.close();
    expectCode(() => openStateDatabase({ stateDir, migrations: [v1, v2bad] }), 'BULWARK_ERR_STATE_MIGRATION');
    const b = openStateDatabase({ stateDir, migrations: [v1] });
    assert.equal(b.schemaVersion, 1);
    assert.deepEqual(b.db.prepare("SELECT name FROM sqlite_master WHERE name IN ('two', 'three')").all(), []);
    b.close();
    const c = openStateDatabase({ stateDir, migrations: [v1, v2] });
    assert.equal(c.schemaVersion, 2);
    assert.deepEqual(c.db.prepare('SELECT x, y FROM one').all(), [{ x: 1, y: 7 }]);
    c.close();
    expectCode(() => openStateDatabase({ stateDir, migrations: [v2] }), 'BULWARK_ERR_STATE_MIGRATION');
  });

  it('every released step applies to an empty database', () => {
    const s = openStateDatabase({ stateDir: dir() });
    assert.equal(s.schemaVersion, STATE_MIGRATIONS.length);
    s.close();
  });

  it('reports I/O problems with their own code', () => {
    const base = dir();
    fs.writeFileSync(path.join(base, 'afile'), '');
    expectCode(() => openStateDatabase({ stateDir: path.join(base, 'afile') }), 'BULWARK_ERR_STATE_IO');
    fs.mkdirSync(path.join(base, 'd', 'bulwark.db'), { recursive: true });
    expectCode(() => openStateDatabase({ stateDir: path.join(base, 'd') }), 'BULWARK_ERR_STATE_IO');
  });

  it('warns when an existing database is readable by others, without changing it', () => {
    const stateDir = dir();
    openStateDatabase({ stateDir }).close();
    fs.chmodSync(stateDatabaseFile(stateDir), 0o644);
    const logger = recordingLogger();
    openStateDatabase({ stateDir, logger }).close();
    assert.equal(logger.lines.length, 1);
    assert.match(logger.lines[0].msg, /chmod 600/);
    assert.equal(mode(stateDatabaseFile(stateDir)), 0o644);
  });
});
