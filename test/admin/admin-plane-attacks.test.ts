/**
 * Attacks that turn the admin plane against the site it protects, over real sockets: a web page in the
 * operator's browser (cross-site POST, form post), a DNS-rebinding name pointing at 127.0.0.1, and a ban
 * that covers everyone. Each test sends the request exactly as the attacking browser would and then
 * checks that nothing changed: no ban stored, no level override, loopback clients still served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { openStateStores } from '../../src/stores/index.ts';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';
import { adminCall, type AdminCall } from '../helpers/admin.ts';

const BIN = fileURLToPath(new URL('../../bin/bulwark.js', import.meta.url));

/** A request as the operator's own tools send it (credentials, when the admin plane has them). */
function asOperator(b: TestBulwark, call: AdminCall) {
  return adminCall(b.adminUrl, { ...call, headers: { ...b.adminHeaders, ...call.headers } });
}

async function storedBans(b: TestBulwark): Promise<string[]> {
  const r = await asOperator(b, { path: '/bans' });
  assert.equal(r.status, 200, r.text);
  return (r.json.bans as Array<{ key: string }>).map((x) => x.key);
}

async function servedFromLoopback(b: TestBulwark): Promise<boolean> {
  const res = await request(`${b.url}/`);
  await res.body.dump();
  return res.statusCode === 200;
}

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

const EVERYONE = { key: '0.0.0.0/0', duration: '7d', reason: 'pwned' };

test('DNS rebinding: a page on a name that resolves to 127.0.0.1 cannot ban everyone through the admin listener', async () => {
  await withBulwark(async (b) => {
    const port = new URL(b.adminUrl).port;
    for (const host of [`rebind.attacker.example:${port}`, `attacker.example`, `127.0.0.1.attacker.example:${port}`, `127.0.0.1:${Number(port) + 1}`]) {
      const r = await asOperator(b, { method: 'POST', path: '/bans', headers: { host }, body: EVERYONE });
      assert.equal(r.status, 421, `Host ${host}: ${r.text}`);
      assert.equal(r.json.error, 'BULWARK_ERR_ADMIN_HOST');
      const read = await asOperator(b, { path: '/stats', headers: { host } });
      assert.equal(read.status, 421, `a rebound name cannot read /stats either (Host ${host})`);
    }
    assert.deepEqual(await storedBans(b), []);
    assert.equal(await servedFromLoopback(b), true);
    // The listener's own names still work.
    assert.equal((await asOperator(b, { path: '/bans', headers: { host: `localhost:${port}` } })).status, 200);
  });
});

test('cross-site POST to the admin listener from a web page (foreign Origin) is refused: no ban, no level pinned to normal', async () => {
  await withBulwark(async (b) => {
    const port = new URL(b.adminUrl).port;
    const origins = ['https://attacker.example', 'null', `http://127.0.0.1:${b.port}`, `https://127.0.0.1:${port}`, `http://localhost:${Number(port) + 1}`];
    for (const origin of origins) {
      const ban = await asOperator(b, { method: 'POST', path: '/bans', headers: { origin }, body: EVERYONE });
      assert.equal(ban.status, 403, `Origin ${origin}: ${ban.text}`);
      assert.equal(ban.json.error, 'BULWARK_ERR_ADMIN_ORIGIN');
      const mode = await asOperator(b, { method: 'POST', path: '/mode', headers: { origin }, body: { site: 'test', level: 'normal', duration: '7d' } });
      assert.equal(mode.status, 403, `Origin ${origin} on /mode: ${mode.text}`);
    }
    // Fetch metadata alone (a browser that omits Origin) is enough to refuse.
    const meta = await asOperator(b, { method: 'POST', path: '/bans', headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }, body: EVERYONE });
    assert.equal(meta.status, 403);
    assert.deepEqual(await storedBans(b), []);
    const detection = await asOperator(b, { path: '/detection' });
    assert.equal(detection.json.sites.test?.override ?? null, null, 'no override was set');
    assert.equal(await servedFromLoopback(b), true);
  });
});

test('cross-site form post to the admin listener (text/plain, urlencoded, multipart, no Content-Type) is refused before its body is read', async () => {
  await withBulwark(async (b) => {
    const bodies: Array<[string | undefined, string]> = [
      ['text/plain', JSON.stringify(EVERYONE)],
      ['text/plain;charset=UTF-8', JSON.stringify(EVERYONE)],
      ['application/x-www-form-urlencoded', 'key=0.0.0.0%2F0&duration=7d'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="key"\r\n\r\n0.0.0.0/0\r\n--x--\r\n'],
      ['application/json-seq', JSON.stringify(EVERYONE)],
      [undefined, JSON.stringify(EVERYONE)],
    ];
    for (const [type, rawBody] of bodies) {
      const r = await asOperator(b, { method: 'POST', path: '/bans', headers: type === undefined ? {} : { 'content-type': type }, rawBody });
      assert.equal(r.status, 415, `${type}: ${r.text}`);
      assert.equal(r.json.error, 'BULWARK_ERR_ADMIN_CONTENT_TYPE');
    }
    assert.deepEqual(await storedBans(b), []);
    // The same request as JSON from the operator's own tools reaches the route (and is refused there: too wide).
    const json = await asOperator(b, { method: 'POST', path: '/bans', body: EVERYONE });
    assert.equal(json.status, 400);
    assert.equal(json.json.error, 'BULWARK_ERR_BAN_TOO_WIDE');
  });
});

test('ban covering everyone: the admin API refuses 0.0.0.0/0, ::/0, loopback, allow lists and trusted proxies unless forced', async () => {
  await withBulwark(
    async (b) => {
      const refused = ['0.0.0.0/0', '::/0', '0.0.0.0/1', '64.0.0.0/2', '10.0.0.0/7', '2001::/15', '127.0.0.0/8', '127.0.0.1', '127.0.0.0/16', '::1', '::ffff:127.0.0.1', '198.51.0.0/16', '198.51.100.7', '192.0.2.0/24'];
      for (const key of refused) {
        const r = await asOperator(b, { method: 'POST', path: '/bans', body: { key, duration: '1h' } });
        assert.equal(r.status, 400, `${key}: ${r.text}`);
        assert.equal(r.json.error, 'BULWARK_ERR_BAN_TOO_WIDE', key);
      }
      assert.deepEqual(await storedBans(b), []);
      assert.equal(await servedFromLoopback(b), true);
      // A host or a plausible network is accepted.
      for (const key of ['203.0.113.7', '203.0.113.0/24', '2001:db8:1::/48', '11.0.0.0/8']) {
        const r = await asOperator(b, { method: 'POST', path: '/bans', body: { key, duration: '1h' } });
        assert.equal(r.status, 201, `${key}: ${r.text}`);
      }
      // An explicit force is obeyed (and the operator can lift it again).
      const forced = await asOperator(b, { method: 'POST', path: '/bans', body: { key: '198.51.100.0/24', duration: '1m', force: true } });
      assert.equal(forced.status, 201, forced.text);
      const lifted = await asOperator(b, { method: 'DELETE', path: `/bans?key=${encodeURIComponent('198.51.100.0/24')}` });
      assert.equal(lifted.status, 200);
    },
    { lists: { allow: ['198.51.100.0/24'] }, trusted_proxies: ['192.0.2.10'] },
  );
});

test('ban covering everyone: the CLI refuses `bulwark ban 0.0.0.0/0` unless --force', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'bulwark-ban-cli-'));
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--state-dir', stateDir], { encoding: 'utf8', timeout: 60_000 });
  for (const key of ['0.0.0.0/0', '::/0', '127.0.0.1', '127.0.0.0/8', '1.0.0.0/7']) {
    const r = run(['ban', key, '--for', '1h']);
    assert.notEqual(r.status, 0, `${key}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /BULWARK_ERR_BAN_TOO_WIDE/);
  }
  const ok = run(['ban', '203.0.113.0/24', '--for', '1h']);
  assert.equal(ok.status, 0, ok.stderr);
  const forced = run(['ban', '0.0.0.0/0', '--for', '1m', '--force']);
  assert.equal(forced.status, 0, forced.stderr);
  const state = openStateStores({ stateDir, onCorrupt: 'refuse' });
  try {
    const list = await state.bans.active(Date.now());
    assert.deepEqual(list.map((x) => x.key).sort(), ['0.0.0.0/0', '203.0.113.0/24']);
  } finally {
    state.close();
  }
});
