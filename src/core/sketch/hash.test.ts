/**
 * Fixed vectors of the seeded hashes, computed with the code as it stood before the two MurmurHash3
 * copies (the detector's `hash32` and the tables' 64-bit hash) were folded into this one module. These
 * outputs are persisted — KMV prefix sketches in stored incidents, HyperLogLog registers and window
 * aggregates shared between workers and nodes, header fingerprints in records and policy rules — so any
 * change to them makes stored state disagree with fresh state. A failure here means the hash changed:
 * that needs a migration, not a new vector.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { headerFingerprint } from '../identify/fingerprint.ts';
import { fmix32, hash32, hashChain64, hashString64, hashWordsChain64 } from './hash.ts';

const STRINGS: readonly string[] = [...["", "a", "ab", "abc", "203.0.113.7", "198.51.100.0/24", "2001:db8:1:2::/64", "\u00e9t\u00e9 \u2713 \ud83d\ude00"], 'x'.repeat(301)];
const SEEDS: readonly number[] = [0, 1, 2538058380, 4294967295, 12345678901];

/** hash32(STRINGS[i], SEEDS[j]). */
const HASH32: readonly (readonly number[])[] = [[0, 1364076727, 3954623016, 2180083513, 4063312447], [1009084850, 1485495528, 2141232806, 711476519, 3222478493], [3780547604, 620013157, 1395310093, 2877105011, 1836509213], [1968171120, 2466761069, 1515432033, 2432423935, 1897312729], [1249308101, 3095669032, 2985330784, 1136063925, 2772180566], [1243975670, 3990626181, 2259415117, 2390212111, 2009589637], [471002641, 1776740605, 623507555, 3884857494, 621531247], [662826021, 3401367861, 713460872, 1577677899, 909106224], [2061999633, 1317105320, 699380065, 3084782604, 2496004505]];

/** [fmix32(x)] for each input. */
const FMIX_IN: readonly number[] = [0, 1, 2147483647, 2147483648, 4294967295, -1, 123456789];
const FMIX_OUT: readonly number[] = [0, 1364076727, 4190899880, 1832674720, 2180083513, 2180083513, 3126909082];

/** hashString64(STRINGS[i], SEEDS[j]) as [lane 0, lane 1]. */
const HASH64: readonly (readonly (readonly number[])[])[] = [[[3634119292, 1722103165], [517454710, 3056409484], [4091243744, 3143167177], [3391473160, 1517854924], [1393045478, 1093875604]], [[4034653503, 2293014371], [3740266339, 149801159], [3174726516, 1754513100], [2139201254, 224735027], [1185733877, 1657890211]], [[405589885, 1349152267], [3168764489, 3482444041], [237922635, 37985599], [1504985027, 3967863336], [3936667059, 891869285]], [[1061751579, 1048209847], [2299405633, 2764416394], [2936758755, 2330971654], [321685515, 3479755320], [2067366637, 3754370972]], [[790777531, 624213457], [4048536565, 3501048502], [3487488170, 1058204623], [968991440, 2476542084], [1549845592, 2809427953]], [[2494311974, 1946296621], [1844512217, 3987607911], [1450385226, 4120693756], [2381248633, 2317390086], [3891328802, 711722091]], [[2266286853, 2285049867], [1934449831, 267990035], [2912412010, 3688552468], [2501687240, 2361372208], [2875989825, 2968588706]], [[1401999658, 1680670075], [3990093484, 689466594], [1637793639, 2762766607], [595703518, 2971850744], [1649664849, 1252044060]], [[3367256324, 3912270062], [1908531824, 2541126722], [3861965939, 1385549071], [460434324, 4050951230], [220360295, 383251208]]];

test('hash32 gives the MurmurHash3 x86_32 reference values where inputs coincide (UTF-16 units, two per block)', () => {
  // The published vectors for the empty input: seed 0 → 0, seed 1 → 0x514e28b7.
  assert.equal(hash32('', 0), 0);
  assert.equal(hash32('', 1), 0x514e28b7);
});

test('hash32 is bit-identical to the values persisted sketches were built with', () => {
  STRINGS.forEach((s, i) => SEEDS.forEach((seed, j) => assert.equal(hash32(s, seed), HASH32[i]![j], `hash32(${JSON.stringify(s.slice(0, 20))}, ${seed})`)));
});

test('fmix32 (the one finaliser) is bit-identical for int32 and uint32 inputs', () => {
  FMIX_IN.forEach((x, i) => assert.equal(fmix32(x), FMIX_OUT[i], `fmix32(${x})`));
});

test('hashString64 and the chained 64-bit hash are bit-identical', () => {
  const out = new Uint32Array(2);
  STRINGS.forEach((s, i) =>
    SEEDS.forEach((seed, j) => {
      hashString64(s, seed, out);
      assert.deepEqual([out[0], out[1]], HASH64[i]![j], `hashString64(${JSON.stringify(s.slice(0, 20))}, ${seed})`);
    }),
  );
  const state = new Uint32Array([0x243f6a88, 0x85a308d3]);
  hashChain64('GET', state);
  hashChain64(undefined, state);
  hashChain64('/index.html', state);
  hashChain64('é✓', state, 1);
  hashWordsChain64(new Uint32Array([0xcb007107, 0x20010db8, 0, 1]), 0, 4, -6, state);
  assert.deepEqual([state[0], state[1]], [141902582, 2564001328]);
});

test('the header fingerprint (built on fmix32) is unchanged', () => {
  const raw = ['Host', 'example.org', 'User-Agent', 'Mozilla/5.0', 'Accept', '*/*', 'Accept-Language', 'en', 'Cookie', 'a=1'];
  assert.equal(headerFingerprint(raw, 'GET', '1.1'), "ge11cnl04_acc4ba0f36b6");
});
