import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeBindingDigest, bindingDigestCacheStats, createSiteTag, BINDING_USER_AGENT, BINDING_PREFIX, BINDING_DIGEST_CACHE_CAPACITY, MAX_HASHED_USER_AGENT_BYTES } from './binding.ts';

function digest(kind: number, value: string): string {
  const out = new Uint8Array(8);
  writeBindingDigest(kind, value, out, 0);
  return Buffer.from(out).toString('hex');
}

test('binding digests are truncated SHA-256 of kind byte + value, memoised without changing results', () => {
  const expected = createHash('sha256').update(Buffer.concat([Buffer.from([BINDING_PREFIX]), Buffer.from('203.0.113.0/24')])).digest('hex').slice(0, 16);
  assert.equal(digest(BINDING_PREFIX, '203.0.113.0/24'), expected);
  const before = bindingDigestCacheStats().hits;
  assert.equal(digest(BINDING_PREFIX, '203.0.113.0/24'), expected);
  assert.equal(bindingDigestCacheStats().hits, before + 1);
  assert.notEqual(digest(BINDING_USER_AGENT, '203.0.113.0/24'), expected, 'kinds are separated');
});

test('user agents are hashed over a bounded prefix, and the memo stays bounded', () => {
  const long = 'x'.repeat(MAX_HASHED_USER_AGENT_BYTES);
  assert.equal(digest(BINDING_USER_AGENT, long), digest(BINDING_USER_AGENT, `${long}-anything`));
  assert.notEqual(digest(BINDING_USER_AGENT, long.slice(1)), digest(BINDING_USER_AGENT, long));
  for (let i = 0; i < BINDING_DIGEST_CACHE_CAPACITY + 10; i++) digest(BINDING_USER_AGENT, `ua-${i}`);
  const s = bindingDigestCacheStats();
  assert.ok(s.size <= s.capacity);
  assert.ok(s.clears >= 1);
});

test('site tags differ by site id', () => {
  assert.notDeepEqual(createSiteTag('a').digest, createSiteTag('b').digest);
  assert.equal(createSiteTag('a').digest.length, 8);
});
