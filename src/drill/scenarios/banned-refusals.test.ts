import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BAN_CLOCK_SLACK_MS, refusedByBan } from './banned-refusals.ts';

test('a case sent after its address was banned is the ban at work; one sent before is not', () => {
  const bans = [{ key: '127.1.4.5', createdAtMs: 10_000 }, { key: '2001:db8::9', createdAtMs: 10_000 }, { key: '127.1.4.5', createdAtMs: 11_000 }];
  const got = refusedByBan(
    [
      { source: '127.1.4.5', sentAtMs: 12_000 },
      { source: '127.1.4.5', sentAtMs: 9_000 },
      { source: '127.1.4.5', sentAtMs: 10_500 },
      { source: '127.1.4.6', sentAtMs: 12_000 },
      { source: '2001:0db8:0:0::9', sentAtMs: 12_000 },
    ],
    bans,
  );
  assert.deepEqual(got, [true, false, true, false, true]);
});

test('a prefix ban covers every address in it, of its family only', () => {
  const bans = [{ key: '127.1.4.0/24', createdAtMs: 0 }, { key: '2001:db8::/64', createdAtMs: 0 }];
  const got = refusedByBan(
    [
      { source: '127.1.4.200', sentAtMs: 1 },
      { source: '127.1.5.1', sentAtMs: 1 },
      { source: '2001:db8::7', sentAtMs: 1 },
      { source: '2001:db9::7', sentAtMs: 1 },
    ],
    bans,
  );
  assert.deepEqual(got, [true, false, true, false]);
});

test('the two clocks may disagree by a few milliseconds, not more', () => {
  const bans = [{ key: '127.1.0.1', createdAtMs: 5_000 }];
  assert.deepEqual(refusedByBan([{ source: '127.1.0.1', sentAtMs: 5_000 - BAN_CLOCK_SLACK_MS }], bans), [true]);
  assert.deepEqual(refusedByBan([{ source: '127.1.0.1', sentAtMs: 5_000 - BAN_CLOCK_SLACK_MS - 1 }], bans), [false]);
});

test('bans that are not an address or prefix, or carry no time, explain nothing', () => {
  const bans = [{ key: 'not-an-address', createdAtMs: 0 }, { key: '127.1.0.1', createdAtMs: Number.NaN }];
  assert.deepEqual(refusedByBan([{ source: '127.1.0.1', sentAtMs: 1 }], bans), [false]);
  assert.deepEqual(refusedByBan([{ source: 'garbage', sentAtMs: 1 }], [{ key: '0.0.0.0/0', createdAtMs: 0 }]), [false]);
});
