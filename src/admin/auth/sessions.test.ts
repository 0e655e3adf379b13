import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openStateStores } from '../../stores/index.ts';
import { tempStateDir } from '../../stores/test-support.ts';
import { createSessionManager, readCookie } from './sessions.ts';
import { issueToken } from './tokens.ts';

async function setup() {
  const dir = tempStateDir();
  const state = openStateStores({ stateDir: dir, onCorrupt: 'refuse' });
  const sessions = createSessionManager({ tokens: state.tokens, sessions: state.sessions, idleMs: 30 * 60_000, maxMs: 12 * 3_600_000, secure: true, port: 9901 });
  return { state, sessions, close: () => (state.close(), fs.rmSync(dir, { recursive: true, force: true })) };
}

const T0 = 1_700_000_000_000;

test('session expiry: idle, absolute, the token expiring or revoked, another address', async () => {
  const { state, sessions, close } = await setup();
  try {
    const { token } = await issueToken(state.tokens, { name: 'alice', role: 'operator', expiresInMs: 24 * 3_600_000, by: 'test' }, T0);
    const cases: Array<[string, (c: string) => Promise<unknown>]> = [
      ['active after 29 minutes', (c) => sessions.resolve(c, '192.0.2.1', T0 + 29 * 60_000)],
      ['idle after 30 minutes without a request', (c) => sessions.resolve(c, '192.0.2.1', T0 + 30 * 60_000)],
      ['another address', (c) => sessions.resolve(c, '192.0.2.2', T0 + 60_000)],
    ];
    const results: Record<string, unknown> = {};
    for (const [name, run] of cases) {
      const { cookie } = await sessions.start(token, '192.0.2.1', T0);
      const r = await run(cookie);
      results[name] = typeof r === 'string' ? r : 'ok';
    }
    assert.deepEqual(results, { 'active after 29 minutes': 'ok', 'idle after 30 minutes without a request': 'idle', 'another address': 'client' });

    // Kept alive by requests every 20 minutes, it still ends 12 hours after login.
    const { cookie } = await sessions.start(token, '192.0.2.1', T0);
    let t = T0;
    for (; t < T0 + 12 * 3_600_000 - 20 * 60_000; t += 20 * 60_000) assert.notEqual(typeof (await sessions.resolve(cookie, '192.0.2.1', t)), 'string', `alive at +${(t - T0) / 60_000} min`);
    assert.equal(await sessions.resolve(cookie, '192.0.2.1', T0 + 12 * 3_600_000), 'expired');
    assert.equal(await sessions.resolve(cookie, '192.0.2.1', T0 + 12 * 3_600_000 + 1), 'unknown', 'deleted once expired');

    // A session never outlives its token.
    const short = await issueToken(state.tokens, { name: 'bob', role: 'viewer', expiresInMs: 3_600_000, by: 'test' }, T0);
    const s = await sessions.start(short.token, '192.0.2.1', T0 + 3_000_000);
    assert.equal(s.session.expiresAtMs, T0 + 3_600_000);
    // Revoking the token ends its sessions at once.
    const r = await sessions.start(token, '192.0.2.1', T0);
    await state.tokens.revoke('alice', 'test', T0 + 1000);
    assert.equal(await sessions.resolve(r.cookie, '192.0.2.1', T0 + 2000), 'unknown');
    assert.equal(await sessions.resolve('not-a-cookie', '192.0.2.1', T0), 'unknown');
  } finally {
    close();
  }
});

test('cookie attributes and CSRF comparison', async () => {
  const { state, sessions, close } = await setup();
  try {
    const { token } = await issueToken(state.tokens, { name: 'alice', role: 'viewer', expiresInMs: null, by: 'test' }, T0);
    const { cookie, session } = await sessions.start(token, '::1', T0);
    assert.equal(sessions.cookieName, '__Host-bulwark_admin_9901');
    assert.equal(sessions.setCookie(cookie, session, T0), `__Host-bulwark_admin_9901=${cookie}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict; Secure`);
    assert.match(sessions.clearCookie(), /Max-Age=0/);
    assert.equal(readCookie(`a=1; __Host-bulwark_admin_9901=${cookie}; b=2`, sessions.cookieName), cookie);
    assert.equal(sessions.csrfMatches(session, session.csrf), true);
    for (const bad of [undefined, '', session.csrf.slice(1), session.csrf + 'x', 'x'.repeat(session.csrf.length)]) assert.equal(sessions.csrfMatches(session, bad), false);
  } finally {
    close();
  }
});
