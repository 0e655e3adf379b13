import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { ATTACKER_BLOCK, VISITOR_BLOCK, connectRaw, createSourcePool, requireIPv4Target, roleOfAddress, sourceAddress, sourceAddresses } from './source-pool.ts';
import { startOriginFixture } from './origin-fixture.ts';
import type { EchoAnswer } from './origin-fixture-routes.ts';

test('sourceAddress: table per spread', () => {
  const table: ReadonlyArray<readonly [number, Parameters<typeof sourceAddress>[1], string]> = [
    [0, {}, '127.1.0.1'],
    [253, {}, '127.1.0.254'],
    [254, {}, '127.1.1.1'],
    [254 * 256, {}, '127.2.0.1'],
    [0, { spread: 'same_24', block: 9 }, '127.9.0.1'],
    [253, { spread: 'same_24' }, '127.1.0.254'],
    [0, { spread: 'many_24' }, '127.1.0.1'],
    [1, { spread: 'many_24' }, '127.1.1.2'],
    [256, { spread: 'many_24' }, '127.2.0.3'],
    [0, { block: VISITOR_BLOCK }, '127.250.0.1'],
  ];
  for (const [i, range, expected] of table) assert.equal(sourceAddress(i, range), expected, `${i} ${JSON.stringify(range)}`);
});

test('sourceAddress: never 127.0.0.0/24, .0 or .255, all distinct; range errors', () => {
  for (const spread of ['per_address', 'many_24'] as const) {
    const all = sourceAddresses(5000, { spread });
    assert.equal(new Set(all).size, 5000);
    for (const a of all) {
      const [, b, c, d] = a.split('.').map(Number);
      assert.ok(!(b === 0 && c === 0), a);
      assert.ok(d >= 1 && d <= 254, a);
    }
  }
  const many = sourceAddresses(1000, { spread: 'many_24' });
  assert.equal(new Set(many.map((a) => a.split('.').slice(0, 3).join('.'))).size, 1000, 'one /24 each');
  assert.throws(() => sourceAddress(254, { spread: 'same_24' }), { code: 'BULWARK_ERR_DRILL_SOURCE_RANGE' });
  assert.throws(() => sourceAddress(6 * 256, { spread: 'many_24', block: VISITOR_BLOCK }), { code: 'BULWARK_ERR_DRILL_SOURCE_RANGE' });
  assert.throws(() => sourceAddress(-1), { code: 'BULWARK_ERR_DRILL_SOURCE_RANGE' });
  assert.throws(() => sourceAddress(0, { block: 0 }), { code: 'BULWARK_ERR_DRILL_SOURCE_RANGE' });
  assert.ok(ATTACKER_BLOCK < VISITOR_BLOCK);
});

test('source pool: the fixture sees each chosen 127.x.y.z as the client address', async () => {
  const fixture = await startOriginFixture();
  const pool = createSourcePool();
  try {
    const chosen = [...sourceAddresses(20, { spread: 'many_24' }), '127.200.100.50', '127.255.255.254'];
    for (const address of chosen) {
      const res = await request(`${fixture.url}/echo`, { dispatcher: pool.agentFor(address) });
      const echo = (await res.body.json()) as EchoAnswer;
      assert.equal(echo.clientAddress, address);
    }
    assert.equal(fixture.stats().distinctSources, chosen.length);
    const raw = await connectRaw({ host: '127.0.0.1', port: fixture.port, localAddress: '127.3.2.1' });
    assert.equal(raw.localAddress, '127.3.2.1');
    raw.destroy();
  } finally {
    await pool.destroy();
    await fixture.stop();
  }
});

test('source pool: LRU bounded, evicted agents closed, refuses non-loopback sources', async () => {
  const fixture = await startOriginFixture();
  const pool = createSourcePool({ maxAgents: 3 });
  try {
    const a = pool.agentFor('127.1.0.1');
    pool.agentFor('127.1.0.2');
    pool.agentFor('127.1.0.3');
    assert.equal(pool.agentFor('127.1.0.1'), a, 'reuse refreshes');
    pool.agentFor('127.1.0.4'); // evicts 127.1.0.2
    assert.deepEqual(pool.fill(), { agents: 3, cap: 3, evicted: 1 });
    assert.equal(pool.agentFor('127.1.0.1'), a);
    const res = await request(`${fixture.url}/`, { dispatcher: pool.agentFor('127.1.0.5') }); // evicts 127.1.0.3
    await res.body.dump();
    assert.equal(pool.fill().evicted, 2);
    assert.throws(() => pool.agentFor('10.0.0.1'), { code: 'BULWARK_ERR_DRILL_SOURCE_RANGE' });
    assert.throws(() => pool.agentFor('::1'), { code: 'BULWARK_ERR_DRILL_SOURCE_RANGE' });
  } finally {
    await pool.close();
    await fixture.stop();
  }
});

test('connectRaw refuses a non-loopback host', async () => {
  await assert.rejects(connectRaw({ host: '192.0.2.1', port: 80 }), { code: 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK' });
});

test('roleOfAddress and requireIPv4Target', () => {
  const table: ReadonlyArray<readonly [string, string]> = [
    ['127.1.0.1', 'attack'],
    ['127.249.255.254', 'attack'],
    ['127.250.0.1', 'visitor'],
    ['::ffff:127.255.1.1', 'visitor'],
    ['127.0.0.1', 'other'],
    ['127.0.1.1', 'attack'],
    ['2001:db8:1:2::5', 'attack'],
  ];
  for (const [address, role] of table) assert.equal(roleOfAddress(address), role, address);
  assert.throws(() => sourceAddress(249 * 256, { spread: 'many_24' }), /visitor block/);
  assert.doesNotThrow(() => requireIPv4Target(new URL('http://127.0.0.1:1/')));
  assert.throws(() => requireIPv4Target(new URL('http://[::1]:1/')), { code: 'BULWARK_ERR_DRILL_TARGET_INVALID' });
});

test('connectRaw resolves localhost to a loopback address', async () => {
  const fixture = await startOriginFixture();
  try {
    const socket = await connectRaw({ host: 'localhost', port: fixture.port });
    assert.equal(socket.remoteAddress, '127.0.0.1');
    socket.destroy();
  } finally {
    await fixture.stop();
  }
});
