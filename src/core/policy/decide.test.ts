import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileIpLists } from '../net/ip-list.ts';
import { parseIp } from '../net/ip.ts';
import { createLimitEvaluator } from '../ratelimit/evaluator.ts';
import type { LimitSpec } from '../ratelimit/evaluator.ts';
import { createLimiterTable } from '../ratelimit/limiter-table.ts';
import type { Decision } from '../vocabulary.ts';
import { compilePolicy } from './compile.ts';
import type { CompilePolicyOptions, LevelPolicy } from './compile.ts';
import { decide } from './decide.ts';
import type { BanLookup, DecideState } from './decide.ts';
import type { RuleSpec } from './spec.ts';
import { makeFacts } from './test-support.ts';
import type { FactsInit } from './test-support.ts';

const T0 = 1_700_000_000_000;

interface Setup {
  rules?: readonly RuleSpec[];
  limits?: readonly LimitSpec[];
  allow?: readonly string[];
  deny?: readonly string[];
  level?: LevelPolicy;
}

function policyOf(s: Setup) {
  const table = createLimiterTable({ maxKeys: 1024, seed: 7 });
  const options: CompilePolicyOptions = {
    table,
    limits: s.limits ? createLimitEvaluator({ table, limits: s.limits }) : null,
    lists: s.allow || s.deny ? compileIpLists({ allow: [{ source: 'config', entries: s.allow ?? [] }], deny: [{ source: 'feed', entries: s.deny ?? [] }] }) : null,
    levelPolicy: s.level ?? null,
  };
  return compilePolicy({ rules: s.rules ?? [] }, options);
}

const bans = (entries: Record<string, number>): DecideState => ({ ban: ((key) => (key in entries ? { untilMs: entries[key] } : undefined)) as BanLookup });

/** Everything at once: a blocking rule, an exhausted limit, a level hook. */
const EVERYTHING: Setup = {
  allow: ['203.0.113.7/32'],
  deny: ['203.0.113.0/24'],
  rules: [{ name: 'block-all-get', match: { method: ['GET'] }, action: 'block' }],
  limits: [{ name: 'tiny', average: 1, period: 60_000, burst: 1, key: ['address'] }],
  level: () => ({ action: 'challenge', by: 'level/under_attack' }),
};

describe('decide: order', () => {
  it('the allow list beats deny, bans, rules, limits and the level; allow-listed requests consume no limit', () => {
    const p = policyOf(EVERYTHING);
    for (let i = 0; i < 5; i++) {
      const r = decide(makeFacts(), p, bans({ '203.0.113.7': T0 + 60_000 }), T0);
      assert.deepEqual(r.decision, { action: 'allow', by: 'list/allow' });
      assert.equal(r.limits, null);
      assert.equal(r.list?.source, 'config');
    }
    // Nothing was recorded in the limiter for .7: its budget in "tiny" is whole.
    assert.equal(p.limits?.peek(makeFacts(), T0).refused, null);
    assert.deepEqual(decide(makeFacts({ address: '203.0.113.8' }), p, {}, T0).decision, { action: 'drop', by: 'list/deny' });
  });

  it('a denied address reaching decide is dropped by list/deny', () => {
    const r = decide(makeFacts({ address: '2001:db8::5' }), policyOf({ deny: ['2001:db8::/32'] }), {}, T0);
    assert.deepEqual(r.decision, { action: 'drop', by: 'list/deny' });
    assert.equal(r.list?.cidr, '2001:db8::/32');
  });

  it('an active ban (address, then prefix) beats the rules; an expired one is ignored', () => {
    const p = policyOf({ rules: [{ name: 'allow-all', action: 'allow' }] });
    assert.deepEqual(decide(makeFacts(), p, bans({ '203.0.113.7': T0 + 1 }), T0).decision, { action: 'drop', by: 'ban/203.0.113.7' });
    assert.deepEqual(decide(makeFacts(), p, bans({ '203.0.113.0/24': T0 + 1 }), T0).decision, { action: 'drop', by: 'ban/203.0.113.0/24' });
    assert.deepEqual(decide(makeFacts(), p, bans({ '203.0.113.7': T0 }), T0).decision, { action: 'allow', by: 'rule/allow-all' });
    assert.equal(decide(makeFacts({ prefix: '' }), p, bans({ '': T0 + 1 }), T0).decision.by, 'rule/allow-all');
  });

  it('the first matching rule wins; later rules are not evaluated', () => {
    const p = policyOf({
      rules: [
        { name: 'miss', match: { path: '/nope' }, action: 'block' },
        { name: 'first', match: { path: '/' }, action: 'tarpit' },
        { name: 'second', action: 'block' },
        { name: 'late-log', action: 'log' },
      ],
    });
    const r = decide(makeFacts(), p, {}, T0);
    assert.deepEqual(r.decision, { action: 'tarpit', by: 'rule/first' });
    assert.deepEqual(r.shadow, []);
  });

  it('log and shadow rules never change the decision but are reported in order, with what they would do', () => {
    const p = policyOf({
      rules: [
        { name: 'log-all', action: 'log' },
        { name: 'shadow-block', action: 'block', shadow: true },
        { name: 'shadow-challenge', action: 'challenge', difficulty: 20, shadow: true },
        { name: 'shadow-miss', match: { path: '/x' }, action: 'block', shadow: true },
        { name: 'real', match: { method: ['POST'] }, action: 'block' },
      ],
    });
    const r = decide(makeFacts(), p, {}, T0);
    assert.deepEqual(r.decision, { action: 'allow', by: 'default/allow' });
    assert.deepEqual(r.shadow, [
      { by: 'rule/log-all', action: 'log' },
      { by: 'rule/shadow-block', action: 'block', decision: { action: 'block', by: 'rule/shadow-block' } },
      { by: 'rule/shadow-challenge', action: 'challenge', decision: { action: 'challenge', by: 'rule/shadow-challenge', difficulty: 20 } },
    ]);
    assert.deepEqual(decide(makeFacts({ method: 'POST' }), p, {}, T0).decision, { action: 'block', by: 'rule/real' });
  });

  it('an allow rule skips limits and the level defaults', () => {
    const p = policyOf({ ...EVERYTHING, allow: undefined, deny: undefined, rules: [{ name: 'ok', action: 'allow', match: { path: '/health' } }] });
    for (let i = 0; i < 3; i++) {
      const r = decide(makeFacts({ path: '/health' }), p, {}, T0);
      assert.deepEqual(r.decision, { action: 'allow', by: 'rule/ok' });
      assert.equal(r.limits, null);
    }
  });

  it('a challenge rule carries its difficulty and is satisfied by a clearance', () => {
    const p = policyOf({ rules: [{ name: 'ch', action: 'challenge', difficulty: 18 }, { name: 'after', action: 'tarpit', match: { path: '/slow' } }] });
    assert.deepEqual(decide(makeFacts(), p, {}, T0).decision, { action: 'challenge', by: 'rule/ch', difficulty: 18 });
    assert.deepEqual(decide(makeFacts({ cleared: true }), p, {}, T0).decision, DEFAULT);
    assert.deepEqual(decide(makeFacts({ cleared: true, path: '/slow' }), p, {}, T0).decision, { action: 'tarpit', by: 'rule/after' });
  });

  it('limits come after rules: a matching rule decides before an exhausted limit', () => {
    const p = policyOf({ rules: [{ name: 'block-post', match: { method: ['POST'] }, action: 'block' }], limits: [{ name: 'per-ip', average: 1, period: 60_000, burst: 2, key: ['address'] }] });
    assert.equal(decide(makeFacts(), p, {}, T0).decision.by, 'default/allow');
    assert.equal(decide(makeFacts(), p, {}, T0).decision.by, 'default/allow');
    const limited = decide(makeFacts(), p, {}, T0);
    assert.equal(limited.decision.action, 'rate_limit');
    assert.equal(limited.decision.by, 'limit/per-ip');
    assert.ok(limited.limits?.refused);
    assert.deepEqual(decide(makeFacts({ method: 'POST' }), p, {}, T0).decision, { action: 'block', by: 'rule/block-post' });
  });

  it('the level hook decides after limits, before default/allow', () => {
    const calls: string[] = [];
    const p = policyOf({
      level: (level, facts) => {
        calls.push(level);
        return level === 'under_attack' && facts.uaClass === 'browser' && !facts.cleared ? { action: 'challenge', by: `level/${level}` } : null;
      },
    });
    assert.deepEqual(decide(makeFacts({ threatLevel: 'under_attack' }), p, {}, T0).decision, { action: 'challenge', by: 'level/under_attack' });
    assert.deepEqual(decide(makeFacts({ threatLevel: 'under_attack', cleared: true }), p, {}, T0).decision, DEFAULT);
    assert.deepEqual(decide(makeFacts({ threatLevel: 'normal' }), p, {}, T0).decision, DEFAULT);
    assert.deepEqual(calls, ['under_attack', 'under_attack', 'normal']);
  });

  it('a rule whose expression fails is skipped and reported; evaluation goes on', () => {
    const p = policyOf({ rules: [{ name: 'broken', expr: 'headers["x-nope"] == "1"', action: 'block' }, { name: 'next', action: 'tarpit', match: { path: '/' } }] });
    const r = decide(makeFacts(), p, {}, T0);
    assert.deepEqual(r.decision, { action: 'tarpit', by: 'rule/next' });
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].by, 'rule/broken');
  });
});

const DEFAULT: Decision = { action: 'allow', by: 'default/allow' };

describe('decide: inputs and results', () => {
  it('uses facts.ip when identify already parsed the address', () => {
    const p = policyOf({ deny: ['198.51.100.0/24'], rules: [{ name: 'net', match: { cidr: ['2001:db8::/32'] }, action: 'block' }] });
    const v4 = { ...makeFacts({ address: 'not parsed again' }), ip: parseIp('198.51.100.9') };
    assert.equal(decide(v4, p, {}, T0).decision.by, 'list/deny');
    const v6 = { ...makeFacts({ address: 'not parsed again' }), ip: parseIp('2001:db8::9') };
    assert.equal(decide(v6, p, {}, T0).decision.by, 'rule/net');
    assert.equal(decide(makeFacts({ address: '2001:db8::9' }), p, {}, T0).decision.by, 'rule/net');
  });

  it('an address-keyed limit counts one client as one, whether the facts carry the parsed address or not', () => {
    const p = policyOf({
      rules: [{ name: 'api', match: { path: '/api' }, action: 'rate_limit', rate_limit: { average: 1, period: '1m', burst: 3, key: ['address'] } }],
      limits: [{ name: 'per-ip', average: 1, period: 60_000, burst: 4, key: ['address'] }],
    });
    const plain = (path: string) => makeFacts({ address: '2001:db8::7', path });
    const parsed = (path: string) => ({ ...makeFacts({ address: '2001:DB8:0::7', path }), ip: parseIp('2001:db8::7') });
    // The rule's limit (3) and the site limit (4) each see every request of the client, parsed or not.
    assert.deepEqual([plain('/api'), parsed('/api'), plain('/api'), parsed('/api')].map((f) => decide(f, p, {}, T0).decision.by), ['default/allow', 'default/allow', 'default/allow', 'rule/api']);
    assert.equal(decide(parsed('/'), p, {}, T0).decision.by, 'default/allow');
    assert.equal(decide(plain('/'), p, {}, T0).decision.by, 'limit/per-ip');
  });

  it('returns fresh shadow and error lists: a later decision does not change an earlier result', () => {
    const p = policyOf({ rules: [{ name: 'log-api', match: { path: '/api' }, action: 'log' }, { name: 'broken', match: { path: '/api' }, expr: 'headers["x"] == ""', action: 'block' }] });
    const first = decide(makeFacts({ path: '/api' }), p, {}, T0);
    const second = decide(makeFacts({ path: '/' }), p, {}, T0);
    const third = decide(makeFacts({ path: '/api' }), p, {}, T0);
    assert.deepEqual([first.shadow.length, first.errors.length], [1, 1]);
    assert.deepEqual([second.shadow.length, second.errors.length], [0, 0]);
    assert.notEqual(third.shadow, first.shadow);
    assert.deepEqual([first.shadow.length, first.errors.length], [1, 1]);
  });
});

describe('decide: rate_limit rules and shadow limits', () => {
  const login: RuleSpec = { name: 'login', match: { path: '=/login', method: ['POST'] }, action: 'rate_limit', rate_limit: { average: 1, period: '10s', burst: 2, key: ['address'] } };
  const post: FactsInit = { path: '/login', method: 'POST' };

  it('a rate_limit rule refuses over its own limit, by rule/<name>, and falls through within it', () => {
    const p = policyOf({ rules: [login, { name: 'after', action: 'tarpit', match: { path: '/login' } }] });
    assert.equal(decide(makeFacts(post), p, {}, T0).decision.by, 'rule/after');
    assert.equal(decide(makeFacts(post), p, {}, T0).decision.by, 'rule/after');
    const refused = decide(makeFacts(post), p, {}, T0).decision;
    assert.equal(refused.action, 'rate_limit');
    assert.equal(refused.by, 'rule/login');
    assert.ok(refused.action === 'rate_limit' && refused.retryAfterS >= 1 && refused.limit === 2);
    // Another address has its own bucket; after 10 s the first is admitted again.
    assert.equal(decide(makeFacts({ ...post, address: '198.51.100.1' }), p, {}, T0).decision.by, 'rule/after');
    assert.equal(decide(makeFacts(post), p, {}, T0 + 10_000).decision.by, 'rule/after');
  });

  it('a shadow rate_limit rule reports what it would refuse and never refuses', () => {
    const p = policyOf({ rules: [{ ...login, shadow: true }] });
    const results = Array.from({ length: 4 }, () => decide(makeFacts(post), p, {}, T0));
    assert.deepEqual(results.map((r) => r.decision.by), ['default/allow', 'default/allow', 'default/allow', 'default/allow']);
    assert.deepEqual(results.map((r) => r.shadow.length), [0, 0, 1, 1]);
    assert.equal(results[2].shadow[0].by, 'rule/login');
    assert.equal(results[2].shadow[0].action, 'rate_limit');
    assert.equal(results[2].shadow[0].decision?.by, 'rule/login');
  });

  it('shadow site limits are reported, not enforced; enforced ones still refuse', () => {
    const p = policyOf({
      limits: [
        { name: 'shadow-strict', average: 1, period: 60_000, burst: 1, key: ['address'], shadow: true },
        { name: 'enforced', average: 1, period: 60_000, burst: 3, key: ['address'] },
      ],
    });
    const rs = Array.from({ length: 4 }, () => decide(makeFacts(), p, {}, T0));
    assert.deepEqual(rs.map((r) => r.decision.by), ['default/allow', 'default/allow', 'default/allow', 'limit/enforced']);
    assert.deepEqual(rs.map((r) => r.shadow.map((h) => h.by)), [[], ['limit/shadow-strict'], ['limit/shadow-strict'], ['limit/shadow-strict']]);
    assert.equal(rs[1].shadow[0].action, 'rate_limit');
    assert.ok(rs[0].limits !== null && rs[0].limits.checks.length === 2);
  });
});

describe('decide: a dry run (record = false)', () => {
  it('decides as a recording call at the same moment would, and records nothing in rule or site limits', () => {
    const setup: Setup = {
      rules: [{ name: 'slow-login', match: { path: '/login' }, action: 'rate_limit', rate_limit: { average: 2, period: 60_000, burst: 2, key: ['address'] } }],
      limits: [{ name: 'per-ip', average: 3, period: 60_000, burst: 3, key: ['address'] }],
    };
    const dry = policyOf(setup);
    const wet = policyOf(setup);
    const facts = makeFacts({ path: '/login' });
    for (let i = 0; i < 6; i++) {
      // The dry run says what the recording call is about to say...
      const d = decide(facts, dry, {}, T0 + i);
      const peeked = decide(facts, wet, {}, T0 + i, false);
      const recorded = decide(facts, wet, {}, T0 + i);
      assert.deepEqual(peeked.decision, recorded.decision, `request ${i}`);
      assert.deepEqual(recorded.decision, d.decision, `request ${i}: same as a policy that never saw a dry run`);
    }
    // ...and any number of dry runs leaves the budget as it was: a fresh client still gets its burst.
    const fresh = makeFacts({ address: '198.51.100.1', path: '/login' });
    for (let i = 0; i < 10; i++) assert.equal(decide(fresh, wet, {}, T0, false).decision.action, 'allow');
    assert.equal(decide(fresh, wet, {}, T0).decision.action, 'allow');
    assert.equal(decide(fresh, wet, {}, T0).decision.action, 'allow');
    assert.equal(decide(fresh, wet, {}, T0).decision.action, 'rate_limit', 'the rule allows two: dry runs spent none');
  });
});
