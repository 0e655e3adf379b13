/**
 * `shared_state` → ioredis options (credentials, database, TLS, Sentinel), the config's validation, and a
 * real TLS connection (rediss://) to a redis-server with a certificate made for the test.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sharedStateSchema, type SharedStateConfig } from '../../config/scale-schema.ts';
import { createRedisBanStore } from './redis-ban-store.ts';
import { keyspaceOf, redisOptionsOf } from './redis-connection.ts';
import { createRedisHub } from './redis-hub.ts';
import { freePort, REDIS_SERVER_PATH, redisUnavailable } from './test-redis.ts';

const parse = (input: unknown): SharedStateConfig => sharedStateSchema.parse(input);

describe('shared_state options', () => {
  it('reads credentials and the database from the URL, or the password from a file', () => {
    const o = redisOptionsOf(parse('redis://bulwark:p%40ss@10.0.0.5:6380/2'), 'commands');
    assert.deepEqual([o.host, o.port, o.username, o.password, o.db, o.enableOfflineQueue, o.tls], ['10.0.0.5', 6380, 'bulwark', 'p@ss', 2, false, undefined]);
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-redis-'));
    try {
      writeFileSync(join(dir, 'pw'), 'from-file\n');
      const f = redisOptionsOf(parse({ url: 'redis://127.0.0.1', password_file: join(dir, 'pw') }), 'subscriber');
      assert.deepEqual([f.port, f.password, f.enableOfflineQueue], [6379, 'from-file', true]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('turns TLS on for rediss://, and asks sentinels for the master', () => {
    const t = redisOptionsOf(parse('rediss://redis.example.org:6380'), 'commands');
    assert.deepEqual(t.tls, { servername: 'redis.example.org' });
    const s = redisOptionsOf(parse({ url: 'redis://:pw@ignored:1/1', sentinels: ['10.0.0.1:26379', '[2001:db8::1]:26379'], sentinel_master: 'shield' }), 'commands');
    assert.deepEqual([s.sentinels, s.name, s.password, s.sentinelPassword, s.db], [[{ host: '10.0.0.1', port: 26379 }, { host: '2001:db8::1', port: 26379 }], 'shield', 'pw', 'pw', 1]);
  });

  it('refuses what cannot work, naming the key', () => {
    const bad: Array<[unknown, string]> = [
      ['http://127.0.0.1:6379', 'redis://'],
      [{ url: 'redis://127.0.0.1', tls: { ca: '/x' } }, 'rediss://'],
      [{ url: 'redis://127.0.0.1', sentinels: ['a:1'], cluster: ['b:2'] }, 'not both'],
      [{ url: 'rediss://127.0.0.1', tls: { cert: '/c' } }, 'together'],
      [{ url: 'redis://127.0.0.1', namespace: 'has space' }, 'namespace'],
    ];
    for (const [input, message] of bad) {
      const r = sharedStateSchema.safeParse(input);
      assert.equal(r.success, false, JSON.stringify(input));
      assert.match(JSON.stringify(r.error?.issues), new RegExp(message), JSON.stringify(input));
    }
    assert.equal(keyspaceOf('prod'), 'bulwark:{prod}');
  });

  it('refuses a script that names no key (a Cluster client would send it to any master; only one serves the namespace)', async () => {
    const hub = createRedisHub(parse({ url: 'redis://127.0.0.1:1', cluster: ['127.0.0.1:1'] }));
    try {
      assert.throws(() => hub.script('return 1', 0), /at least one key/);
      await assert.rejects(hub.script('return 2', null)([], []), /at least one key/);
      await assert.rejects(hub.script('return 3', 2)(['bulwark:{t}:a'], ['x']), /takes 2 keys, got 1/);
    } finally {
      await hub.close();
    }
  });

  it('connects over TLS with the CA of the server certificate (rediss://)', { skip: redisUnavailable() ?? undefined }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-redis-tls-'));
    const port = await freePort();
    const f = (n: string) => join(dir, n);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=test-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'));
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'));
    writeFileSync(f('ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('ext'), '-out', f('server.pem'));
    const child = spawn(REDIS_SERVER_PATH, ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', f('server.pem'), '--tls-key-file', f('server.key'), '--tls-ca-cert-file', f('ca.pem'), '--tls-auth-clients', 'no', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const hub = createRedisHub(parse({ url: `rediss://127.0.0.1:${port}`, tls: { ca: f('ca.pem') }, namespace: 'tls' }));
    try {
      assert.equal(await hub.connect(8000), true, `TLS connection failed: ${hub.stats().last_error}`);
      const bans = await createRedisBanStore(hub);
      const now = Date.now();
      assert.equal((await bans.add({ key: '198.51.100.3', scope: 'address', reason: 'tls', by: 'manual', level: 0, createdAtMs: now, untilMs: now + 60_000, source: 'manual' })).change, 'added');
      const plain = createRedisHub(parse({ url: `rediss://127.0.0.1:${port}`, namespace: 'tls' }));
      assert.equal(await plain.connect(1000), false, 'without the CA the self-made certificate is refused');
      await plain.close();
    } finally {
      await hub.close();
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
