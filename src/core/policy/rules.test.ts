import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RememberingRegex } from './rules.ts';
import { compilePolicy } from './compile.ts';
import { decide } from './decide.ts';
import type { RuleMatchSpec } from './spec.ts';
import { makeFacts } from './test-support.ts';
import type { FactsInit } from './test-support.ts';

/** True when a single `block` rule with this match block matches the request. */
function matches(match: RuleMatchSpec, init: FactsInit = {}): boolean {
  const policy = compilePolicy({ rules: [{ name: 'r', match, action: 'block' }] });
  return decide(makeFacts(init), policy, {}, 0).decision.by === 'rule/r';
}

interface Case {
  readonly name: string;
  readonly match: RuleMatchSpec;
  readonly facts?: FactsInit;
  readonly expected: boolean;
}

const CASES: readonly Case[] = [
  // path: the limits' patterns
  { name: 'path prefix', match: { path: '/admin' }, facts: { path: '/admin/users' }, expected: true },
  { name: 'path prefix miss', match: { path: '/admin' }, facts: { path: '/public' }, expected: false },
  { name: 'path exact', match: { path: ['=/login'] }, facts: { path: '/login/x' }, expected: false },
  { name: 'path glob', match: { path: ['/api/*/edit'] }, facts: { path: '/api/42/edit' }, expected: true },
  { name: 'path regex', match: { path: ['~^/\\.(env|git)'] }, facts: { path: '/.git/config' }, expected: true },
  { name: 'path any of', match: { path: ['/a', '/b'] }, facts: { path: '/b' }, expected: true },
  // user agent
  { name: 'user_agent regex', match: { user_agent: 'sqlmap|nikto' }, facts: { headers: { 'user-agent': 'sqlmap/1.7' } }, expected: true },
  { name: 'user_agent is case-sensitive', match: { user_agent: 'sqlmap' }, facts: { headers: { 'user-agent': 'SQLMAP/1.7' } }, expected: false },
  { name: 'user_agent (?i)', match: { user_agent: '(?i)sqlmap' }, facts: { headers: { 'user-agent': 'SQLMAP/1.7' } }, expected: true },
  { name: 'user_agent absent', match: { user_agent: '.*' }, facts: { headers: {} }, expected: false },
  // headers
  { name: 'header regex', match: { header: { 'X-Api-Key': '^k-' } }, facts: { headers: { 'x-api-key': 'k-123' } }, expected: true },
  { name: 'header absent never matches', match: { header: { 'x-api-key': '^$|.*' } }, facts: { headers: {} }, expected: false },
  { name: 'several headers are AND-ed', match: { header: { a: '1', b: '2' } }, facts: { headers: { a: '1', b: '3' } }, expected: false },
  { name: 'repeated header values are joined', match: { header: { 'x-tag': 'one, two' } }, facts: { headers: { 'x-tag': ['one', 'two'] } }, expected: true },
  // cidr
  { name: 'cidr v4', match: { cidr: ['203.0.113.0/24'] }, facts: { address: '203.0.113.99' }, expected: true },
  { name: 'cidr v4 miss', match: { cidr: ['198.51.100.0/24'] }, expected: false },
  { name: 'cidr v6', match: { cidr: ['2001:db8::/32', '10.0.0.0/8'] }, facts: { address: '2001:db8:1::5' }, expected: true },
  { name: 'cidr mapped address', match: { cidr: '203.0.113.0/24' }, facts: { address: '::ffff:203.0.113.5' }, expected: true },
  { name: 'cidr unparsable address', match: { cidr: ['0.0.0.0/0'] }, facts: { address: 'nonsense' }, expected: false },
  // sets
  { name: 'method any case', match: { method: ['post'] }, facts: { method: 'POST' }, expected: true },
  { name: 'method miss', match: { method: ['POST'] }, expected: false },
  { name: 'country', match: { country: ['de', 'FR'] }, expected: true },
  { name: 'country unknown', match: { country: ['DE'] }, facts: { country: null }, expected: false },
  { name: 'asn', match: { asn: [64496] }, expected: true },
  { name: 'asn single number', match: { asn: 64497 }, expected: false },
  { name: 'asn unknown', match: { asn: [0] }, facts: { asn: null }, expected: false },
  { name: 'fingerprint', match: { fingerprint: ['ge11nnl09_000000000000'] }, expected: true },
  { name: 'ua_class', match: { ua_class: ['library', 'unknown'] }, facts: { uaClass: 'library' }, expected: true },
  { name: 'ua_class miss', match: { ua_class: 'library' }, expected: false },
  // AND of several matchers
  { name: 'all matchers AND-ed (all match)', match: { path: '/login', method: ['POST'], country: ['DE'], cidr: ['203.0.113.0/24'] }, facts: { path: '/login', method: 'POST' }, expected: true },
  { name: 'all matchers AND-ed (one misses)', match: { path: '/login', method: ['POST'], country: ['FR'] }, facts: { path: '/login', method: 'POST' }, expected: false },
  { name: 'empty match matches everything', match: {}, expected: true },
];

describe('rule matchers', () => {
  for (const c of CASES) it(c.name, () => assert.equal(matches(c.match, c.facts), c.expected));

  it('expr is AND-ed with the matchers and evaluated only after them', () => {
    const policy = compilePolicy({ rules: [{ name: 'r', match: { path: '/x' }, expr: 'headers["x-must-exist"] == "1"', action: 'block' }] });
    // The expression would fail (missing key) but the path matcher rejects first: no error reported.
    const r = decide(makeFacts({ path: '/y' }), policy, {}, 0);
    assert.equal(r.errors.length, 0);
    assert.equal(r.decision.by, 'default/allow');
  });
});

describe('remembered regex answers', () => {
  it('a rule decides the same as a fresh regex over any sequence of repeating and changing values (property)', () => {
    const policy = compilePolicy({
      rules: [
        { name: 'ua', match: { user_agent: '(?i)curl|python' }, action: 'block' },
        { name: 'hdr', match: { header: { 'x-probe': '^a+b$' } }, action: 'tarpit' },
      ],
    });
    const ua = /curl|python/i;
    const hdr = /^a+b$/;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('curl/8', 'Mozilla/5.0', 'PYTHON-requests', '', 'x'), fc.constantFrom('ab', 'aab', 'b', 'aaa', '')), { maxLength: 60 }),
        (seq) => {
          for (const [agent, probe] of seq) {
            // Fresh string objects each time, as node:http hands them over per request.
            const facts = makeFacts({ headers: { 'user-agent': [...agent].join(''), 'x-probe': [...probe].join('') } });
            const expected = ua.test(agent) ? 'rule/ua' : hdr.test(probe) ? 'rule/hdr' : 'default/allow';
            assert.equal(decide(facts, policy, {}, 0).decision.by, expected, `${agent} / ${probe}`);
          }
        },
      ),
    );
  });

  it('stays exact past its bound: thousands of distinct values, long ones, then repeats', () => {
    const regex = new RememberingRegex(/ab+c|^zz/i);
    const fresh = /ab+c|^zz/i;
    const values: string[] = [];
    for (let i = 0; i < 3000; i++) values.push(i % 7 === 0 ? `x-ABBC-${i}` : i % 11 === 0 ? `zz${i}` : `agent/${i}`);
    values.push('abbc'.repeat(200), 'q'.repeat(600));
    for (let round = 0; round < 3; round++) for (const v of values) assert.equal(regex.test(v), fresh.test(v), v.slice(0, 40));
  });
});
