/**
 * The conformance suite every {@link KvStore} implementation must pass (one suite per interface,
 * run against every implementation).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KvStore } from '../types.ts';
import { createFakeClock, rejectsWithCode, withHarness, type FakeClock, type StoreFactory } from './harness.ts';

/** Options the suite varies. */
export interface KvConformanceOptions {
  readonly maxKeys?: number;
}

/** Runs the KvStore conformance suite against `make`. */
export function runKvStoreConformance(name: string, make: StoreFactory<KvStore, KvConformanceOptions>): void {
  const run = (body: (s: KvStore, c: FakeClock, h: Awaited<ReturnType<typeof make>>) => Promise<void>, opts: KvConformanceOptions = {}) => {
    const clock = createFakeClock();
    return withHarness(make, { ...opts, clock }, (h) => body(h.store, clock, h));
  };

  describe(`KvStore conformance: ${name}`, () => {
    it('sets, gets, overwrites and deletes JSON values', () =>
      run(async (s, c) => {
        assert.equal(await s.get('mode/news', c.now()), undefined);
        await s.set('mode/news', { level: 'under_attack', untilMs: c.now() + 1800_000 }, { nowMs: c.now() });
        assert.deepEqual(await s.get('mode/news', c.now()), { level: 'under_attack', untilMs: c.now() + 1800_000 });
        await s.set('mode/news', { level: 'elevated' }, { nowMs: c.now() });
        assert.deepEqual(await s.get<{ level: string }>('mode/news', c.now()), { level: 'elevated' });
        await s.set('count', 3, { nowMs: c.now() });
        assert.equal(await s.get('count', c.now()), 3);
        assert.equal(await s.delete('count'), true);
        assert.equal(await s.delete('count'), false);
      }));

    it('expires entries (a threat-level override --for 30m)', () =>
      run(async (s, c) => {
        const until = c.now() + 30 * 60_000;
        await s.set('mode/news', { level: 'under_attack', untilMs: until }, { nowMs: c.now(), expiresAtMs: until });
        c.set(until - 1);
        assert.deepEqual(await s.get('mode/news', c.now()), { level: 'under_attack', untilMs: until });
        c.set(until);
        assert.equal(await s.get('mode/news', c.now()), undefined);
        assert.deepEqual(await s.list('mode/', c.now()), []);
        assert.equal(await s.purgeExpired(c.now()), 1);
      }));

    it('lists by prefix, case-sensitively, in key order', () =>
      run(async (s, c) => {
        for (const k of ['mode/b', 'mode/a', 'MODE/x', 'mode_z', 'other']) await s.set(k, k, { nowMs: c.now() });
        const got = await s.list('mode/', c.now());
        assert.deepEqual(got.map((e) => [e.key, e.value, e.updatedAtMs, e.expiresAtMs]), [['mode/a', 'mode/a', c.now(), null], ['mode/b', 'mode/b', c.now(), null]]);
        assert.equal((await s.list('', c.now())).length, 5);
      }));

    it('survives a restart', () =>
      run(async (s, c, h) => {
        await s.set('mode/news', { level: 'elevated' }, { nowMs: c.now(), expiresAtMs: c.now() + 60_000 });
        assert.deepEqual(await (await h.reopen()).get('mode/news', c.now()), { level: 'elevated' });
      }));

    it('refuses bad input and keys beyond the cap (after purging expired ones)', () =>
      run(
        async (s, c) => {
          await rejectsWithCode(s.set('', 1, { nowMs: c.now() }), 'BULWARK_ERR_STATE_INVALID');
          await rejectsWithCode(s.set('x', undefined, { nowMs: c.now() }), 'BULWARK_ERR_STATE_INVALID');
          await s.set('a', 1, { nowMs: c.now(), expiresAtMs: c.now() + 1000 });
          await s.set('b', 1, { nowMs: c.now() });
          await rejectsWithCode(s.set('c', 1, { nowMs: c.now() }), 'BULWARK_ERR_STATE_FULL');
          c.advance(1000);
          await s.set('c', 1, { nowMs: c.now() });
          assert.equal(await s.get('c', c.now()), 1);
        },
        { maxKeys: 2 },
      ));
  });
}
