import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileGuardedRegex, MAX_PATTERN_CHARS, regexHazard } from './regex-guard.ts';

describe('regexHazard', () => {
  const refused: readonly string[] = ['(a+)+', '(a*)*', '(\\w+)*$', '(?:x+y?){2,}', '((a+)b)+', '^(\\d+)+$', '(a+){3}', '(a)\\1', '(?<x>a)\\k<x>', 'x'.repeat(MAX_PATTERN_CHARS + 1)];
  const accepted: readonly string[] = ['^/wp-(admin|login)', '(foo|bar)+', '(ab)+', '(a+)?', '(a+)', '[(a+)+]', '\\(a+\\)+', 'sqlmap|nikto', '^/api/v\\d+/', 'a{2,5}', '(x{1})+', '(?i)bot', '[\\1]'];
  for (const p of refused) it(`refuses ${p.slice(0, 30)}`, () => assert.notEqual(regexHazard(p), null));
  for (const p of accepted) it(`accepts ${p}`, () => assert.equal(regexHazard(p), null));
});

describe('compileGuardedRegex', () => {
  it('honours a leading (?i)', () => {
    const r = compileGuardedRegex('(?i)^curl');
    assert.ok(r.ok && r.regex.test('CURL/8') && r.regex.flags === 'i');
  });
  it('is case-sensitive otherwise', () => {
    const r = compileGuardedRegex('^curl');
    assert.ok(r.ok && !r.regex.test('CURL/8'));
  });
  it('reports syntax errors without throwing', () => {
    const r = compileGuardedRegex('([a-');
    assert.ok(!r.ok && /invalid regular expression/.test(r.error));
  });
  it('reports hazards without throwing', () => {
    const r = compileGuardedRegex('(?i)(a+)+$');
    assert.ok(!r.ok && /nested quantifier/.test(r.error));
  });
});
