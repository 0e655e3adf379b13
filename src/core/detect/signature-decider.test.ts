import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SignatureRule } from './index.ts';
import { createSignatureDecider, type SignatureFacts } from './signature-decider.ts';

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
});
