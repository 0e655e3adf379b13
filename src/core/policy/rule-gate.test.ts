import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ClientClass } from '../vocabulary.ts';
import { compilePolicy } from './compile.ts';
import type { CompiledPolicy } from './compile.ts';
import { decide } from './decide.ts';
import { matchRule } from './rules.ts';
import { anchoredLiteral, compileRuleGate, pathBucket, pathBucketsOf } from './rule-gate.ts';
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
  it('selects by method, user-agent class and path, in rule order, past 32 rules', () => {
    const rules = [];
    for (let i = 0; i < 40; i++) rules.push({ methods: null, uaClasses: null, pathBuckets: null });
    rules[3] = { methods: new Set(['POST']), uaClasses: null, pathBuckets: null };
    rules[33] = { methods: null, uaClasses: new Set<ClientClass>(['library']), pathBuckets: new Set([code('a')]) };
    const gate = compileRuleGate(rules);
    assert.equal(gate.words, 2);
    const out = new Uint32Array(2);
    const bits = (): number[] => [...Array(40).keys()].filter((i) => (out[i >>> 5] & (1 << (i & 31))) !== 0);
    gate.select(makeFacts({ method: 'GET' }), out);
    assert.deepEqual(bits(), [...Array(40).keys()].filter((i) => i !== 3 && i !== 33));
    gate.select(makeFacts({ method: 'POST', uaClass: 'library', path: '/api/x' }), out);
    assert.deepEqual(bits(), [...Array(40).keys()]);
    gate.select(makeFacts({ method: 'PUT', uaClass: 'library', path: '/x' }), out);
    assert.deepEqual(bits(), [...Array(40).keys()].filter((i) => i !== 3 && i !== 33));
  });
});

// Property: the gate never leaves out a rule that matches, so decide with the gate decides exactly as
// visiting every rule in order does.
const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE'];
const CLASSES: ClientClass[] = ['browser', 'crawler', 'library', 'unknown'];
const PATH_PATTERNS = ['=/', '=/login', '/login', '/log', '/api/', '/a', '/api/*/x', '/w?-admin', '/*', '/', '~^/st', '=/\u00e9', '/\u00e9t', '~^/\\.e', '~^/a|/log', '~^/l?og', '~/i', '~^/a+p'];
const PATHS = ['/', '/login', '/logout', '/api/v1/x', '/api/1/x', '/a', '/wp-admin', '/static/x', '/\u00e9', '/\u00e9t\u00e9', '', '/.env', '/og', '/aap', '/xlog'];

const ruleArb = fc.record({
  method: fc.option(fc.subarray(METHODS, { minLength: 1 }), { nil: undefined }),
  ua_class: fc.option(fc.subarray(CLASSES, { minLength: 1 }), { nil: undefined }),
  path: fc.option(fc.subarray(PATH_PATTERNS, { minLength: 1 }), { nil: undefined }),
  action: fc.constantFrom('block', 'challenge', 'log', 'allow', 'tarpit'),
  shadow: fc.boolean(),
});

/** The same policy deciding without the gate: every rule a candidate. */
function ungated(policy: CompiledPolicy): CompiledPolicy {
  const all = compileRuleGate(policy.rules.map(() => ({ methods: null, uaClasses: null, pathBuckets: null })));
  return { ...policy, gate: all, scratch: createMatchScratch(all.words) };
}

describe('rule gate property', () => {
  it('decides exactly as visiting every rule', () => {
    fc.assert(
      fc.property(
        fc.array(ruleArb, { minLength: 1, maxLength: 45 }),
        fc.array(fc.record({ method: fc.constantFrom(...METHODS), uaClass: fc.constantFrom(...CLASSES), path: fc.constantFrom(...PATHS) }), { minLength: 1, maxLength: 20 }),
        (specs, requests) => {
          const rules: RuleSpec[] = specs.map((r, i) => {
            const match: Record<string, unknown> = {};
            if (r.method) match.method = r.method;
            if (r.ua_class) match.ua_class = r.ua_class;
            if (r.path) match.path = r.path;
            return { name: `r${i}`, match, action: r.action, shadow: r.shadow } as RuleSpec;
          });
          const gated = compilePolicy({ rules });
          const reference = ungated(gated);
          for (const req of requests) {
            const facts = makeFacts(req);
            const a = decide(facts, gated, {}, 0);
            const b = decide(facts, reference, {}, 0);
            assert.deepEqual(a.decision, b.decision);
            assert.deepEqual(a.shadow, b.shadow);
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
