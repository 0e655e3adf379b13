/**
 * The admin plane's authentication over real sockets: every route needs a role (a table-driven walk of
 * the listener's own route list, so a route added without one fails here), browser sessions with CSRF
 * protection, failed logins limited per address, and token revocation taking effect at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { openStateStores } from '../../src/stores/index.ts';
import { roleAllows, type Access } from '../../src/admin/auth/tokens.ts';
import { createTestToken, startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';
import { adminCall } from '../helpers/admin.ts';

/** Routes anyone may call: health, readiness, logging in, and the dashboard's static shell (no data). */
const PUBLIC = new Set(['GET /healthz', 'GET /readyz', 'POST /login', 'GET /', 'GET /assets/*']);

/** The role just below each access level (undefined: nothing is below). */
const BELOW: Record<Exclude<Access, 'public'>, 'metrics' | 'viewer' | 'operator' | undefined> = { metrics: undefined, viewer: 'metrics', operator: 'viewer', admin: 'operator' };

async function withBulwark(fn: (b: TestBulwark) => Promise<void>, extra: Record<string, unknown> = {}): Promise<void> {
  const origin = await startSimpleOrigin();
  const b = await startBulwark({ origin: origin.url, detection: { enabled: true }, ...extra });
  try {
    await fn(b);
  } finally {
    await b.stop();
    await origin.close();
  }
}

function pathOf(p: string): string {
  return p.endsWith('/*') ? `${p.slice(0, -1)}x.js` : p;
}

test('every admin route but health, readiness, login and the static shell refuses anonymous callers and roles below its own', async () => {
  await withBulwark(async (b) => {
    const tokens = {
      metrics: await createTestToken(b.stateDir, 'metrics'),
      viewer: await createTestToken(b.stateDir, 'viewer'),
      operator: await createTestToken(b.stateDir, 'operator'),
      admin: await createTestToken(b.stateDir, 'admin'),
    };
    const routes = b.bulwark.admin!.routes;
    assert.ok(routes.length >= 15, `the walk covers the listener's routes (${routes.length})`);
    const publicSeen = new Set<string>();
    for (const r of routes) {
      const key = `${r.method} ${r.path}`;
      const call = (headers: Record<string, string>) => adminCall(b.adminUrl, { method: r.method, path: pathOf(r.path), headers, headersOnly: r.stream !== undefined, ...(r.method === 'GET' ? {} : { body: {} }) });
      if (r.access === 'public') {
        assert.ok(PUBLIC.has(key), `${key} is public but not in the list of public routes: give it a role`);
        publicSeen.add(key);
        continue;
      }
      const anonymous = await call({});
      assert.equal(anonymous.status, 401, `${key} without credentials: ${anonymous.text}`);
      assert.match(String(anonymous.headers['www-authenticate']), /^Bearer/);
      const wrong = await call({ authorization: 'Bearer bwk_' + 'A'.repeat(43) });
      assert.ok(wrong.status === 401 || wrong.status === 429, `${key} with a wrong token: ${wrong.status}`);
      const below = BELOW[r.access];
      if (below !== undefined) {
        const low = await call(tokens[below].headers);
        assert.equal(low.status, 403, `${key} needs ${r.access}; a ${below} token got ${low.status}`);
        assert.equal(low.json.error, 'BULWARK_ERR_ADMIN_ROLE');
      }
      for (const role of ['metrics', 'viewer', 'operator', 'admin'] as const) {
        if (!roleAllows(role, r.access)) continue;
        const ok = await call(tokens[role].headers);
        assert.ok(ok.status !== 401 && ok.status !== 403, `${key} with a ${role} token: ${ok.status} ${ok.text}`);
      }
      // Each route's wrong-token attempts count against loopback: start clean for the next route.
      b.bulwark.admin!.limiter.succeed('127.0.0.1');
    }
    for (const key of ['GET /healthz', 'GET /readyz', 'POST /login']) assert.ok(publicSeen.has(key), `${key} is a route`);
  });
});

function cookieOf(setCookie: string | string[] | undefined): { header: string; pair: string } {
  const header = Array.isArray(setCookie) ? setCookie[0]! : setCookie!;
  return { header, pair: header.split(';')[0]! };
}

test('browser session: HttpOnly SameSite=Strict cookie; a change needs the CSRF token and same-origin Origin; cross-site form posts fail', async () => {
  await withBulwark(async (b) => {
    const op = await createTestToken(b.stateDir, 'operator', 'alice');
    const own = b.adminUrl;
    const login = await adminCall(own, { method: 'POST', path: '/login', headers: { origin: own }, body: { token: op.secret } });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.json.name, 'alice');
    assert.equal(login.json.role, 'operator');
    const { header, pair } = cookieOf(login.headers['set-cookie']);
    assert.match(header, /; HttpOnly/);
    assert.match(header, /; SameSite=Strict/);
    assert.match(header, /; Path=\//);
    assert.doesNotMatch(header, /Secure/, 'no Secure flag on plain HTTP (the TLS test checks it)');
    const csrf = login.json.csrf as string;
    const ban = { key: '203.0.113.9', duration: '10m' };
    const cookie = { cookie: pair };
    // Reading needs only the cookie.
    const session = await adminCall(own, { path: '/session', headers: cookie });
    assert.equal(session.status, 200);
    assert.equal(session.json.csrf, csrf);
    // Changes: missing token, wrong token, missing Origin, foreign Origin, form post.
    const attempts: Array<[string, Record<string, string>, number, string]> = [
      ['no CSRF token', { ...cookie, origin: own }, 403, 'BULWARK_ERR_ADMIN_CSRF'],
      ['wrong CSRF token', { ...cookie, origin: own, 'x-csrf-token': csrf.slice(0, -1) + (csrf.endsWith('A') ? 'B' : 'A') }, 403, 'BULWARK_ERR_ADMIN_CSRF'],
      ['no Origin', { ...cookie, 'x-csrf-token': csrf }, 403, 'BULWARK_ERR_ADMIN_CSRF'],
      ['foreign Origin', { ...cookie, origin: 'https://attacker.example', 'x-csrf-token': csrf }, 403, 'BULWARK_ERR_ADMIN_ORIGIN'],
    ];
    for (const [why, headers, status, code] of attempts) {
      const r = await adminCall(own, { method: 'POST', path: '/bans', headers, body: ban });
      assert.equal(r.status, status, `${why}: ${r.text}`);
      assert.equal(r.json.error, code, why);
    }
    const form = await adminCall(own, { method: 'POST', path: '/bans', headers: { ...cookie, 'content-type': 'application/x-www-form-urlencoded' }, rawBody: 'key=203.0.113.9&duration=10m' });
    assert.equal(form.status, 415, 'cross-site form post');
    assert.deepEqual((await adminCall(own, { path: '/bans', headers: cookie })).json.bans, []);
    const good = await adminCall(own, { method: 'POST', path: '/bans', headers: { ...cookie, origin: own, 'x-csrf-token': csrf }, body: ban });
    assert.equal(good.status, 201, good.text);
    // The audit log names the token behind the session.
    const audit = await adminCall(own, { path: '/audit', headers: b.adminHeaders });
    const entry = (audit.json.entries as Array<{ actor: string; action: string; target: string; outcome: string; source: string }>).find((e) => e.action === 'ban.add' && e.outcome === 'ok');
    assert.deepEqual(entry && { actor: entry.actor, target: entry.target, source: entry.source }, { actor: 'alice', target: '203.0.113.9', source: '127.0.0.1' });
    // Logout ends the session.
    const out = await adminCall(own, { method: 'POST', path: '/logout', headers: { ...cookie, origin: own, 'x-csrf-token': csrf } });
    assert.equal(out.status, 200);
    assert.equal((await adminCall(own, { path: '/session', headers: cookie })).status, 401);
    // A metrics token cannot log in.
    const m = await createTestToken(b.stateDir, 'metrics');
    assert.equal((await adminCall(own, { method: 'POST', path: '/login', body: { token: m.secret } })).status, 401);
  });
});

/** A login from a given loopback source address. */
function loginFrom(baseUrl: string, localAddress: string, token: string): Promise<{ status: number; retryAfter: string | undefined }> {
  const url = new URL(baseUrl);
  const body = JSON.stringify({ token });
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/login', localAddress, agent: false, headers: { host: url.host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('password guessing: failed logins are limited per address (429 + Retry-After), logged in the audit, other addresses unaffected', async () => {
  await withBulwark(
    async (b) => {
      const good = await createTestToken(b.stateDir, 'viewer', 'bob');
      const guess = 'bwk_' + 'g'.repeat(43);
      for (let i = 0; i < 3; i++) assert.equal((await loginFrom(b.adminUrl, '127.0.0.7', guess)).status, 401);
      const limited = await loginFrom(b.adminUrl, '127.0.0.7', guess);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.retryAfter) > 0);
      assert.equal((await loginFrom(b.adminUrl, '127.0.0.7', good.secret)).status, 429, 'even the right token waits');
      // Bearer guessing counts against the same limit.
      const bearer = await adminCall(b.adminUrl, { path: '/stats', headers: { authorization: `Bearer ${good.secret}` } });
      assert.equal(bearer.status, 200, 'another address (127.0.0.1) is not limited');
      assert.equal((await loginFrom(b.adminUrl, '127.0.0.8', good.secret)).status, 200);
      const audit = (await adminCall(b.adminUrl, { path: '/audit?action=login', headers: b.adminHeaders })).json.entries as Array<{ outcome: string; source: string }>;
      assert.equal(audit.filter((e) => e.outcome === 'refused' && e.source === '127.0.0.7').length, 3);
      assert.equal(audit.filter((e) => e.outcome === 'ok' && e.source === '127.0.0.8').length, 1);
    },
    { admin: { listen: '127.0.0.1:0', login: { max_failures: 3, window: '10m' } } },
  );
});

test('stolen token revoked: `tokens revoke` ends its Bearer use and its browser sessions at once', async () => {
  await withBulwark(async (b) => {
    const t = await createTestToken(b.stateDir, 'operator', 'carol');
    const login = await adminCall(b.adminUrl, { method: 'POST', path: '/login', body: { token: t.secret } });
    const pair = cookieOf(login.headers['set-cookie']).pair;
    assert.equal((await adminCall(b.adminUrl, { path: '/stats', headers: t.headers })).status, 200);
    assert.equal((await adminCall(b.adminUrl, { path: '/session', headers: { cookie: pair } })).status, 200);
    // Revoked by another process on the same state database (the CLI does exactly this).
    const other = openStateStores({ stateDir: b.stateDir, onCorrupt: 'refuse' });
    await other.tokens.revoke('carol', 'cli:test', Date.now());
    other.close();
    assert.equal((await adminCall(b.adminUrl, { path: '/stats', headers: t.headers })).status, 401);
    assert.equal((await adminCall(b.adminUrl, { path: '/session', headers: { cookie: pair } })).status, 401);
    // Through the API: an admin revokes a token, and it stops at once too.
    const d = await createTestToken(b.stateDir, 'viewer', 'dave');
    assert.equal((await adminCall(b.adminUrl, { path: '/stats', headers: d.headers })).status, 200);
    const r = await adminCall(b.adminUrl, { method: 'DELETE', path: '/tokens?name=dave', headers: b.adminHeaders });
    assert.equal(r.status, 200, r.text);
    assert.equal((await adminCall(b.adminUrl, { path: '/stats', headers: d.headers })).status, 401);
  });
});

test('tokens API: an admin creates a token whose secret is shown once and works at once; lists never show secrets', async () => {
  await withBulwark(async (b) => {
    const created = await adminCall(b.adminUrl, { method: 'POST', path: '/tokens', headers: b.adminHeaders, body: { name: 'grafana', role: 'viewer', expires: '90d' } });
    assert.equal(created.status, 201, created.text);
    const secret = created.json.secret as string;
    assert.match(secret, /^bwk_[A-Za-z0-9_-]{43}$/);
    assert.equal((await adminCall(b.adminUrl, { path: '/stats', headers: { authorization: `Bearer ${secret}` } })).status, 200);
    const list = await adminCall(b.adminUrl, { path: '/tokens', headers: b.adminHeaders });
    assert.ok(!list.text.includes(secret.slice(4)), 'no secret in the list');
    assert.ok(!/"hash"/.test(list.text), 'no hash in the list');
    const g = (list.json.tokens as Array<{ name: string; role: string; expires: string }>).find((x) => x.name === 'grafana')!;
    assert.equal(g.role, 'viewer');
    assert.ok(Date.parse(g.expires) > Date.now() + 89 * 86_400_000);
    const audit = (await adminCall(b.adminUrl, { path: '/audit?action=token.', headers: b.adminHeaders })).json.entries as Array<{ action: string; target: string; detail: unknown }>;
    assert.equal(audit[0]!.action, 'token.create');
    assert.equal(audit[0]!.target, 'grafana');
    assert.ok(!JSON.stringify(audit).includes(secret.slice(4)), 'no secret in the audit log');
  });
});
