import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertLoopbackHost,
  assertLoopbackTarget,
  isLoopbackAddress,
  resolveLoopbackTarget,
} from './loopback-guard.ts';
import { DrillError } from './errors.ts';

const NOT_LOOPBACK = 'BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK';
const INVALID = 'BULWARK_ERR_DRILL_TARGET_INVALID';

const targets: ReadonlyArray<readonly [string, 'ok' | typeof NOT_LOOPBACK | typeof INVALID]> = [
  ['http://127.0.0.1:8080/', 'ok'],
  ['http://127.255.254.3/x?y', 'ok'],
  ['https://127.9.9.9', 'ok'],
  ['ws://127.0.0.1:1/ws', 'ok'],
  ['http://[::1]:8080/', 'ok'],
  ['http://[::ffff:127.0.0.1]/', 'ok'],
  ['http://localhost:3000', 'ok'],
  ['http://LOCALHOST/', 'ok'],
  ['http://user:pw@127.0.0.1/', 'ok'],
  ['  http://127.0.0.1/  ', 'ok'],
  ['http://127.0.0.1.nip.io/', NOT_LOOPBACK],
  ['http://[::ffff:10.0.0.1]/', NOT_LOOPBACK],
  ['http://[::ffff:a00:1]/', NOT_LOOPBACK],
  ['http://2130706433/', NOT_LOOPBACK],
  ['http://0x7f.0.0.1/', NOT_LOOPBACK],
  ['http://0177.0.0.1/', NOT_LOOPBACK],
  ['http://127.1/', NOT_LOOPBACK],
  ['http://127.0.0.1./', NOT_LOOPBACK],
  ['http://127.0.0.%31/', NOT_LOOPBACK],
  ['http://localhost./', NOT_LOOPBACK],
  ['http://foo.localhost/', NOT_LOOPBACK],
  ['http://localhost.example.com/', NOT_LOOPBACK],
  ['http://127.0.0.1@evil.example/', NOT_LOOPBACK],
  ['http://evil.example#@127.0.0.1/', NOT_LOOPBACK],
  ['http://10.0.0.1/', NOT_LOOPBACK],
  ['http://128.0.0.1/', NOT_LOOPBACK],
  ['http://0.0.0.0/', NOT_LOOPBACK],
  ['http://[::]/', NOT_LOOPBACK],
  ['http://[::2]/', NOT_LOOPBACK],
  ['http://[fe80::1]/', NOT_LOOPBACK],
  ['http://[::127.0.0.1]/', NOT_LOOPBACK],
  ['http://example.com/', NOT_LOOPBACK],
  ['ftp://127.0.0.1/', INVALID],
  ['file:///etc/passwd', INVALID],
  ['127.0.0.1:8080', INVALID],
  ['not a url', INVALID],
  ['http://127.0.0.1\n.evil.example/', INVALID],
];

test('assertLoopbackTarget: table of accepted and refused targets', () => {
  for (const [target, expected] of targets) {
    if (expected === 'ok') {
      assert.doesNotThrow(() => assertLoopbackTarget(target), target);
      continue;
    }
    assert.throws(
      () => assertLoopbackTarget(target),
      (err: unknown) => err instanceof DrillError && err.code === expected && err.message.includes(expected),
      `${target} should be refused with ${expected}`,
    );
  }
});

test('isLoopbackAddress: literal addresses only', () => {
  const table: ReadonlyArray<readonly [string, boolean]> = [
    ['127.0.0.1', true],
    ['127.200.3.4', true],
    ['::1', true],
    ['[::1]', true],
    ['::ffff:127.0.0.2', true],
    ['0:0:0:0:0:0:0:1', true],
    ['localhost', false],
    ['127.1', false],
    ['127.000.000.001', false],
    ['10.0.0.1', false],
    ['::ffff:10.0.0.1', false],
    ['', false],
  ];
  for (const [ip, expected] of table) assert.equal(isLoopbackAddress(ip), expected, ip);
});

test('assertLoopbackHost: raw socket hosts', () => {
  assert.equal(assertLoopbackHost('127.0.0.5'), '127.0.0.5');
  assert.equal(assertLoopbackHost('localhost'), 'localhost');
  assert.equal(assertLoopbackHost('::1'), '::1');
  assert.throws(() => assertLoopbackHost('192.168.1.1'), { code: NOT_LOOPBACK });
  assert.throws(() => assertLoopbackHost('127.0.0.1.nip.io'), { code: NOT_LOOPBACK });
});

test('resolveLoopbackTarget: localhost becomes a literal loopback address, literals pass through', async () => {
  const resolved = await resolveLoopbackTarget('http://localhost:1234/a?b');
  assert.ok(isLoopbackAddress(resolved.hostname), resolved.hostname);
  assert.equal(resolved.port, '1234');
  assert.equal(resolved.pathname + resolved.search, '/a?b');
  assert.equal((await resolveLoopbackTarget('http://127.0.0.3/')).hostname, '127.0.0.3');
  await assert.rejects(resolveLoopbackTarget('http://2130706433/'), { code: NOT_LOOPBACK });
});
