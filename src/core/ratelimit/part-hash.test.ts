import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { hashChain64 } from '../sketch/hash.ts';
import { createPartHashes } from './part-hash.ts';

const SEED = Uint32Array.of(0x1234, 0x5678);

/** The hash without the memo: what every answer must equal. */
function direct(value: string | undefined, maxHashChars = 256): string {
  const st = Uint32Array.from(SEED);
  hashChain64(value, st, maxHashChars);
  return `${st[0]}:${st[1]}`;
}

describe('part hashes', () => {
  it('answers the value hash whether remembered, forgotten (memo cleared when full) or too long to remember', () => {
    const parts = createPartHashes({ seed: SEED, maxHashChars: 256, maxEntries: 4, maxChars: 8 });
    const out = new Uint32Array(4);
    const ask = (v: string | undefined): string => {
      parts.hash(v, out, 2);
      return `${out[2]}:${out[3]}`;
    };
    const values = ['a', 'b', 'a', 'c', 'd', 'e', 'a', 'longer than eight', 'b', undefined, '', 'a'];
    for (const v of values) assert.equal(ask(v), direct(v), String(v));
    assert.ok(parts.size() <= 4, 'bounded');
    assert.notEqual(ask(undefined), ask(''), 'absent differs from empty');
  });

  it('property: any sequence of values gets the direct hash of each, within the bound', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.string({ maxLength: 12 }), { nil: undefined }), { maxLength: 200 }), fc.integer({ min: 1, max: 16 }), (values, maxEntries) => {
        const parts = createPartHashes({ seed: SEED, maxHashChars: 256, maxEntries, maxChars: 10 });
        const out = new Uint32Array(2);
        for (const v of values) {
          parts.hash(v, out, 0);
          assert.equal(`${out[0]}:${out[1]}`, direct(v));
          assert.ok(parts.size() <= maxEntries);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reads only the first maxHashChars characters (the length still counts)', () => {
    const parts = createPartHashes({ seed: SEED, maxHashChars: 4 });
    const a = new Uint32Array(2);
    const b = new Uint32Array(2);
    parts.hash('abcdXXXX', a, 0);
    parts.hash('abcdYYYY', b, 0);
    assert.deepEqual([...a], [...b]);
    parts.hash('abcdYYYYY', b, 0);
    assert.notDeepEqual([...a], [...b]);
  });
});
