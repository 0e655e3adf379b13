import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseIpInto } from '../net/ip.ts';
import { createCelCompiler, isCompileError } from './cel.ts';
import type { CelProgram } from './cel.ts';
import { createMatchScratch } from './scratch.ts';
import { makeFacts } from './test-support.ts';
import type { FactsInit } from './test-support.ts';

const FAST_EXPRESSIONS: readonly string[] = [
  'asn == 64496',
  'asn in [64496, 15169] || country in ["DE", "FR"]',
  '!cleared && rate.address > 5 && rate.prefix <= 100.0',
  '-rate.address < -1.5',
  'threat_level == "under_attack" && ua_class != "browser"',
  'method == "POST" ? path.startsWith("/api/") : path.endsWith(".php")',
  'path.contains("admin") || query.size() > 10 || size(path) >= 3',
  'header("User-Agent").matches("^curl/") || header("x-missing") == ""',
  '"cookie" in headers && !("Cookie" in headers)',
  'ipInCidr(address, "203.0.113.0/24") || ipInCidr(address, ["2001:db8::/32", "10.0.0.0/8"])',
  'ipInCidr(header("x-real-ip"), "10.0.0.0/8")',
  'fingerprint < "m" && host >= "a" && site > "" && prefix != address',
  'country == "" || asn == 0.0',
];

const SLOW_EXPRESSIONS: readonly string[] = [
  'headers["x"] == "1"', // index access can fail at run time
  'size(headers) > 2',
  'headers.exists(k, k.startsWith("x-"))',
  'ipInCidr(address, header("x-cidr"))', // run-time CIDR
  'asn + 1.0 > 2.0',
  'string(asn) == "1"',
];

function compileBoth(expr: string): { fast: CelProgram; slow: CelProgram } {
  const fast = createCelCompiler({ fast: true }).compile(expr);
  const slow = createCelCompiler({ fast: false }).compile(expr);
  assert.ok(!isCompileError(fast) && !isCompileError(slow), expr);
  return { fast, slow };
}

/** Evaluate a program as decide would: with the address parsed into the scratch first. */
function evaluate(p: CelProgram, init: FactsInit): boolean | 'error' {
  const facts = makeFacts(init);
  const scratch = createMatchScratch();
  scratch.family = parseIpInto(facts.address, scratch.words);
  try {
    return p.test(facts, scratch);
  } catch {
    return 'error';
  }
}

const str = fc.oneof(fc.constantFrom('', 'a', 'DE', '/api/x', 'm', 'admin', 'POST', 'curl/8', '𝒳y'), fc.string({ maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }));
const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('203.0.113.9', '10.1.2.3', '2001:db8::7', 'junk', ''));
const factsArb: fc.Arbitrary<FactsInit> = fc.record({
  address,
  prefix: str,
  asn: fc.oneof(fc.constant(null), fc.constantFrom(64496, 15169, 0), fc.integer({ min: 0, max: 70000 })),
  country: fc.oneof(fc.constant(null), fc.constantFrom('DE', 'FR', 'US', '')),
  method: fc.constantFrom('GET', 'POST', 'HEAD'),
  path: str,
  query: str,
  host: str,
  site: str,
  fingerprint: str,
  uaClass: fc.constantFrom('browser', 'crawler', 'library', 'unknown' as const),
  cleared: fc.boolean(),
  threatLevel: fc.constantFrom('normal', 'elevated', 'under_attack' as const),
  rateAddress: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  ratePrefix: fc.double({ min: 0, max: 1e6, noNaN: true }),
  headers: fc.dictionary(fc.constantFrom('user-agent', 'cookie', 'x-real-ip', 'accept', 'x-cidr'), fc.oneof(str, address), { maxKeys: 5 }),
});

describe('CEL fast path', () => {
  it('covers the simple expressions and leaves the rest to cel-js', () => {
    for (const e of FAST_EXPRESSIONS) assert.equal(compileBoth(e).fast.fast, true, e);
    for (const e of SLOW_EXPRESSIONS) assert.equal(compileBoth(e).fast.fast, false, e);
  });

  for (const expr of FAST_EXPRESSIONS) {
    it(`agrees with cel-js: ${expr}`, () => {
      const { fast, slow } = compileBoth(expr);
      assert.equal(slow.fast, false);
      fc.assert(fc.property(factsArb, (init) => evaluate(fast, init) === evaluate(slow, init)), { numRuns: 300 });
    });
  }
});
