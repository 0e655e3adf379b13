import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { checkPowSolution, solvePow, MAX_COUNTER_DIGITS } from './pow.ts';
import { SEARCH_FUNCTION_SOURCE } from './page/solver-script.ts';
import { DEFAULT_CHALLENGE_POLICY, difficultyFor, noJsWaitFor, resolveChallengePolicy } from './policy.ts';

const SEED = 'AbCdEfGhIjKlMnOp';

function leadingZeroBits(text: string): number {
  const digest = createHash('sha256').update(text).digest();
  let zeros = 0;
  for (const byte of digest) {
    if (byte === 0) { zeros += 8; continue; }
    return zeros + Math.clz32(byte) - 24;
  }
  return zeros;
}

test('solvePow finds a counter that checkPowSolution accepts, and node:crypto agrees', () => {
  for (const difficulty of [1, 4, 8, 12]) {
    const found = solvePow(SEED, difficulty, { maxIterations: 1 << 20 });
    assert.ok(found, `difficulty ${difficulty}`);
    assert.equal(checkPowSolution(SEED, found.solution, difficulty), 'ok');
    assert.ok(leadingZeroBits(SEED + found.solution) >= difficulty);
  }
});

test('checkPowSolution refuses non-canonical or oversized counters', () => {
  const found = solvePow(SEED, 6, { maxIterations: 1 << 16 });
  assert.ok(found);
  const cases: Array<[string, string]> = [
    [`0${found.solution}`, 'malformed'],
    [`+${found.solution}`, 'malformed'],
    [`${found.solution} `, 'malformed'],
    ['', 'malformed'],
    ['1'.repeat(MAX_COUNTER_DIGITS + 1), 'malformed'],
    ['12a', 'malformed'],
    ['-1', 'malformed'],
    ['0', checkPowSolution(SEED, '0', 6)],
  ];
  for (const [solution, expected] of cases) assert.equal(checkPowSolution(SEED, solution, 6), expected, JSON.stringify(solution));
  assert.equal(checkPowSolution('', '1', 1), 'malformed');
  assert.equal(checkPowSolution('x'.repeat(41), '1', 1), 'malformed');
});

test('checkPowSolution says insufficient for a counter below the difficulty', () => {
  // Find a counter with exactly 0 leading zero bits.
  let c = 0;
  while (leadingZeroBits(SEED + c) !== 0) c++;
  assert.equal(checkPowSolution(SEED, String(c), 1), 'insufficient');
  assert.equal(checkPowSolution(SEED, String(c), 0), 'ok');
});

test('solvePow respects maxIterations, start and step', () => {
  assert.equal(solvePow(SEED, 30, { maxIterations: 100 }), undefined);
  const a = solvePow(SEED, 8, { maxIterations: 1 << 16, start: 1, step: 2 });
  assert.ok(a);
  assert.equal(Number(a.solution) % 2, 1);
});

test('the page solver (browser JavaScript) agrees with the server check', () => {
  const context = vm.createContext({});
  const search = vm.runInContext(`(${SEARCH_FUNCTION_SOURCE})`, context) as (seed: string, bits: number, start: number, step: number, count: number) => number;
  for (const difficulty of [1, 6, 10, 13]) {
    const counter = search(SEED, difficulty, 0, 1, 1 << 20);
    assert.ok(counter >= 0);
    assert.equal(checkPowSolution(SEED, String(counter), difficulty), 'ok');
    assert.equal(String(counter), solvePow(SEED, difficulty, { maxIterations: 1 << 20 })?.solution, 'same first solution');
  }
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{16}$/), fc.integer({ min: 1, max: 8 }), (seed, bits) => {
      const counter = search(seed, bits, 0, 1, 1 << 16);
      return counter >= 0 && checkPowSolution(seed, String(counter), bits) === 'ok' && String(counter) === solvePow(seed, bits, { maxIterations: 1 << 16 })?.solution;
    }),
    { numRuns: 200 },
  );
});

test('difficulty policy: defaults, rule override clamped, validation lists every problem', () => {
  const p = DEFAULT_CHALLENGE_POLICY;
  assert.deepEqual([difficultyFor(p, 'normal'), difficultyFor(p, 'elevated'), difficultyFor(p, 'under_attack')], [14, 16, 18]);
  assert.equal(difficultyFor(p, 'normal', 20), 20);
  assert.equal(difficultyFor(p, 'normal', 99), 30);
  assert.equal(difficultyFor(p, 'normal', 0), 1);
  assert.equal(noJsWaitFor(p, 'normal'), 5);
  assert.equal(noJsWaitFor(p, 'under_attack'), 20);
  const custom = resolveChallengePolicy({ difficulty: { under_attack: 20 }, noJsWaitS: { elevated: 0 } });
  assert.equal(custom.difficulty.under_attack, 20);
  assert.equal(custom.difficulty.normal, 14);
  assert.equal(custom.noJsWaitS.elevated, 0);
  assert.throws(
    () => resolveChallengePolicy({ difficulty: { normal: 0 }, tokenLifetimeS: 5, clearanceBinding: 'nope' as 'prefix' }),
    (err: Error & { code?: string }) => err.code === 'BULWARK_ERR_CHALLENGE_POLICY' && /difficulty\.normal/.test(err.message) && /tokenLifetimeS/.test(err.message) && /clearanceBinding/.test(err.message),
  );
});
