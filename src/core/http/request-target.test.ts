import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { normalizeOriginTarget, removeDotSegments, scanTarget, TARGET_BAD, TARGET_CLEAN, TARGET_NEEDS_NORMALIZING } from './request-target.ts';

test('scanTarget: clean targets are used as they are; escapes, dot and empty segments need normalising', () => {
  const cases: [string, number][] = [
    ['/', TARGET_CLEAN],
    ['/a/b.html?x=1&y=/../z', TARGET_CLEAN],
    ['/a?q=100%25', TARGET_NEEDS_NORMALIZING],
    ['/%61', TARGET_NEEDS_NORMALIZING],
    ['/a/../b', TARGET_NEEDS_NORMALIZING],
    ['/.well-known/x', TARGET_NEEDS_NORMALIZING],
    ['//a', TARGET_NEEDS_NORMALIZING],
    ['/a b', TARGET_BAD],
    ['/a#b', TARGET_BAD],
    ['/a\\b', TARGET_BAD],
    ['/\u00e9', TARGET_BAD],
  ];
  for (const [url, want] of cases) assert.equal(scanTarget(url), want, url);
});

test('removeDotSegments (RFC 3986 §5.2.4 examples, plus merged empty segments)', () => {
  const cases: [string, string][] = [
    ['/a/b/c/./../../g', '/a/g'],
    ['/mid/content=5/../6', '/mid/6'],
    ['/..', '/'],
    ['/../..', '/'],
    ['/a/..', '/'],
    ['/a/.', '/a/'],
    ['/a/b/', '/a/b/'],
    ['/a//b', '/a/b'],
    ['//', '/'],
    ['/.well-known/x', '/.well-known/x'],
    ['/a/...', '/a/...'],
  ];
  for (const [p, want] of cases) assert.equal(removeDotSegments(p), want, p);
});

test('escapes: unreserved decoded, the rest upper-cased; the query keeps stray % and its separators', () => {
  assert.equal(normalizeOriginTarget('/%7euser/%c3%a9t%C3%A9'), '/~user/%C3%A9t%C3%A9');
  assert.equal(normalizeOriginTarget('/s?q=100%&a=%2f%41'), '/s?q=100%&a=%2FA');
  assert.equal(normalizeOriginTarget('/a/../b?x=/../y'), '/b?x=/../y');
  assert.deepEqual(normalizeOriginTarget('/a%2fb'), { code: 'BULWARK_ERR_ENCODED_SEPARATOR' });
  assert.deepEqual(normalizeOriginTarget('/a%5Cb'), { code: 'BULWARK_ERR_ENCODED_SEPARATOR' });
  assert.deepEqual(normalizeOriginTarget('/a%0d%0a'), { code: 'BULWARK_ERR_INVALID_TARGET' });
  assert.deepEqual(normalizeOriginTarget('/a%4'), { code: 'BULWARK_ERR_INVALID_TARGET' });
});

test('property: normalising is idempotent, and a normal target has no dot or empty segment and no escaped unreserved character', () => {
  const piece = fc.constantFrom('a', 'B', '.', '..', '%2e', '%2E', '%61', '%7E', '%20', '%c3%a9', '', '-', '~', ';x', '%25');
  const target = fc.tuple(fc.array(piece, { maxLength: 8 }), fc.option(fc.constantFrom('a=1', 'q=%41%2f', 'x=/../y'), { nil: undefined }))
    .map(([segs, q]) => `/${segs.join('/')}${q === undefined ? '' : `?${q}`}`);
  fc.assert(
    fc.property(target, (url) => {
      const once = normalizeOriginTarget(url);
      assert.equal(typeof once, 'string');
      const path = (once as string).split('?')[0]!;
      assert.equal(normalizeOriginTarget(once as string), once);
      assert.doesNotMatch(path, /\/\.\.?(\/|$)|\/\/|%(2[dDeE]|5[fF]|7[eE]|[46][1-9a-fA-F]|[57][0-9aA]|3[0-9])/);
    }),
    { numRuns: 500 },
  );
});
