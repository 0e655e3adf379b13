import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { createIdleGuard, isIdleTooLong } from './idle-guard.ts';

function fakeSocket(): Socket & { destroyed: boolean } {
  const s = { bytesRead: 0, bytesWritten: 0, destroyed: false, destroy() { s.destroyed = true; } };
  return s as unknown as Socket & { destroyed: boolean };
}

test('isIdleTooLong: at or past the timeout, never when disabled', () => {
  assert.equal(isIdleTooLong(1000, 60_999, 60_000), false);
  assert.equal(isIdleTooLong(1000, 61_000, 60_000), true);
  assert.equal(isIdleTooLong(0, 1e12, 0), false);
});

test('a connection whose counters do not move for idle_timeout is destroyed; a moving one is kept', () => {
  let now = 0;
  const guard = createIdleGuard(10_000, () => now);
  const quiet = fakeSocket();
  const busy = fakeSocket();
  guard.track(quiet);
  guard.track(busy);
  for (let t = 1000; t <= 12_000; t += 1000) {
    now = t;
    (busy as { bytesRead: number }).bytesRead += 10; // traffic every second
    guard.sweep();
  }
  assert.equal(quiet.destroyed, true);
  assert.equal(busy.destroyed, false);
  assert.equal(guard.closed, 1);
  guard.stop();
});

test('traffic restarts the idle clock; forget and a disabled timeout never destroy', () => {
  let now = 0;
  const guard = createIdleGuard(10_000, () => now);
  const s = fakeSocket();
  guard.track(s);
  now = 9000;
  (s as { bytesWritten: number }).bytesWritten = 100;
  guard.sweep();
  now = 18_000;
  guard.sweep();
  assert.equal(s.destroyed, false, 'idle for 9 s since the last byte only');
  now = 19_000;
  guard.sweep();
  assert.equal(s.destroyed, true);

  const t = fakeSocket();
  guard.track(t);
  guard.forget(t);
  now = 100_000;
  guard.sweep();
  assert.equal(t.destroyed, false);

  const u = fakeSocket();
  guard.setTimeout(0);
  guard.track(u);
  now = 1e9;
  guard.sweep();
  assert.equal(u.destroyed, false);
  guard.stop();
});
