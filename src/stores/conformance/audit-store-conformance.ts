/**
 * The conformance suite every {@link AuditStore} implementation must pass (one suite per
 * interface, run against every implementation): newest first with paging, filters by time and action
 * prefix, details clipped at 4 KiB, the row cap and the age purge, and a restart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditInput, AuditStore } from '../admin-types.ts';
import { createFakeClock, withHarness, type FakeClock, type StoreFactory } from './harness.ts';

/** Options the suite varies. */
export interface AuditConformanceOptions {
  readonly maxRows?: number;
}

function entry(c: FakeClock, action: string, over: Partial<AuditInput> = {}): AuditInput {
  return { atMs: c.now(), actor: 'token:ops', role: 'operator', action, target: '203.0.113.7', source: '127.0.0.1', outcome: 'ok', ...over };
}

/** Runs the AuditStore conformance suite against `make`. */
export function runAuditStoreConformance(name: string, make: StoreFactory<AuditStore, AuditConformanceOptions>): void {
  const run = (body: (s: AuditStore, c: FakeClock, h: Awaited<ReturnType<typeof make>>) => Promise<void>, opts: AuditConformanceOptions = {}) => {
    const clock = createFakeClock();
    return withHarness(make, { ...opts, clock }, (h) => body(h.store, clock, h));
  };

  describe(`AuditStore conformance: ${name}`, () => {
    it('appends with increasing ids and lists newest first, paged, by time and by action prefix', () =>
      run(async (s, c) => {
        const a = await s.append(entry(c, 'ban.add', { detail: { duration: '10m' } }));
        c.advance(1000);
        const b = await s.append(entry(c, 'ban.remove'));
        c.advance(1000);
        const d = await s.append(entry(c, 'level.override', { target: 'news', role: null }));
        assert.ok(a.id < b.id && b.id < d.id);
        assert.deepEqual(a.detail, { duration: '10m' });
        assert.deepEqual((await s.list()).map((e) => e.action), ['level.override', 'ban.remove', 'ban.add']);
        assert.deepEqual((await s.list({ limit: 1, beforeId: d.id })).map((e) => e.id), [b.id]);
        assert.deepEqual((await s.list({ action: 'ban.' })).map((e) => e.id), [b.id, a.id]);
        assert.deepEqual((await s.list({ sinceMs: c.now() - 1000 })).map((e) => e.id), [d.id, b.id]);
        const got = (await s.list({ action: 'level.' }))[0]!;
        assert.deepEqual([got.actor, got.role, got.target, got.source, got.outcome, got.atMs], ['token:ops', null, 'news', '127.0.0.1', 'ok', c.now()]);
        assert.equal(await s.count(), 3);
      }));

    it('clips a detail above 4 KiB to a note', () =>
      run(async (s, c) => {
        const e = await s.append(entry(c, 'ban.add', { detail: { reason: 'x'.repeat(5000) } }));
        assert.deepEqual((await s.list())[0]!.detail, e.detail);
        assert.equal((e.detail as { truncated?: boolean }).truncated, true);
      }));

    it('purges by age and keeps the row cap', () =>
      run(
        async (s, c) => {
          for (let i = 0; i < 5; i++) {
            await s.append(entry(c, `a.${i}`));
            c.advance(1000);
          }
          assert.equal(await s.count(), 3, 'appends keep the log at its cap (the oldest rows go)');
          assert.equal(await s.purge(c.now() - 2500), 1, 'the one remaining row older than the cut');
          assert.deepEqual((await s.list()).map((e) => e.action), ['a.4', 'a.3']);
          assert.equal(s.cap, 3);
        },
        { maxRows: 3 },
      ));

    it('survives a restart', () =>
      run(async (s, c, h) => {
        await s.append(entry(c, 'token.create', { target: 'alice' }));
        const again = await h.reopen();
        assert.equal((await again.list())[0]?.target, 'alice');
        assert.ok((await again.append(entry(c, 'token.revoke'))).id > (await again.list())[1]!.id, 'ids keep increasing');
      }));
  });
}
