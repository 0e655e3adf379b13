import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { challengeKeyFile, loadOrCreateChallengeKeys, rotateChallengeKey, ChallengeKeyError } from './challenge-key-store.ts';
import { mintClearance } from '../core/challenge/tokens.ts';
import { verifyClearance } from '../core/challenge/tokens.ts';
import { createSiteTag } from '../core/challenge/binding.ts';

const T0 = Date.UTC(2026, 0, 1);
const site = createSiteTag('news');
const client = { address: '203.0.113.7', prefix: '203.0.113.0/24', userAgent: 'UA' };

function tempState(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bulwark-keys-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function mode(p: string): number {
  return fs.statSync(p).mode & 0o777;
}

test('first start generates a key with mode 0600 in a 0700 directory; later starts load the same key', (t) => {
  const state = tempState(t);
  const first = loadOrCreateChallengeKeys(state, { nowMs: T0 });
  assert.equal(first.created, true);
  const file = challengeKeyFile(state);
  assert.equal(first.file, file);
  assert.equal(mode(file), 0o600);
  assert.equal(mode(path.dirname(file)), 0o700);
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(json.version, 1);
  assert.equal(Buffer.from(json.current.secret, 'base64url').length, 32);
  assert.equal(json.current.createdAtMs, T0);
  const second = loadOrCreateChallengeKeys(state, { nowMs: T0 + 1000 });
  assert.equal(second.created, false);
  assert.equal(second.ring.current.id, first.ring.current.id);
  // A cookie minted before the restart still verifies after it.
  const cookie = mintClearance({ site, client, binding: 'prefix', level: 'normal', proof: { via: 'pow', work: { count: 16, bits: 12 } }, lifetimeS: 3600 }, first.ring, T0).value;
  assert.equal(verifyClearance(cookie, second.ring, site, 'prefix', client, T0 + 2000).ok, true);
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['challenge.json'], 'no temporary files left behind');
});

test('rotation keeps the previous key valid for the grace period, then drops it', (t) => {
  const state = tempState(t);
  const first = loadOrCreateChallengeKeys(state, { nowMs: T0 });
  const cookie = mintClearance({ site, client, binding: 'prefix', level: 'normal', proof: { via: 'pow', work: { count: 16, bits: 12 } }, lifetimeS: 86_400 }, first.ring, T0).value;
  const rotated = rotateChallengeKey(state, { nowMs: T0 + 1000, graceMs: 3_600_000 });
  assert.notEqual(rotated.ring.current.id, first.ring.current.id);
  assert.equal(rotated.previousAcceptUntilMs, T0 + 1000 + 3_600_000);
  assert.equal(mode(challengeKeyFile(state)), 0o600);
  assert.equal(verifyClearance(cookie, rotated.ring, site, 'prefix', client, T0 + 2000).ok, true);
  // After a restart inside the grace period the previous key is still there…
  const reloaded = loadOrCreateChallengeKeys(state, { nowMs: T0 + 3_000_000 });
  assert.equal(verifyClearance(cookie, reloaded.ring, site, 'prefix', client, T0 + 3_000_000).ok, true);
  // …and after it, gone.
  const later = loadOrCreateChallengeKeys(state, { nowMs: T0 + 3_601_001 });
  assert.equal(later.previousAcceptUntilMs, undefined);
  assert.deepEqual(verifyClearance(cookie, later.ring, site, 'prefix', client, T0 + 3_601_001), { ok: false, reason: 'unknown_key' });
  // A second rotation drops the oldest key and demotes the current one.
  const again = rotateChallengeKey(state, { nowMs: T0 + 4_000_000 });
  assert.equal(again.ring.previous?.id, rotated.ring.current.id);
});

test('a key file others can read is refused with a clear error, and left alone', (t) => {
  const state = tempState(t);
  loadOrCreateChallengeKeys(state, { nowMs: T0 });
  const file = challengeKeyFile(state);
  const before = fs.readFileSync(file, 'utf8');
  for (const bad of [0o644, 0o640, 0o604, 0o660]) {
    fs.chmodSync(file, bad);
    assert.throws(
      () => loadOrCreateChallengeKeys(state, { nowMs: T0 }),
      (err: unknown) => err instanceof ChallengeKeyError && err.code === 'BULWARK_ERR_CHALLENGE_KEY_PERMISSIONS' && err.message.includes('chmod 600'),
      bad.toString(8),
    );
  }
  assert.throws(() => rotateChallengeKey(state, { nowMs: T0 }), { code: 'BULWARK_ERR_CHALLENGE_KEY_PERMISSIONS' });
  assert.equal(fs.readFileSync(file, 'utf8'), before);
});

test('a corrupt key file is refused, never silently replaced', (t) => {
  const state = tempState(t);
  loadOrCreateChallengeKeys(state, { nowMs: T0 });
  const file = challengeKeyFile(state);
  const good = JSON.parse(fs.readFileSync(file, 'utf8'));
  const corruptions: Array<[string, string]> = [
    ['truncated JSON', '{"version":1,"curr'],
    ['empty', ''],
    ['wrong version', JSON.stringify({ ...good, version: 2 })],
    ['short secret', JSON.stringify({ ...good, current: { ...good.current, secret: 'AAAA' } })],
    ['not base64url', JSON.stringify({ ...good, current: { ...good.current, secret: 'not base64!' } })],
    ['bad previous', JSON.stringify({ ...good, previous: { secret: good.current.secret } })],
    ['null', 'null'],
  ];
  for (const [name, content] of corruptions) {
    fs.writeFileSync(file, content, { mode: 0o600 });
    assert.throws(
      () => loadOrCreateChallengeKeys(state, { nowMs: T0 }),
      (err: unknown) => err instanceof ChallengeKeyError && err.code === 'BULWARK_ERR_CHALLENGE_KEY_CORRUPT' && /backup/.test(err.message) && /move it aside/.test(err.message),
      name,
    );
    assert.equal(fs.readFileSync(file, 'utf8'), content, `${name}: file untouched`);
  }
});

test('a directory where the key file should be is refused', (t) => {
  const state = tempState(t);
  fs.mkdirSync(challengeKeyFile(state), { recursive: true, mode: 0o700 });
  assert.throws(() => loadOrCreateChallengeKeys(state, { nowMs: T0 }), { code: 'BULWARK_ERR_CHALLENGE_KEY_NOT_A_FILE' });
});

test('two processes starting at once end up with one key (the first writer wins)', (t) => {
  const state = tempState(t);
  const file = challengeKeyFile(state);
  // Simulate the race: another process creates the file between our existence check and our link().
  const realLink = fs.linkSync;
  let other: string | undefined;
  t.mock.method(fs, 'linkSync', (from: fs.PathLike, to: fs.PathLike) => {
    const winner = loadOrCreateChallengeKeysWithoutRace(state);
    other = winner;
    return realLink(from, to);
  });
  function loadOrCreateChallengeKeysWithoutRace(dir: string): string {
    t.mock.restoreAll();
    const r = loadOrCreateChallengeKeys(dir, { nowMs: T0 });
    return fs.readFileSync(r.file, 'utf8');
  }
  const ours = loadOrCreateChallengeKeys(state, { nowMs: T0 });
  assert.equal(ours.created, false, 'lost the race, loaded the winner');
  assert.equal(fs.readFileSync(file, 'utf8'), other);
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['challenge.json']);
});
