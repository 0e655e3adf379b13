import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLoginLimiter } from './login-limiter.ts';
import { prefixKeyOf } from './client-key.ts';

test('failed logins: refused after max failures until the oldest leaves the window; per address, IPv6 per /64', () => {
  const l = createLoginLimiter({ maxFailures: 3, windowMs: 60_000 });
  const t = 1_000_000;
  assert.equal(l.fail('192.0.2.1', t), false);
  assert.equal(l.fail('192.0.2.1', t + 10_000), false);
  assert.equal(l.retryAfterS('192.0.2.1', t + 10_000), 0);
  assert.equal(l.fail('192.0.2.1', t + 20_000), true, 'the third failure starts the refusal');
  assert.equal(l.retryAfterS('192.0.2.1', t + 20_000), 40);
  assert.equal(l.retryAfterS('192.0.2.2', t + 20_000), 0, 'another address');
  assert.equal(l.retryAfterS('192.0.2.1', t + 60_001), 0, 'the first failure left the window');
  l.fail('2001:db8:1:2::1', t);
  l.fail('2001:db8:1:2::ffff', t);
  l.fail('2001:db8:1:2:aaaa::5', t);
  assert.ok(l.retryAfterS('2001:db8:1:2::99', t) > 0, 'one /64');
  assert.equal(l.retryAfterS('2001:db8:1:3::1', t), 0, 'the next /64');
  l.succeed('2001:db8:1:2::1');
  assert.equal(l.retryAfterS('2001:db8:1:2::1', t), 0, 'a success forgets');
});

test('bounded: at most maxClients tracked, evictions counted', () => {
  const l = createLoginLimiter({ maxClients: 100 });
  for (let i = 0; i < 1000; i++) l.fail(`10.0.${i >> 8}.${i & 255}`, 0);
  const s = l.stats();
  assert.equal(s.tracked, 100);
  assert.equal(s.evictions, 900);
  assert.equal(prefixKeyOf('::ffff:192.0.2.1'), '192.0.2.1');
});
