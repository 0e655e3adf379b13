import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy } from './compile.ts';
import { decide } from './decide.ts';
import { PolicyError } from './problems.ts';
import type { PolicyProblem } from './problems.ts';
import { makeFacts } from './test-support.ts';
import type { FactsInit } from './test-support.ts';

/** Decide with one `block` rule whose expression is `expr`, on the fast path (when it applies) or not. */
function run(expr: string, init: FactsInit = {}, celFastPath = true) {
  const policy = compilePolicy({ rules: [{ name: 'e', expr, action: 'block' }] }, { celFastPath });
  return decide(makeFacts(init), policy, {}, 0);
}
const holds = (expr: string, init: FactsInit = {}, fast = true): boolean => run(expr, init, fast).decision.by === 'rule/e';

/** The problems of a policy with one rule whose expression is `expr`. */
function problemsOf(expr: string): readonly PolicyProblem[] {
  try {
    compilePolicy({ rules: [{ name: 'bad-expr', expr, action: 'block' }] });
  } catch (err) {
    assert.ok(err instanceof PolicyError);
    return err.problems;
  }
  assert.fail(`expected ${expr} not to compile`);
}

const TRUE_CASES: ReadonlyArray<readonly [string, FactsInit?]> = [
  ['address == "203.0.113.7"'],
  ['prefix == "203.0.113.0/24"'],
  ['asn == 64496'],
  ['asn == 64496.0'],
  ['asn in [1, 64496]'],
  ['asn != 1'],
  ['asn == 0.0 && country == ""', { asn: null, country: null }],
  ['asn > 100'],
  ['country == "DE"'],
  ['site == "example" && host == "example.org"'],
  ['method == "POST"', { method: 'POST' }],
  ['path.startsWith("/api/") && query.contains("id=")', { path: '/api/x', query: 'id=1' }],
  ['fingerprint.startsWith("ge11")'],
  ['ua_class == "library"', { uaClass: 'library' }],
  ['!cleared'],
  ['cleared', { cleared: true }],
  ['rate.address > 5 && rate.prefix >= 100.0', { rateAddress: 7.5, ratePrefix: 100 }],
  ['threat_level == "under_attack"', { threatLevel: 'under_attack' }],
  ['"user-agent" in headers'],
  ['!("cookie" in headers)'],
  ['headers["accept"] == "*/*"'],
  ['header("User-Agent").startsWith("Mozilla/")'],
  ['header("x-missing") == ""'],
  ['headers["x-tag"] == "a, b"', { headers: { 'x-tag': ['a', 'b'] } }],
  ['headers["cookie"] == "a=1; b=2"', { headers: { cookie: ['a=1', 'b=2'] } }],
  ['size(headers) == 2'],
  ['headers.exists(k, k.startsWith("user-"))'],
  ['ipInCidr(address, "203.0.113.0/24")'],
  ['ipInCidr(address, ["198.51.100.0/24", "203.0.113.0/25"])'],
  ['ipInCidr(address, "2001:db8::/32")', { address: '2001:db8::1' }],
  ['ipInCidr(header("x-real-ip"), "10.0.0.0/8")', { headers: { 'x-real-ip': '10.1.2.3' } }],
  ['path.matches("^/wp-(admin|login)")', { path: '/wp-login.php' }],
];

const FALSE_CASES: ReadonlyArray<readonly [string, FactsInit?]> = [
  ['asn == 1'],
  ['asn in [1, 2]'],
  ['ipInCidr(address, "198.51.100.0/24")'],
  ['ipInCidr(address, "10.0.0.0/8")', { address: '2001:db8::1' }],
  ['ipInCidr(header("x-real-ip"), "10.0.0.0/8")'], // header absent: '' is not an address
  ['ipInCidr(address, header("x-cidr"))', { headers: { 'x-cidr': 'not a cidr' } }],
  ['cleared'],
];

describe('CEL expressions over the request facts', () => {
  for (const fast of [true, false]) {
    const mode = fast ? 'fast path' : 'cel-js';
    for (const [expr, init] of TRUE_CASES) it(`${mode}: true: ${expr}`, () => assert.equal(holds(expr, init, fast), true));
    for (const [expr, init] of FALSE_CASES) it(`${mode}: false: ${expr}`, () => assert.equal(holds(expr, init, fast), false));
  }

  it('a missing header through header() does not throw and is empty', () => {
    const r = run('header("x-missing") != ""');
    assert.equal(r.decision.by, 'default/allow');
    assert.equal(r.errors.length, 0);
  });

  it('a missing key of headers[] does not match, is reported, and decide does not throw', () => {
    const r = run('headers["x-missing"] == ""');
    assert.equal(r.decision.by, 'default/allow');
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].by, 'rule/e');
  });

  it('caches run-time CIDR texts within a cap', () => {
    const policy = compilePolicy({ rules: [{ name: 'e', expr: 'ipInCidr(address, header("x-cidr"))', action: 'block' }] });
    for (let i = 0; i < 1000; i++) decide(makeFacts({ headers: { 'x-cidr': `10.${i >> 8}.${i & 255}.0/24` } }), policy, {}, 0);
    assert.ok(policy.stats().celCidrCache <= 256);
  });
});

describe('CEL compile errors carry the rule, the field and the position', () => {
  const cases: ReadonlyArray<{ expr: string; column: number; line?: number; message: RegExp }> = [
    { expr: 'path == "/x" &&& true', column: 16, message: /Unexpected/ },
    { expr: 'path == 1', column: 1, message: /no such overload/ },
    { expr: 'nosuchfact == "x"', column: 1, message: /Unknown variable/ },
    { expr: 'path', column: 1, message: /must be a bool/ },
    { expr: 'path.matches(header("x-re"))', column: 1, message: /literal pattern/ },
    { expr: 'path.matches("(a+)+$")', column: 14, message: /nested quantifier/ },
    { expr: 'path.matches("(")', column: 14, message: /not a valid regular expression/ },
    { expr: 'ipInCidr(address, "10.1.2.3/8")', column: 19, message: /ipInCidr/ },
    { expr: 'ipInCidr(address, ["10.0.0.0/8", "nope"])', column: 34, message: /ipInCidr/ },
    { expr: 'path == "/x" &&\n  rate.nope > 1.0', line: 2, column: 8, message: /No such key/ },
  ];
  for (const c of cases) {
    it(c.expr.replace('\n', ' '), () => {
      const [p, ...rest] = problemsOf(c.expr);
      assert.equal(rest.length, 0);
      assert.equal(p.path, 'policy.rules[0]');
      assert.equal(p.rule, 'bad-expr');
      assert.equal(p.field, 'expr');
      assert.equal(p.column, c.column);
      if (c.line !== undefined) assert.equal(p.line, c.line);
      assert.match(p.message, c.message);
    });
  }
});
