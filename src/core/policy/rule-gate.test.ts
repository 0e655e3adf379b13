import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ClientClass, ThreatLevel } from '../vocabulary.ts';
import { compilePolicy } from './compile.ts';
import type { CompiledPolicy } from './compile.ts';
import { decide } from './decide.ts';
import { matchRule } from './rules.ts';
import { anchoredLiteral, compileRuleGate, OPEN_GATE, pathBucket, pathBucketsOf } from './rule-gate.ts';
import { createMatchScratch } from './scratch.ts';
import type { RuleSpec } from './spec.ts';
import { makeFacts } from './test-support.ts';

const code = (c: string): number => c.charCodeAt(0);

describe('pathBucketsOf', () => {
  const table: Array<{ patterns: string[]; buckets: number[] | null }> = [
    { patterns: ['=/healthz'], buckets: [code('h')] },
    { patterns: ['=/'], buckets: [128] },
    { patterns: ['/wp-admin', '/xmlrpc.php'], buckets: [code('w'), code('x')] },
    { patterns: ['/api/*/edit'], buckets: [code('a')] },
    { patterns: ['/a?c'], buckets: [code('a')] },
    { patterns: ['/'], buckets: null },
    { patterns: ['/*'], buckets: null },
    { patterns: ['/?x'], buckets: null },
    { patterns: ['=/a', '~/b'], buckets: null },
    { patterns: ['=/a', '~^/b'], buckets: [code('a'), code('b')] },
    { patterns: ['~^/\\.(env|git|svn|hg)'], buckets: [code('.')] },
    { patterns: ['~^/a|/b'], buckets: null },
    { patterns: ['~^/a?b'], buckets: null },
    { patterns: ['~^/[ab]'], buckets: null },
    { patterns: ['=/\u00e9t\u00e9', '/\u007f'], buckets: [127] },
  ];
  for (const t of table) {
    it(`${t.patterns.join(' ')} → ${t.buckets === null ? 'any' : t.buckets.join(',')}`, () => {
      const got = pathBucketsOf(t.patterns);
      assert.deepEqual(got === null ? null : [...got].sort((a, b) => a - b), t.buckets === null ? null : [...t.buckets].sort((a, b) => a - b));
    });
  }
  it('anchoredLiteral: what every match of an anchored regex starts with', () => {
    const table: Array<[string, string | null]> = [
      ['^/\\.(env|git)', '/.'],
      ['^/api/v\\d+', '/api/v'],
      ['^/ab+c', '/ab'],
      ['^/ab*c', '/a'],
      ['^/ab{2}', '/a'],
      ['^/ab?', '/a'],
      ['^/a\\/b', '/a/b'],
      ['^(/a|/b)', ''],
      ['^/a|^/b', null],
      ['/a', null],
      ['^/[x]y', '/'],
      ['^/a.b', '/a'],
      ['^/a(?:b|c)|d', null],
      ['^/a[|]', '/a'],
    ];
    for (const [source, literal] of table) {
      assert.equal(anchoredLiteral(source), literal, source);
      if (literal !== null) {
        // Sanity: whatever the regex matches starts with the literal.
        for (const path of ['/.env', '/api/v1', '/abbc', '/ac', '/a/b', '/a', '/b', '/xy', '/a-b', '/a|']) {
          if (new RegExp(source).test(path)) assert.ok(path.startsWith(literal), `${source} matched ${path}`);
        }
      }
    }
  });

  it('buckets paths by their second character', () => {
    assert.equal(pathBucket('/'), 128);
    assert.equal(pathBucket(''), 128);
    assert.equal(pathBucket('/login'), code('l'));
    assert.equal(pathBucket('/\u00e9'), 127);
  });
});

describe('compileRuleGate', () => {
  it('selects by method, user-agent class, level, clearance and path, in rule order, past 32 rules', () => {
    const rules = [];
    for (let i = 0; i < 40; i++) rules.push(OPEN_GATE);
    rules[3] = { ...OPEN_GATE, methods: new Set(['POST']) };
    rules[33] = { ...OPEN_GATE, uaClasses: new Set<ClientClass>(['library']), pathBuckets: new Set([code('a')]) };
    rules[34] = { ...OPEN_GATE, levels: new Set<ThreatLevel>(['under_attack']), cleared: false };
    const gate = compileRuleGate(rules);
    assert.equal(gate.words, 2);
    const out = new Uint32Array(2);
    const bits = (): number[] => [...Array(40).keys()].filter((i) => (out[i >>> 5] & (1 << (i & 31))) !== 0);
    const all = [...Array(40).keys()];
    gate.select(makeFacts({ method: 'GET' }), out);
    assert.deepEqual(bits(), all.filter((i) => i !== 3 && i !== 33 && i !== 34));
    gate.select(makeFacts({ method: 'POST', uaClass: 'library', path: '/api/x', threatLevel: 'under_attack' }), out);
    assert.deepEqual(bits(), all);
    gate.select(makeFacts({ method: 'PUT', uaClass: 'library', path: '/x', threatLevel: 'under_attack', cleared: true }), out);
    assert.deepEqual(bits(), all.filter((i) => i !== 3 && i !== 33 && i !== 34));
  });

  it('reads level, class, method and clearance requirements from an expression\'s && chain', () => {
    const gateOf = (expr: string) => compilePolicy({ rules: [{ name: 'r', expr, action: 'block' }] }).rules[0].gate;
    const g = gateOf('threat_level == "under_attack" && ua_class != "browser" && method in ["POST", "PUT"] && !cleared');
    assert.deepEqual([...g.levels!], ['under_attack']);
    assert.deepEqual([...g.uaClasses!].sort(), ['crawler', 'library', 'unknown']);
    assert.deepEqual([...g.methods!].sort(), ['POST', 'PUT']);
    assert.equal(g.cleared, false);
    assert.deepEqual(gateOf('threat_level == "normal" || ua_class == "library"'), OPEN_GATE, '|| is not looked into');
    assert.deepEqual(gateOf('!(threat_level == "normal") && rate.address > 5.0'), OPEN_GATE);
    assert.deepEqual([...gateOf('"elevated" == threat_level && threat_level != "normal"').levels!], ['elevated']);
    assert.deepEqual([...gateOf('threat_level == "normal" && threat_level == "elevated"').levels!], [], 'never true');
    // A matcher and the expression narrow each other.
    const both = compilePolicy({ rules: [{ name: 'r', match: { method: ['GET', 'POST'] }, expr: 'method == "POST"', action: 'block' }] }).rules[0].gate;
    assert.deepEqual([...both.methods!], ['POST']);
  });
});

// Property: the gate never leaves out a rule that matches, so decide with the gate decides exactly as
// visiting every rule in order does.
const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE'];
const CLASSES: ClientClass[] = ['browser', 'crawler', 'library', 'unknown'];
const PATH_PATTERNS = ['=/', '=/login', '/login', '/log', '/api/', '/a', '/api/*/x', '/w?-admin', '/*', '/', '~^/st', '=/\u00e9', '/\u00e9t', '~^/\\.e', '~^/a|/log', '~^/l?og', '~/i', '~^/a+p'];
const PATHS = ['/', '/login', '/logout', '/api/v1/x', '/api/1/x', '/a', '/wp-admin', '/static/x', '/\u00e9', '/\u00e9t\u00e9', '', '/.env', '/og', '/aap', '/xlog'];

const LEVELS: ThreatLevel[] = ['normal', 'elevated', 'under_attack'];
// Conjuncts the gate reads, conjuncts it must ignore (negated, `||`, other facts) and one that fails at
// run time on cel-js when the header is absent (so errors must come out the same with and without the gate).
const CONJUNCTS = [
  'threat_level == "under_attack"',
  'threat_level != "normal"',
  'threat_level in ["elevated", "under_attack"]',
  '"normal" == threat_level',
  'ua_class == "browser"',
  'ua_class != "browser"',
  'ua_class in ["library", "crawler"]',
  'method == "POST"',
  'method in ["GET", "HEAD"]',
  'method != "GET"',
  'cleared',
  '!cleared',
  'path.startsWith("/a")',
  'rate.address > 5.0',
  '!(threat_level == "normal")',
  '(threat_level == "normal" || ua_class == "library")',
  'headers["x-a"] == "1"',
];

const ruleArb = fc.record({
  method: fc.option(fc.subarray(METHODS, { minLength: 1 }), { nil: undefined }),
  ua_class: fc.option(fc.subarray(CLASSES, { minLength: 1 }), { nil: undefined }),
  path: fc.option(fc.subarray(PATH_PATTERNS, { minLength: 1 }), { nil: undefined }),
  expr: fc.option(fc.array(fc.constantFrom(...CONJUNCTS), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  action: fc.constantFrom('block', 'challenge', 'log', 'allow', 'tarpit'),
  shadow: fc.boolean(),
});

const requestArb = fc.record({
  method: fc.constantFrom(...METHODS),
  uaClass: fc.constantFrom(...CLASSES),
  path: fc.constantFrom(...PATHS),
  threatLevel: fc.constantFrom(...LEVELS),
  cleared: fc.boolean(),
  rateAddress: fc.constantFrom(0, 10),
  headers: fc.constantFrom<Record<string, string>>({}, { 'x-a': '1' }, { 'x-a': '2' }),
});

/** The same policy deciding without the gate: every rule a candidate. */
function ungated(policy: CompiledPolicy): CompiledPolicy {
  const all = compileRuleGate(policy.rules.map(() => OPEN_GATE));
  return { ...policy, gate: all, scratch: createMatchScratch(all.words) };
}

describe('rule gate property', () => {
  it('decides exactly as visiting every rule', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 45 }),
        fc.array(requestArb, { minLength: 1, maxLength: 20 }),
        (specs, requests) => {
          const rules: RuleSpec[] = specs.map((r, i) => {
            const match: Record<string, unknown> = {};
            if (r.method) match.method = r.method;
            if (r.ua_class) match.ua_class = r.ua_class;
            if (r.path) match.path = r.path;
            return { name: `r${i}`, match, ...(r.expr ? { expr: r.expr.join(' && ') } : {}), action: r.action, shadow: r.shadow } as RuleSpec;
          });
          const gated = compilePolicy({ rules });
          const reference = ungated(gated);
          for (const req of requests) {
            const facts = makeFacts(req);
            const a = decide(facts, gated, {}, 0);
            const b = decide(facts, reference, {}, 0);
            assert.deepEqual(a.decision, b.decision);
            assert.deepEqual(a.shadow, b.shadow);
            assert.deepEqual(a.errors.map((e) => e.by), b.errors.map((e) => e.by));
            // And per rule: a matching rule is always a candidate.
            gated.gate.select(facts, gated.scratch.candidates);
            gated.rules.forEach((rule, i) => {
              if (matchRule(rule, facts, gated.scratch)) assert.ok((gated.scratch.candidates[i >>> 5] & (1 << (i & 31))) !== 0, `${rule.name} left out for ${JSON.stringify(req)}`);
            });
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
