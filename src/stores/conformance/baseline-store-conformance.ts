/**
 * The conformance suite every {@link BaselineStore} implementation must pass (one suite per
 * interface, run against every implementation).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BaselineStore } from '../types.ts';
import { createFakeClock, rejectsWithCode, withHarness, type FakeClock, type StoreFactory } from './harness.ts';

/** Options the suite varies. */
export interface BaselineConformanceOptions {
  readonly maxSites?: number;
}

const BLOB = { version: 1, savedMs: 5, samples: 3600, metrics: { rps: { fast: 10, slow: 9, variance: 2, n: 3600, last: 11 } } };

/** Runs the BaselineStore conformance suite against `make`. */
export function runBaselineStoreConformance(name: string, make: StoreFactory<BaselineStore, BaselineConformanceOptions>): void {
  const run = (body: (s: BaselineStore, c: FakeClock, h: Awaited<ReturnType<typeof make>>) => Promise<void>, opts: BaselineConformanceOptions = {}) => {
    const clock = createFakeClock();
    return withHarness(make, { ...opts, clock }, (h) => body(h.store, clock, h));
  };

  describe(`BaselineStore conformance: ${name}`, () => {
    it('saves, loads, lists and deletes per-site baselines', () =>
      run(async (s, c) => {
        assert.equal(await s.load('news'), undefined);
        assert.equal(await s.save({ site: 'news', updatedAtMs: c.now(), json: BLOB }), true);
        assert.equal(await s.save({ site: 'party', updatedAtMs: c.now(), json: { other: true } }), true);
        assert.deepEqual(await s.load('news'), { site: 'news', updatedAtMs: c.now(), json: BLOB });
        assert.deepEqual((await s.loadAll()).map((r) => r.site), ['news', 'party']);
        assert.equal(await s.delete('party'), true);
        assert.equal(await s.delete('party'), false);
        assert.deepEqual((await s.loadAll()).map((r) => r.site), ['news']);
      }));

    it('never goes back in time', () =>
      run(async (s, c) => {
        await s.save({ site: 'news', updatedAtMs: c.now(), json: { n: 2 } });
        assert.equal(await s.save({ site: 'news', updatedAtMs: c.now() - 1, json: { n: 1 } }), false);
        assert.deepEqual((await s.load('news'))?.json, { n: 2 });
        assert.equal(await s.save({ site: 'news', updatedAtMs: c.now() + 1, json: { n: 3 } }), true);
        assert.deepEqual((await s.load('news'))?.json, { n: 3 });
      }));

    it('survives a restart', () =>
      run(async (s, c, h) => {
        await s.save({ site: 'news', updatedAtMs: c.now(), json: BLOB });
        assert.deepEqual((await (await h.reopen()).load('news'))?.json, BLOB);
      }));

    it('refuses bad input and a site beyond the cap', () =>
      run(
        async (s, c) => {
          await rejectsWithCode(s.save({ site: '', updatedAtMs: c.now(), json: {} }), 'BULWARK_ERR_STATE_INVALID');
          await rejectsWithCode(s.save({ site: 'a', updatedAtMs: -1, json: {} }), 'BULWARK_ERR_STATE_INVALID');
          await s.save({ site: 'a', updatedAtMs: c.now(), json: {} });
          await s.save({ site: 'b', updatedAtMs: c.now(), json: {} });
          await rejectsWithCode(s.save({ site: 'c', updatedAtMs: c.now(), json: {} }), 'BULWARK_ERR_STATE_FULL');
          assert.equal(await s.save({ site: 'b', updatedAtMs: c.now() + 1, json: { again: 1 } }), true, 'an existing site still saves');
        },
        { maxSites: 2 },
      ));
  });
}
