/**
 * SQLite-specific behaviour of the ban store and the pieces under it (key canonicalisation, mirror). The
 * behaviour every implementation shares is in conformance/ban-store-conformance.ts.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { parseBanKey } from './ban-key.ts';
import { createBanMirror } from './ban-mirror.ts';
import { createSqliteBanStore } from './ban-store.ts';
import { openStateDatabase } from './database.ts';
import type { StoredBan } from './types.ts';
import { tempStateDir } from './test-support.ts';

const T = Date.UTC(2026, 10, 28);

function ban(key: string, untilMs: number, source: StoredBan['source'] = 'auto'): StoredBan {
  return { key, scope: key.includes('/') ? 'prefix' : 'address', reason: 'r', by: source === 'auto' ? 'limit/x' : 'manual', level: 1, createdAtMs: T, untilMs, source };
}

describe('parseBanKey', () => {
  const cases: Array<[string, string | null, string?]> = [
    ['203.0.113.7', '203.0.113.7', 'address'],
    [' 203.0.113.7', null],
    ['203.0.113.7/24', '203.0.113.0/24', 'prefix'],
    ['0.0.0.0/0', '0.0.0.0/0', 'prefix'],
    ['2001:0db8::0001', '2001:db8::1', 'address'],
    ['[2001:db8::1]', '2001:db8::1', 'address'],
    ['2001:db8::1/128', '2001:db8::1', 'address'],
    ['::ffff:203.0.113.0/120', '203.0.113.0/24', 'prefix'],
    ['203.0.113.7/', null],
    ['example.org', null],
    ['', null],
  ];
  for (const [input, key, scope] of cases) {
    it(JSON.stringify(input), () => {
      const k = parseBanKey(input);
      assert.deepEqual(k === null ? null : [k.key, k.scope], key === null ? null : [key, scope]);
    });
  }
});

describe('createBanMirror', () => {
  it('answers from memory, drops ended entries it meets, tracks prefix lengths', () => {
    const m = createBanMirror(10);
    m.set('203.0.113.0/24', T + 10);
    m.set('198.51.100.7', T + 5);
    m.set('2001:db8::/48', T + 10);
    assert.deepEqual(m.prefixLengths(), { v4: [24], v6: [48] });
    assert.equal(m.bannedKey('203.0.113.9', ['203.0.113.0/24'], T), '203.0.113.0/24');
    assert.equal(m.matchAddress('2001:db8:0:5::1', T), '2001:db8::/48');
    assert.equal(m.bannedKey('198.51.100.7', [], T + 5), undefined);
    assert.equal(m.size(), 2);
    assert.equal(m.purgeExpired(T + 10), 2);
    assert.deepEqual(m.prefixLengths(), { v4: [], v6: [] });
    assert.equal(m.matchAddress('203.0.113.9', T), undefined);
  });

  it('reports full at the cap', () => {
    const m = createBanMirror(2);
    m.set('203.0.113.1', T + 1);
    assert.equal(m.isFull(), false);
    m.set('203.0.113.2', T + 1);
    assert.equal(m.isFull(), true);
    m.set('203.0.113.2', T + 2); // replacing does not grow
    assert.equal(m.size(), 2);
  });
});

describe('SQLite ban store', () => {
  it('loads manual bans first and counts the automatic ones that no longer fit under a smaller cap', async () => {
    const stateDir = tempStateDir();
    try {
      const a = openStateDatabase({ stateDir });
      const big = createSqliteBanStore(a, { clock: () => T });
      for (let i = 1; i <= 4; i++) await big.add(ban(`203.0.113.${i}`, T + i * 1000));
      await big.add(ban('198.51.100.0/24', T + 500, 'manual'));
      a.close();
      const b = openStateDatabase({ stateDir });
      const small = createSqliteBanStore(b, { clock: () => T, maxBans: 3 });
      assert.deepEqual(small.stats().mirrored, 3);
      assert.equal(small.stats().notLoaded, 2);
      assert.equal(small.isBanned('198.51.100.1', ['198.51.100.0/24'], T), true, 'the manual ban');
      assert.equal(small.isBanned('203.0.113.4', [], T), true, 'the longest automatic ban');
      assert.equal(small.isBanned('203.0.113.1', [], T), false, 'the shortest did not fit');
      b.close();
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('trims the audit log to its cap when purging', async () => {
    const stateDir = tempStateDir();
    try {
      const db = openStateDatabase({ stateDir });
      const s = createSqliteBanStore(db, { clock: () => T, maxAuditRows: 3 });
      for (let i = 1; i <= 6; i++) await s.add(ban(`203.0.113.${i}`, T + 1000));
      await s.purgeExpired(T);
      assert.deepEqual((await s.audit()).map((r) => r.key), ['203.0.113.6', '203.0.113.5', '203.0.113.4']);
      db.close();
    } finally {
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
