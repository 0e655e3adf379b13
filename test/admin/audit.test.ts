/**
 * The audit log: every state change through the admin API (walked from the listener's own route list,
 * so a new state-changing route that skips the audit fails here), through the CLI, and the config
 * reloads, each with who, what, when, from where and how it ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { changesState } from '../../src/admin/route-types.ts';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';
import { adminCall } from '../helpers/admin.ts';

const BIN = fileURLToPath(new URL('../../bin/bulwark.js', import.meta.url));

interface Row {
  id: number;
  time: string;
  actor: string;
  action: string;
  target: string | null;
  source: string;
  outcome: string;
  detail: any;
}

async function auditRows(b: TestBulwark, query = ''): Promise<Row[]> {
  const r = await adminCall(b.adminUrl, { path: `/audit?limit=1000${query}`, headers: b.adminHeaders });
  assert.equal(r.status, 200, r.text);
  return r.json.entries as Row[];
}

test('every state-changing admin route writes one audit row (who, what, when, where, outcome)', async () => {
  const origin = await startSimpleOrigin();
  const b = await startBulwark({ origin: origin.url, detection: { enabled: true } });
  try {
    const me = (await adminCall(b.adminUrl, { path: '/session', headers: b.adminHeaders })).json.name as string;
    const changing = b.bulwark.admin!.routes.filter((r) => changesState(r.method));
    assert.ok(changing.length >= 8, `${changing.length} state-changing routes`);
    for (const r of changing) {
      const before = (await auditRows(b)).length;
      const t0 = Date.now();
      const answer = await adminCall(b.adminUrl, { method: r.method, path: r.path, headers: b.adminHeaders, body: {} });
      const rows = await auditRows(b);
      assert.equal(rows.length, before + 1, `${r.method} ${r.path} (${answer.status}) wrote one audit row`);
      const row = rows[0]!;
      assert.equal(row.source, '127.0.0.1', `${r.method} ${r.path}: where`);
      assert.ok(Date.parse(row.time) >= t0 - 1000, 'when');
      assert.equal(row.outcome, answer.status < 400 ? 'ok' : 'refused', `${r.method} ${r.path}: outcome of ${answer.status}`);
      if (r.path !== '/login') assert.equal(row.actor, me, `${r.method} ${r.path}: who`);
    }
    // Real changes, with what was done.
    const call = (method: string, path: string, body?: unknown) => adminCall(b.adminUrl, { method, path, headers: b.adminHeaders, ...(body ? { body } : {}) });
    assert.equal((await call('POST', '/bans', { key: '203.0.113.0/24', duration: '1h', reason: 'flood' })).status, 201);
    assert.equal((await call('DELETE', '/bans?key=203.0.113.0/24')).status, 200);
    assert.equal((await call('POST', '/mode', { site: 'test', level: 'under_attack', duration: '10m', reason: 'drill' })).status, 200);
    assert.equal((await call('POST', '/mode', { site: 'test', level: 'auto' })).status, 200);
    assert.equal((await call('POST', '/tokens', { name: 'ci', role: 'viewer' })).status, 201);
    assert.equal((await call('DELETE', '/tokens?name=ci')).status, 200);
    const rows = (await auditRows(b)).filter((x) => x.outcome === 'ok').slice(0, 6).reverse();
    assert.deepEqual(
      rows.map((x) => [x.action, x.target]),
      [['ban.add', '203.0.113.0/24'], ['ban.remove', '203.0.113.0/24'], ['level.override', 'test'], ['level.override', 'test'], ['token.create', 'ci'], ['token.revoke', 'ci']],
    );
    assert.equal(rows[0]!.detail.request.reason, 'flood');
    assert.equal(rows[2]!.detail.request.level, 'under_attack');
    // A reload through the composition root is audited too.
    b.bulwark.reload(b.config, 'signal:SIGHUP');
    const reload = (await auditRows(b, '&action=config.'))[0]!;
    assert.deepEqual([reload.action, reload.actor, reload.outcome], ['config.reload', 'signal:SIGHUP', 'ok']);
  } finally {
    await b.stop();
    await origin.close();
  }
});

test('CLI changes are audited as cli:<user>, and `bulwark audit --json` shows them', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'bulwark-audit-cli-'));
  const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args, '--state-dir', stateDir], { encoding: 'utf8', timeout: 60_000 });
  const created = run(['tokens', 'create', 'alice', '--role', 'operator', '--expires', '90d']);
  assert.equal(created.status, 0, created.stderr);
  const secret = created.stdout.trim();
  assert.match(secret, /^bwk_[A-Za-z0-9_-]{43}$/, 'only the secret on stdout');
  const list = run(['tokens', 'list']);
  assert.match(list.stdout, /alice\s+operator\s+live/);
  assert.ok(!list.stdout.includes(secret.slice(4)), 'tokens list never shows a secret');
  assert.equal(run(['ban', '203.0.113.7', '--for', '1h', '--reason', 'scraper']).status, 0);
  assert.notEqual(run(['ban', '0.0.0.0/0']).status, 0);
  assert.equal(run(['unban', '203.0.113.7']).status, 0);
  assert.equal(run(['mode', 'news', 'under_attack', '--for', '5m']).status, 0);
  assert.equal(run(['tokens', 'revoke', 'alice']).status, 0);
  const audit = run(['audit', '--json']);
  assert.equal(audit.status, 0, audit.stderr);
  const entries = (JSON.parse(audit.stdout) as { entries: Row[] }).entries.reverse();
  const who = `cli:${userInfo().username}`;
  assert.deepEqual(
    entries.map((e) => [e.actor, e.action, e.target, e.outcome]),
    [
      [who, 'token.create', 'alice', 'ok'],
      [who, 'ban.add', '203.0.113.7', 'ok'],
      [who, 'ban.add', '0.0.0.0/0', 'refused'],
      [who, 'ban.remove', '203.0.113.7', 'ok'],
      [who, 'level.override', 'news', 'ok'],
      [who, 'token.revoke', 'alice', 'ok'],
    ],
  );
  assert.ok(entries.every((e) => e.source === 'cli' || /\d/.test(e.source)));
  const text = run(['audit', '--action', 'ban.']);
  assert.equal(text.stdout.trim().split('\n').length, 4, 'header and three ban rows');
});
