/**
 * The conformance suite every {@link BanStore} implementation must pass (one suite per interface,
 * run against every implementation). Call it from the implementation's test file.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BanStore, StoredBan } from '../types.ts';
import { createFakeClock, rejectsWithCode, withHarness, type FakeClock, type StoreFactory } from './harness.ts';

/** Options the suite varies. */
export interface BanConformanceOptions {
  readonly maxBans?: number;
}

const MIN = 60_000;

function ban(key: string, clock: FakeClock, ms: number, over: Partial<StoredBan> = {}): StoredBan {
  return {
    key,
    scope: key.includes('/') ? 'prefix' : 'address',
    reason: 'escalation/limit/login',
    by: 'limit/login',
    level: 1,
    createdAtMs: clock.now(),
    untilMs: clock.now() + ms,
    source: 'auto',
    ...over,
  };
}

/** Runs the BanStore conformance suite against `make`. */
export function runBanStoreConformance(name: string, make: StoreFactory<BanStore, BanConformanceOptions>): void {
  const run = (body: (store: BanStore, clock: FakeClock, h: Awaited<ReturnType<typeof make>>) => Promise<void>, opts: BanConformanceOptions = {}) => {
    const clock = createFakeClock();
    return withHarness(make, { ...opts, clock }, (h) => body(h.store, clock, h));
  };

  describe(`BanStore conformance: ${name}`, () => {
    it('stores keys in canonical form', () =>
      run(async (s, c) => {
        const cases: Array<[string, string, StoredBan['scope']]> = [
          ['203.0.113.7', '203.0.113.7', 'address'],
          ['203.0.113.7/24', '203.0.113.0/24', 'prefix'],
          ['2001:DB8:0:0::1', '2001:db8::1', 'address'],
          ['2001:db8:1:2:3::/64', '2001:db8:1:2::/64', 'prefix'],
          ['::ffff:198.51.100.9', '198.51.100.9', 'address'],
          ['198.51.100.10/32', '198.51.100.10', 'address'],
        ];
        for (const [input, key, scope] of cases) {
          const r = await s.add(ban(input, c, MIN));
          assert.equal(r.change, 'added', input);
          assert.deepEqual([r.ban?.key, r.ban?.scope], [key, scope], input);
          assert.equal((await s.get(input))?.key, key, `get(${input})`);
        }
      }));

    it('refuses invalid bans', () =>
      run(async (s, c) => {
        const bad: Array<[string, Partial<StoredBan>]> = [
          ['not-an-ip', {}],
          ['203.0.113.0/33', {}],
          ['203.0.113.0/24', { scope: 'address' }],
          ['203.0.113.7', { untilMs: c.now() }],
          ['203.0.113.7', { untilMs: 1.5 }],
          ['203.0.113.7', { level: -1 }],
          ['203.0.113.7', { source: 'robot' as 'auto' }],
        ];
        for (const [key, over] of bad) await rejectsWithCode(s.add(ban(key, c, MIN, over)), 'BULWARK_ERR_STATE_INVALID');
        assert.equal(s.stats().mirrored, 0);
      }));

    it('upserts: a longer ban wins, a shorter one changes nothing unless replace', () =>
      run(async (s, c) => {
        await s.add(ban('203.0.113.7', c, 10 * MIN, { level: 2 }));
        const shorter = await s.add(ban('203.0.113.7', c, MIN, { level: 1 }));
        assert.equal(shorter.change, 'unchanged');
        assert.equal(shorter.ban?.untilMs, c.now() + 10 * MIN);
        const longer = await s.add(ban('203.0.113.7', c, 60 * MIN, { level: 1, reason: 'again' }));
        assert.equal(longer.change, 'extended');
        assert.deepEqual([longer.ban?.untilMs, longer.ban?.level, longer.ban?.reason], [c.now() + 60 * MIN, 2, 'again']);
        const replaced = await s.add(ban('203.0.113.7', c, MIN, { source: 'manual', by: 'manual' }), { replace: true, actor: 'cli' });
        assert.equal(replaced.change, 'replaced');
        assert.equal((await s.get('203.0.113.7'))?.untilMs, c.now() + MIN);
        c.advance(2 * MIN); // the ban has ended: a new, shorter one is a fresh add
        assert.equal((await s.add(ban('203.0.113.7', c, MIN))).change, 'added');
      }));

    it('answers isBanned for addresses and prefixes from memory, and drops ended bans', () =>
      run(async (s, c) => {
        await s.add(ban('203.0.113.0/24', c, MIN));
        await s.add(ban('2001:db8:1:2::/64', c, 10 * MIN));
        await s.add(ban('198.51.100.9', c, 10 * MIN));
        const t = c.now();
        assert.equal(s.isBanned('203.0.113.99', ['203.0.113.0/24', '203.0.0.0/16'], t), true);
        assert.equal(s.bannedKey('203.0.113.99', ['203.0.113.0/24'], t), '203.0.113.0/24');
        assert.equal(s.isBanned('203.0.114.1', ['203.0.114.0/24', '203.0.0.0/16'], t), false);
        assert.equal(s.isBanned('2001:db8:1:2::77', ['2001:db8:1:2::/64', '2001:db8:1::/48'], t), true);
        assert.equal(s.isBanned('198.51.100.9', [], t), true);
        assert.equal(s.isBanned('198.51.100.9', [], t + 10 * MIN), false, 'the end is exclusive');
        assert.equal(s.isBanned('203.0.113.1', ['203.0.113.0/24'], t + MIN), false);
        assert.equal(s.stats().mirrored, 1, 'ended bans met by lookups leave the mirror');
      }));

    it('matchAddress finds a ban at any prefix length in use', () =>
      run(async (s, c) => {
        await s.add(ban('10.16.0.0/12', c, MIN, { source: 'manual', by: 'manual' }));
        await s.add(ban('2001:db8::/29', c, MIN));
        assert.deepEqual(s.stats().prefixLengths, { v4: [12], v6: [29] });
        assert.equal(s.matchAddress('10.20.1.2', c.now()), '10.16.0.0/12');
        assert.equal(s.matchAddress('10.32.1.2', c.now()), undefined);
        assert.equal(s.matchAddress('2001:dbf::1', c.now()), '2001:db8::/29');
        await s.remove('10.16.0.0/12');
        assert.deepEqual(s.stats().prefixLengths, { v4: [], v6: [29] });
        assert.equal(s.matchAddress('10.20.1.2', c.now()), undefined);
      }));

    it('removes bans by hand (unban)', () =>
      run(async (s, c) => {
        await s.add(ban('203.0.113.7', c, MIN));
        const removed = await s.remove('203.0.113.7', { actor: 'admin', nowMs: c.now() });
        assert.equal(removed?.key, '203.0.113.7');
        assert.equal(await s.remove('203.0.113.7', { nowMs: c.now() }), undefined);
        assert.equal(s.isBanned('203.0.113.7', [], c.now()), false);
        assert.equal(await s.get('203.0.113.7'), undefined);
        await rejectsWithCode(s.remove('nonsense'), 'BULWARK_ERR_STATE_INVALID');
      }));

    it('lists active and ended bans, and purges ended ones', () =>
      run(async (s, c) => {
        await s.add(ban('203.0.113.1', c, MIN));
        await s.add(ban('203.0.113.2', c, 10 * MIN));
        await s.add(ban('203.0.113.3', c, 60 * MIN));
        c.advance(5 * MIN);
        assert.deepEqual((await s.active(c.now())).map((b) => b.key), ['203.0.113.3', '203.0.113.2']);
        assert.equal((await s.list({ nowMs: c.now(), includeExpired: true })).length, 3);
        assert.equal((await s.active(c.now(), { limit: 1 })).length, 1);
        assert.equal(await s.purgeExpired(c.now()), 1);
        assert.equal(await s.get('203.0.113.1'), undefined);
        assert.equal(s.stats().mirrored, 2);
      }));

    it('keeps active bans across a restart', () =>
      run(async (s, c, h) => {
        await s.add(ban('203.0.113.0/24', c, 10 * MIN));
        await s.add(ban('2001:db8::1', c, 10 * MIN, { source: 'manual', by: 'manual' }));
        await s.add(ban('198.51.100.1', c, MIN));
        c.advance(2 * MIN);
        const again = await h.reopen();
        assert.equal(again.isBanned('203.0.113.5', ['203.0.113.0/24'], c.now()), true);
        assert.equal(again.isBanned('2001:db8::1', [], c.now()), true);
        assert.equal(again.isBanned('198.51.100.1', [], c.now()), false);
        assert.equal(again.stats().mirrored, 2, 'ended bans are not loaded');
        assert.equal((await again.get('2001:db8::1'))?.source, 'manual');
      }));

    it('writes every add, extension, replacement and removal to the audit log', () =>
      run(async (s, c) => {
        await s.add(ban('203.0.113.7', c, MIN));
        await s.add(ban('203.0.113.7', c, 10 * MIN), { actor: 'auto' });
        await s.add(ban('203.0.113.7', c, MIN)); // unchanged: not audited
        await s.add(ban('203.0.113.7', c, 2 * MIN, { source: 'manual' }), { replace: true, actor: 'admin' });
        c.advance(1000);
        await s.remove('203.0.113.7', { actor: 'cli', nowMs: c.now() });
        await s.add(ban('198.51.100.1', c, MIN, { source: 'manual', by: 'manual' }));
        const rows = await s.audit({ key: '203.0.113.7' });
        assert.deepEqual(rows.map((r) => [r.action, r.actor]), [['remove', 'cli'], ['replace', 'admin'], ['extend', 'auto'], ['add', 'auto']]);
        assert.equal(rows[0].atMs, c.now());
        assert.equal(rows[0].ban?.untilMs, c.now() - 1000 + 2 * MIN);
        const all = await s.audit();
        assert.equal(all.length, 5);
        assert.equal(all[0].actor, 'manual');
        assert.ok(all[0].id > all[1].id);
        assert.equal((await s.audit({ afterId: all[1].id })).length, 1);
        assert.equal(await s.purgeAudit(c.now()), 3, 'rows strictly older than the cut');
        assert.equal((await s.audit()).length, 2);
      }));

    it('refuses automatic bans beyond the cap, counts them, and never refuses an operator', () =>
      run(
        async (s, c) => {
          for (let i = 1; i <= 3; i++) assert.equal((await s.add(ban(`203.0.113.${i}`, c, i * MIN))).change, 'added');
          const r = await s.add(ban('203.0.113.4', c, MIN));
          assert.equal(r.change, 'refused_full');
          assert.equal(await s.get('203.0.113.4'), undefined, 'a refused ban is not stored either');
          assert.equal(s.stats().refusedFull, 1);
          assert.equal((await s.add(ban('203.0.113.1', c, 9 * MIN))).change, 'extended', 'a known key still updates');
          assert.equal((await s.add(ban('203.0.113.5', c, MIN, { source: 'manual', by: 'manual' }))).change, 'added');
          c.advance(2 * MIN + 1);
          assert.equal((await s.add(ban('203.0.113.6', c, MIN))).change, 'added', 'ended bans make room');
        },
        { maxBans: 3 },
      ));

    it('sync() picks up changes another handle made', () =>
      run(async (s, c, h) => {
        if (h.openPeer === undefined) return;
        const peer = await h.openPeer();
        await peer.add(ban('203.0.113.7', c, MIN, { source: 'manual', by: 'manual' }), { actor: 'cli' });
        assert.equal(s.isBanned('203.0.113.7', [], c.now()), false, 'not yet synced');
        assert.ok((await s.sync()) >= 1);
        assert.equal(s.isBanned('203.0.113.7', [], c.now()), true);
        await peer.remove('203.0.113.7', { actor: 'cli', nowMs: c.now() });
        await s.sync();
        assert.equal(s.isBanned('203.0.113.7', [], c.now()), false);
      }));

    it('agrees with a model under random adds and removes (property)', () =>
      fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ key: fc.constantFrom('203.0.113.1', '203.0.113.0/24', '2001:db8::/64'), dt: fc.integer({ min: 0, max: 5 * MIN }), len: fc.integer({ min: 1, max: 20 * MIN }), remove: fc.boolean() }), { maxLength: 25 }),
          async (ops) =>
            run(async (s, c) => {
              const model = new Map<string, number>();
              for (const op of ops) {
                c.advance(op.dt);
                const key = op.key;
                if (op.remove) {
                  await s.remove(key, { nowMs: c.now() });
                  model.delete(key);
                } else {
                  const prev = model.get(key);
                  const end = c.now() + op.len;
                  await s.add(ban(key, c, op.len));
                  if (prev === undefined || prev <= c.now() || end > prev) model.set(key, end);
                }
                for (const k of ['203.0.113.1', '203.0.113.0/24', '2001:db8::/64']) {
                  const end = model.get(k);
                  const expected = end !== undefined && end > c.now();
                  assert.equal(s.isBanned(k, [], c.now()), expected, k);
                  if (expected) assert.equal((await s.get(k))?.untilMs, end);
                }
              }
            }),
        ),
        { numRuns: 25 },
      ));
  });
}
