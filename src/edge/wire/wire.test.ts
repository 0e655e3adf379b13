import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { sameFieldsFromLast } from './wire.ts';

test('sameFieldsFromLast: equal lists only, whichever field differs', () => {
  const base = ['Host', 'example.org', 'User-Agent', 'Mozilla/5.0', 'Accept', '*/*', 'X-Bench-N', '1'];
  const cases: Array<[string, readonly string[], boolean]> = [
    ['the same fields (other string objects)', base.map((s) => `${s}`), true],
    ['the last value differs', [...base.slice(0, -1), '2'], false],
    ['the first name differs', ['host', ...base.slice(1)], false],
    ['a middle value differs', base.map((s, i) => (i === 3 ? 'curl/8' : s)), false],
    ['one field more', [...base, 'Cookie', 'a=1'], false],
    ['one field fewer', base.slice(0, -2), false],
    ['the same fields in another order', [...base.slice(2, 4), ...base.slice(0, 2), ...base.slice(4)], false],
  ];
  for (const [name, other, same] of cases) assert.equal(sameFieldsFromLast(base, other), same, name);
  assert.equal(sameFieldsFromLast([], []), true);
});

test('sameFieldsFromLast agrees with an element-wise comparison (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', 'b', 'Host', 'x')), fc.array(fc.constantFrom('a', 'b', 'Host', 'x')), (a, b) => {
      assert.equal(sameFieldsFromLast(a, b), a.length === b.length && a.every((v, i) => v === b[i]));
    }),
  );
});
