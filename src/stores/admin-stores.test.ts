import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openStateStores } from './index.ts';
import { tempStateDir } from './test-support.ts';

const H = (c: string) => c.repeat(64);

function open(options: Parameters<typeof openStateStores>[0] extends infer O ? Partial<O> : never = {}) {
  const dir = tempStateDir();
  const s = openStateStores({ stateDir: dir, onCorrupt: 'refuse', ...options });
  return { s, dir, close: () => (s.close(), fs.rmSync(dir, { recursive: true, force: true })) };
}

test('tokens: live lookup by hash, one live token per name, expiry frees the name, revoke ends sessions, cap', async () => {
  const { s, close } = open({ tokens: { maxTokens: 3 } });
  try {
    const a = await s.tokens.create({ id: 'a', name: 'alice', role: 'admin', hash: H('a'), createdBy: 'test', expiresAtMs: 2000 }, 1000);
    assert.equal((await s.tokens.findByHash(H('a'), 1999))?.id, 'a');
    assert.equal(await s.tokens.findByHash(H('a'), 2000), undefined, 'expired');
    await assert.rejects(s.tokens.create({ id: 'x', name: 'alice', role: 'viewer', hash: H('b'), createdBy: 't', expiresAtMs: null }, 1500), { code: 'BULWARK_ERR_STATE_CONFLICT' });
    await s.tokens.create({ id: 'a2', name: 'alice', role: 'viewer', hash: H('c'), createdBy: 't', expiresAtMs: null }, 2500);
    assert.equal((await s.tokens.get('a'))?.revokedBy, 'expired', 'the expired token was retired to free its name');
    await s.sessions.create({ idHash: H('d'), tokenId: 'a2', csrf: 'x', client: '::1', createdAtMs: 2500, lastSeenAtMs: 2500, expiresAtMs: 9999 });
    assert.equal((await s.tokens.revoke('alice', 'test', 3000))?.id, 'a2');
    assert.equal(await s.sessions.get(H('d')), undefined, 'revoking ends the sessions');
    assert.equal(await s.tokens.revoke('alice', 'test', 3000), undefined);
    assert.equal(await s.tokens.countLive(3000), 0);
    assert.equal((await s.tokens.list(3000, { all: true })).length, 2);
    await s.tokens.create({ id: 'b', name: 'b', role: 'viewer', hash: H('e'), createdBy: 't', expiresAtMs: null }, 4000);
    await s.tokens.create({ id: 'c', name: 'c', role: 'viewer', hash: H('f'), createdBy: 't', expiresAtMs: null }, 4000);
    assert.equal((await s.tokens.list(4000, { all: true })).length, 3, 'the oldest dead token made room');
    await s.tokens.create({ id: 'd', name: 'd', role: 'viewer', hash: H('1'), createdBy: 't', expiresAtMs: null }, 4000);
    await assert.rejects(s.tokens.create({ id: 'e', name: 'e', role: 'viewer', hash: H('2'), createdBy: 't', expiresAtMs: null }, 4000), { code: 'BULWARK_ERR_STATE_FULL' });
    await assert.rejects(s.tokens.create({ id: 'f', name: 'bad name', role: 'viewer', hash: H('3'), createdBy: 't', expiresAtMs: null }, 4000), { code: 'BULWARK_ERR_STATE_INVALID' });
    void a;
  } finally {
    close();
  }
});

test('sessions: capped, least recently seen evicted; purge by absolute and idle expiry', async () => {
  const { s, close } = open({ sessions: { maxSessions: 2 } });
  try {
    await s.tokens.create({ id: 't', name: 't', role: 'viewer', hash: H('a'), createdBy: 't', expiresAtMs: null }, 0);
    const mk = (c: string, seen: number, exp: number) => s.sessions.create({ idHash: H(c), tokenId: 't', csrf: 'x', client: '::1', createdAtMs: 0, lastSeenAtMs: seen, expiresAtMs: exp });
    await mk('1', 10, 1000);
    await mk('2', 20, 1000);
    await s.sessions.touch(H('1'), 30);
    await mk('3', 40, 1000);
    assert.equal(await s.sessions.get(H('2')), undefined, 'least recently seen evicted');
    assert.equal(await s.sessions.count(), 2);
    assert.equal(await s.sessions.purge(100, 65), 1, 'idle since 30');
    assert.equal(await s.sessions.purge(1000, 10_000), 1, 'absolute end');
  } finally {
    close();
  }
});

test('audit: newest first, paging, action prefix, age and row caps, details clipped', async () => {
  const { s, close } = open({ audit: { maxRows: 100 } });
  try {
    for (let i = 0; i < 150; i++) await s.audit.append({ atMs: 1000 + i, actor: 'a', role: 'admin', action: i % 2 ? 'ban.add' : 'login', target: String(i), source: '::1', outcome: 'ok' });
    assert.ok((await s.audit.count()) <= 101, 'within 1% of the cap while appending');
    const page = await s.audit.list({ limit: 10 });
    assert.deepEqual(page.map((e) => e.target), ['149', '148', '147', '146', '145', '144', '143', '142', '141', '140']);
    assert.equal((await s.audit.list({ limit: 3, beforeId: page[9]!.id })).map((e) => e.target).join(), '139,138,137');
    assert.ok((await s.audit.list({ action: 'ban.' })).every((e) => e.action === 'ban.add'));
    assert.equal((await s.audit.list({ sinceMs: 1148 })).length, 2);
    await s.audit.purge(1140);
    assert.equal(await s.audit.count(), 10);
    const big = await s.audit.append({ atMs: 2000, actor: 'a', role: null, action: 'x', target: null, source: 'cli', outcome: 'refused', detail: { reason: 'x'.repeat(10_000) } });
    assert.deepEqual(big.detail, { truncated: true, chars: 10_013 });
  } finally {
    close();
  }
});
