import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { fieldsTag, sameFieldsFromLast } from './head-match.ts';

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

test('fieldsTag: equal header lists always have equal tags (so a repeat is never missed); lists whose count or last value differ at its end mostly do not', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 300 }), { maxLength: 40 }), (list) => {
      assert.equal(fieldsTag(list), fieldsTag(list.map((s) => `${s}`)));
    }),
  );
  const list = (n: string) => ['Host', 'example.org', 'User-Agent', 'Mozilla/5.0', 'X-Bench-N', n];
  assert.notEqual(fieldsTag(list('1000')), fieldsTag(list('1064')));
  assert.notEqual(fieldsTag(list('99')), fieldsTag(list('100')));
  assert.notEqual(fieldsTag(list('1')), fieldsTag([...list('1'), 'Cookie', 'a=1']));
  assert.equal(fieldsTag([]), 0);
  assert.equal(fieldsTag(['X-Empty', '']), fieldsTag(['X-Other', '']));
});
