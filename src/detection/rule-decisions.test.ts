import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { SignatureRule } from '../core/detect/index.ts';
import { openStateStores } from '../stores/index.ts';
import { tempStateDir } from '../stores/test-support.ts';
import { createRuleDecisions } from './rule-decisions.ts';
import { createSignatureDecider } from '../core/detect/signature-decider.ts';

function rule(id: string, mode: 'apply' | 'log_only', match: SignatureRule['match']): SignatureRule {
  return { id, action: 'block', match, mode, collateral: 0.2, collateralBound: 0.3, attackShare: 0.5, level: 'under_attack', createdMs: 0, expiresMs: 10_000_000, evidence: [], reason: 'test' };
}

const facts = (path: string) => ({ address: '203.0.113.1', prefix: '203.0.113.0/24', asn: null, country: null, path, fingerprint: '', header: () => undefined });

test('accept enforces a proposed (log_only) rule, reject stops an applied one; decisions survive a restart and expire', async () => {
  const dir = tempStateDir();
  const state = openStateStores({ stateDir: dir, onCorrupt: 'refuse' });
  try {
    const rules = [rule('sig/path=/a', 'apply', { path: '/a' }), rule('sig/path=/b', 'log_only', { path: '/b' })];
    const d = createRuleDecisions(state.kv, { ttlMs: 60_000 });
    const decider = createSignatureDecider((site) => d.apply(site, rules, 1000));
    assert.equal(d.apply('news', rules, 1000), rules, 'no decision: the same array (no recompile)');
    assert.equal(decider.decide('news', facts('/a'), false, 1000)?.action, 'block');
    assert.equal(decider.decide('news', facts('/b'), false, 1000), null, 'proposed only');
    await d.decide('news', 'sig/path=/b', 'accept', 'token:alice', 1000);
    await d.decide('news', 'sig/path=/a', 'reject', 'token:alice', 1000);
    assert.equal(decider.decide('news', facts('/b'), false, 1000)?.action, 'block', 'accepted: enforced');
    assert.equal(decider.decide('news', facts('/a'), false, 1000), null, 'rejected: not enforced');
    assert.equal(d.apply('news', rules, 1000), d.apply('news', rules, 1000), 'cached');
    assert.equal(d.apply('blog', rules, 1000), rules, 'other sites untouched');
    const after = createRuleDecisions(state.kv, { ttlMs: 60_000 });
    await after.load(2000);
    assert.equal(after.get('news', 'sig/path=/a', 2000)?.decision, 'reject', 'kept across a restart');
    assert.equal(after.get('news', 'sig/path=/a', 61_001), undefined, 'expired');
    assert.equal(after.apply('news', rules, 61_001), rules);
    await assert.rejects(d.decide('news', 'nope', 'accept', 'x', 0), { code: 'BULWARK_ERR_ADMIN_INVALID' });
  } finally {
    state.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
