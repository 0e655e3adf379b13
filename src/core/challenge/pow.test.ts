import { test } from 'node:test';
import assert from 'node:assert/strict';
import vm from 'node:vm';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { checkPowSolution, solvePow, splitWork, workHashes, workOfBits, MAX_COUNTER_DIGITS, MAX_SUB_CHALLENGES, MIN_SUB_CHALLENGES, SUB_INDEX, type PowWork } from './pow.ts';
import { SEARCH_FUNCTION_SOURCE } from './page/solver-script.ts';
import { DEFAULT_CHALLENGE_POLICY, expectedSolveSeconds, noJsWaitFor, resolveChallengePolicy, workFor } from './policy.ts';

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

test('solvePow finds counters that checkPowSolution accepts, and node:crypto agrees for every sub-challenge', () => {
  for (const work of [{ count: 1, bits: 1 }, { count: 4, bits: 6 }, { count: 16, bits: 8 }, { count: 32, bits: 4 }, { count: 3, bits: 0 }]) {
    const found = solvePow(SEED, work, { maxIterations: 1 << 22 });
    assert.ok(found, JSON.stringify(work));
    assert.equal(checkPowSolution(SEED, found.solution, work), 'ok');
    const counters = found.solution.split('.');
    assert.equal(counters.length, work.count);
    counters.forEach((c, i) => assert.ok(leadingZeroBits(SEED + SUB_INDEX[i] + c) >= work.bits, `sub ${i}`));
  }
});

test('checkPowSolution refuses non-canonical, missing, extra or oversized counters', () => {
  const work = { count: 3, bits: 5 };
  const found = solvePow(SEED, work, { maxIterations: 1 << 16 })!;
  const [a, b, c] = found.solution.split('.');
  const cases: Array<[string, string]> = [
    [found.solution, 'ok'],
    [`0${a}.${b}.${c}`, 'malformed'],
    [`+${a}.${b}.${c}`, 'malformed'],
    [`${a}.${b}.${c} `, 'malformed'],
    [`${a}.${b}`, 'malformed'],
    [`${a}.${b}.${c}.${c}`, 'malformed'],
    [`${a}..${c}`, 'malformed'],
    [`${a}.${b}.${c}.`, 'malformed'],
    ['', 'malformed'],
    [`${a}.${b}.${'1'.repeat(MAX_COUNTER_DIGITS + 1)}`, 'malformed'],
    [`${a}.12a.${c}`, 'malformed'],
    [`${a}.-1.${c}`, 'malformed'],
  ];
  for (const [solution, expected] of cases) assert.equal(checkPowSolution(SEED, solution, work), expected, JSON.stringify(solution));
  assert.equal(checkPowSolution('', '1', { count: 1, bits: 1 }), 'malformed');
  assert.equal(checkPowSolution('x'.repeat(41), '1', { count: 1, bits: 1 }), 'malformed');
  assert.equal(checkPowSolution(SEED, '1', { count: 0, bits: 1 }), 'malformed');
  assert.equal(checkPowSolution(SEED, '1', { count: MAX_SUB_CHALLENGES + 1, bits: 1 }), 'malformed');
});

test('checkPowSolution: a counter that solves one sub-challenge does not solve another (each has its own letter)', () => {
  const one = solvePow(SEED, { count: 1, bits: 10 }, { maxIterations: 1 << 20 })!;
  // The first sub-challenge's counter, repeated for the second: the second message differs, so it fails
  // unless it happens to pass there too (then the check is right to accept it).
  const expected = leadingZeroBits(`${SEED}B${one.solution}`) >= 10 ? 'ok' : 'insufficient';
  assert.equal(checkPowSolution(SEED, `${one.solution}.${one.solution}`, { count: 2, bits: 10 }), expected);
});

test('checkPowSolution says insufficient for a counter below the bits, ok at 0 bits', () => {
  let c = 0;
  while (leadingZeroBits(`${SEED}A${c}`) !== 0) c++;
  assert.equal(checkPowSolution(SEED, String(c), { count: 1, bits: 1 }), 'insufficient');
  assert.equal(checkPowSolution(SEED, String(c), { count: 1, bits: 0 }), 'ok');
});

test('solvePow respects maxIterations', () => {
  assert.equal(solvePow(SEED, { count: 2, bits: 30 }, { maxIterations: 100 }), undefined);
  const found = solvePow(SEED, { count: 4, bits: 4 }, { maxIterations: 1 << 16 })!;
  assert.ok(found.iterations >= 4);
});

test('splitWork: at least 16 sub-challenges (fewer only for tiny work), under 2x as many, work within 3%', () => {
  fc.assert(
    fc.property(fc.double({ min: 1, max: 2 ** 34, noNaN: true }), (hashes) => {
      const w = splitWork(hashes);
      const asked = workHashes(w);
      if (hashes <= MIN_SUB_CHALLENGES) return w.bits === 0 && w.count === Math.ceil(hashes);
      return w.count >= MIN_SUB_CHALLENGES && w.count <= MAX_SUB_CHALLENGES && Math.abs(asked - hashes) / hashes <= 0.032;
    }),
    { numRuns: 2000 },
  );
  assert.deepEqual(splitWork(2 ** 18), { count: 16, bits: 14 });
  assert.deepEqual(workOfBits(1), { count: 2, bits: 0 });
  assert.equal(workHashes(workOfBits(20)), 2 ** 20);
});

test('the page solver (browser JavaScript) agrees with the server check', () => {
  const context = vm.createContext({});
  const search = vm.runInContext(`(${SEARCH_FUNCTION_SOURCE})`, context) as (seed: string, letter: string, bits: number, start: number, count: number) => number;
  const browserSolve = (seed: string, work: PowWork): string | undefined => {
    const counters: number[] = [];
    for (let i = 0; i < work.count; i++) {
      const c = search(seed, SUB_INDEX[i]!, work.bits, 0, 1 << 20);
      if (c < 0) return undefined;
      counters.push(c);
    }
    return counters.join('.');
  };
  for (const work of [{ count: 1, bits: 1 }, { count: 4, bits: 10 }, { count: 16, bits: 6 }, { count: 32, bits: 3 }]) {
    const solution = browserSolve(SEED, work);
    assert.ok(solution !== undefined);
    assert.equal(checkPowSolution(SEED, solution, work), 'ok');
    assert.equal(solution, solvePow(SEED, work, { maxIterations: 1 << 24 })?.solution, 'same first solutions');
  }
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{16}$/), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 6 }), (seed, count, bits) => {
      const work = { count, bits };
      const solution = browserSolve(seed, work);
      return solution !== undefined && checkPowSolution(seed, solution, work) === 'ok' && solution === solvePow(seed, work, { maxIterations: 1 << 20 })?.solution;
    }),
    { numRuns: 100 },
  );
});

test('work policy: time budgets by default, fixed bits win, rule override clamped, validation lists every problem', () => {
  const p = DEFAULT_CHALLENGE_POLICY;
  // 0.5 s, 1 s and 1.2 s at 250k attempts/s.
  assert.deepEqual([workHashes(p.work.normal), workHashes(p.work.elevated), workHashes(p.work.under_attack)].map((h) => Math.round(h / 1000)), [127, 254, 295]);
  assert.ok(workHashes(p.work.normal) < workHashes(p.work.elevated) && workHashes(p.work.elevated) < workHashes(p.work.under_attack));
  assert.equal(expectedSolveSeconds(p, p.work.under_attack), 2);
  assert.deepEqual(workFor(p, 'normal', 20), workOfBits(20));
  assert.deepEqual(workFor(p, 'normal', 99), workOfBits(30));
  assert.deepEqual(workFor(p, 'normal', 0), workOfBits(1));
  assert.deepEqual(workFor(p, 'under_attack'), p.work.under_attack);
  assert.equal(noJsWaitFor(p, 'normal'), 5);
  assert.equal(noJsWaitFor(p, 'under_attack'), 20);
  assert.equal(p.noJsClearanceLifetimeS, 600);
  const custom = resolveChallengePolicy({ difficulty: { under_attack: 20 }, timeBudgetMs: { normal: 2000 }, referenceHashRate: 100_000, noJsWaitS: { elevated: 0 } });
  assert.deepEqual(custom.work.under_attack, workOfBits(20));
  assert.equal(workHashes(custom.work.normal), 196_608);
  assert.equal(custom.noJsWaitS.elevated, 0);
  assert.throws(
    () => resolveChallengePolicy({ difficulty: { normal: 0 }, timeBudgetMs: { elevated: 50 }, tokenLifetimeS: 5, clearanceBinding: 'nope' as 'prefix', clearanceLifetimeS: 600, noJsClearanceLifetimeS: 900 }),
    (err: Error & { code?: string }) =>
      err.code === 'BULWARK_ERR_CHALLENGE_POLICY' && /difficulty\.normal/.test(err.message) && /timeBudgetMs\.elevated/.test(err.message) && /tokenLifetimeS/.test(err.message) &&
      /clearanceBinding/.test(err.message) && /noJsClearanceLifetimeS/.test(err.message),
  );
});
