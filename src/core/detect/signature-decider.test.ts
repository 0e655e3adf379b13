import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SignatureRule } from './index.ts';
import { createSignatureDecider, MAX_CLIENT_BUCKETS, NO_JS_CLIENT_BURST, type SignatureFacts } from './signature-decider.ts';

const T = 1_700_000_000_000;

function rule(id: string, action: SignatureRule['action'], match: SignatureRule['match'], extra: Partial<SignatureRule> = {}): SignatureRule {
  return {
    id, action, match, mode: 'apply', collateral: 0, collateralBound: 0, attackShare: 0.5, level: 'under_attack', createdMs: T, expiresMs: T + 300_000,
    evidence: [], reason: 'test', ...extra,
  };
}

function facts(over: Partial<SignatureFacts> & { ua?: string } = {}): SignatureFacts {
  const { ua, ...rest } = over;
  return { address: '127.1.0.5', prefix: '127.1.0.0/24', asn: null, country: null, path: '/search', fingerprint: 'fp-bot', header: (n) => (n === 'user-agent' ? ua ?? 'bot' : undefined), ...rest };
}

describe('signature rules in decide', () => {
  it('applies the harshest matching rule, by its id', () => {
    const rules = [rule('sig/fingerprint=fp-bot', 'challenge', { fingerprint: 'fp-bot' }), rule('sig/prefix=127.1.0.0/24&path=/search', 'block', { prefix: '127.1.0.0/24', path: '/search' })];
    const d = createSignatureDecider(() => rules);
    assert.deepEqual(d.decide('news', facts(), false, T), { action: 'block', by: 'sig/prefix=127.1.0.0/24&path=/search' });
    assert.deepEqual(d.decide('news', facts({ path: '/' }), false, T), { action: 'challenge', by: 'sig/fingerprint=fp-bot' });
    assert.equal(d.decide('news', facts({ fingerprint: 'fp-browser', path: '/' }), false, T), null);
  });

  it('never touches cleared visitors, log-only or expired rules', () => {
    const rules = [rule('a', 'block', { prefix: '127.1.0.0/24' }), rule('b', 'block', { path: '/search' }, { mode: 'log_only' }), rule('c', 'block', { asn: 64500 }, { expiresMs: T })];
    const d = createSignatureDecider(() => rules);
    assert.equal(d.decide('news', facts(), true, T), null);
    assert.equal(d.decide('news', facts({ prefix: '10.0.0.0/24' }), false, T), null);
    assert.equal(d.decide('news', facts({ prefix: '10.0.0.0/24', asn: 64500 }), false, T), null);
  });

  it('rate-limits the whole matched key to its rate, then lets the next rule decide', () => {
    const rules = [rule('rl', 'rate_limit', { prefix: '127.1.0.0/24' }, { rateLimitRps: 5 })];
    const d = createSignatureDecider(() => rules);
    let refused = 0;
    for (let i = 0; i < 100; i++) if (d.decide('news', facts({ address: `127.1.0.${i}` }), false, T + i * 10) !== null) refused++;
    // 1 s at 100 req/s against 5 req/s with a burst of 5: about 10 admitted
    assert.ok(refused >= 88 && refused <= 92, String(refused));
    assert.deepEqual(d.decide('news', facts(), false, T + 995), { action: 'rate_limit', by: 'rl', retryAfterS: 1 });
  });

  it('matches user agents and fingerprints as the aggregates cut them', () => {
    const long = 'x'.repeat(400);
    const d = createSignatureDecider(() => [rule('ua', 'challenge', { userAgent: long.slice(0, 256) })]);
    assert.ok(d.decide('news', facts({ ua: long }), false, T));
  });

  it('recompiles when the active set changes and keeps state bounded per site', () => {
    let rules = [rule('a', 'block', { prefix: '127.1.0.0/24' })];
    const d = createSignatureDecider(() => rules);
    assert.ok(d.decide('news', facts(), false, T));
    rules = [];
    assert.equal(d.decide('news', facts(), false, T), null);
    d.decide('blog', facts(), false, T);
    assert.equal(d.stats().sites, 2);
    d.retainSites(['blog']);
    assert.equal(d.stats().sites, 1);
  });

  describe('clients that cannot solve a challenge page (feed readers, API clients, curl)', () => {
    const pageless = () => true;
    const feedRule = () => rule('sig/path=/feed', 'challenge', { path: '/feed' });

    it('signature rule on a feed path does not lock out feed readers: a per-client limit, not a challenge', () => {
      const d = createSignatureDecider(() => [feedRule()]);
      const feedly = facts({ path: '/feed', ua: 'Feedly/1.0 (+https://feedly.com/poller.html; 12 subscribers)' });
      // a browser that can be shown a page still gets the rule's challenge
      assert.deepEqual(d.decide('news', { ...facts({ path: '/feed' }), cannotSolvePage: () => false }, false, T), { action: 'challenge', by: 'sig/path=/feed' });
      // feed readers polling every few minutes, 22 of them from their own addresses, all pass
      for (let i = 0; i < 22; i++) {
        for (let poll = 0; poll < 3; poll++) assert.equal(d.decide('news', { ...feedly, address: `127.2.0.${i}`, cannotSolvePage: pageless }, false, T + poll * 300_000 + i), null);
      }
      assert.equal(d.stats().clientBuckets, 22);
    });

    it('keeps a per-address limit on a bot that merely claims a feed reader', () => {
      const d = createSignatureDecider(() => [feedRule()]);
      const bot = facts({ path: '/feed', ua: 'Feedly/1.0', address: '127.3.0.1' });
      const answers = Array.from({ length: 100 }, (_, i) => d.decide('news', { ...bot, cannotSolvePage: pageless }, false, T + i * 10));
      const refused = answers.filter((a) => a !== null);
      // 1 s at 100 req/s against 1 req/s with a burst of 10: about 11 admitted
      assert.ok(refused.length >= 88 && refused.length <= 90, String(refused.length));
      assert.deepEqual(refused[0], { action: 'rate_limit', by: 'sig/path=/feed', retryAfterS: 1 });
      // another address has its own bucket
      assert.equal(d.decide('news', { ...bot, address: '127.3.0.2', cannotSolvePage: pageless }, false, T + 1000), null);
    });

    it('gives them their own bucket under a key-wide rate_limit rule a flood keeps empty', () => {
      const d = createSignatureDecider(() => [rule('rl', 'rate_limit', { path: '/feed' }, { rateLimitRps: 5 })]);
      for (let i = 0; i < 50; i++) d.decide('news', { ...facts({ path: '/feed', address: `127.4.0.${i}` }), cannotSolvePage: () => false }, false, T + i);
      assert.ok(d.decide('news', { ...facts({ path: '/feed' }), cannotSolvePage: () => false }, false, T + 60), 'the key-wide bucket is empty');
      assert.equal(d.decide('news', { ...facts({ path: '/feed', address: '127.2.0.9' }), cannotSolvePage: pageless }, false, T + 60), null);
    });

    it('still blocks them under a block rule, and asks whether a page is possible only when a rule matches', () => {
      let asked = 0;
      const ask = () => (asked++, true);
      const d = createSignatureDecider(() => [rule('b', 'block', { prefix: '127.1.0.0/24' }), feedRule()]);
      assert.deepEqual(d.decide('news', { ...facts({ path: '/feed' }), cannotSolvePage: ask }, false, T), { action: 'block', by: 'b' });
      assert.equal(asked, 0);
      assert.equal(d.decide('news', { ...facts({ path: '/', prefix: '10.0.0.0/24' }), cannotSolvePage: ask }, false, T), null);
      assert.equal(asked, 0);
      assert.equal(d.decide('news', { ...facts({ path: '/feed', prefix: '10.0.0.0/24' }), cannotSolvePage: ask }, false, T), null);
      assert.equal(asked, 1);
    });

    it('caps per-client buckets, evicting the least recently used, and keeps them across recompiles', () => {
      let rules = [feedRule()];
      const d = createSignatureDecider(() => rules);
      for (let i = 0; i < MAX_CLIENT_BUCKETS + 5; i++) d.decide('news', { ...facts({ path: '/feed', address: `a${i}` }), cannotSolvePage: pageless }, false, T);
      assert.equal(d.stats().clientBuckets, MAX_CLIENT_BUCKETS);
      const hot = facts({ path: '/feed', address: 'hot' });
      for (let i = 0; i < NO_JS_CLIENT_BURST; i++) assert.equal(d.decide('news', { ...hot, cannotSolvePage: pageless }, false, T), null);
      rules = [feedRule()];
      assert.ok(d.decide('news', { ...hot, cannotSolvePage: pageless }, false, T), 'the spent bucket survived the recompile');
      rules = [];
      d.decide('news', { ...hot, cannotSolvePage: pageless }, false, T);
      assert.equal(d.stats().clientBuckets, 0);
    });
  });
});
