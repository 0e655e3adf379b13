import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createSiteTag } from './binding.ts';
import { createReplaySet } from './replay-set.ts';
import { resolveChallengePolicy } from './policy.ts';
import { mintChallengeToken, verifyClearance, type ChallengeClaims } from './tokens.ts';
import { checkPowSolution, solvePow, type PowWork } from './pow.ts';
import { challengeAsk, proofClears, proofSatisfies } from './proof.ts';
import { parseSubmission, verifySubmission, type VerifyContext, type VerifyClient, type Submission } from './verify-submission.ts';
import { sanitizeReturnPath, challengeReturnPath } from './return-path.ts';
import { findClearanceCookie, buildClearanceCookie, clearClearanceCookieHeader } from './cookie.ts';
import { ALICE, MALLORY, T0, testRandom, testRing } from './test-support.ts';

const site = createSiteTag('news');
const keys = testRing();
const random = testRandom('verify');
const policy = resolveChallengePolicy();
const alice: VerifyClient = { ...ALICE, secure: true };

function context(): VerifyContext {
  return { site, keys, replay: createReplaySet(), policy };
}

function issue(overrides: { noJsWaitS?: number; work?: PowWork; level?: 'normal' | 'under_attack' } = {}): { token: string; claims: ChallengeClaims } {
  return mintChallengeToken(
    { site, client: ALICE, level: overrides.level ?? 'normal', work: overrides.work ?? { count: 4, bits: 6 }, lifetimeS: 300, noJsWaitS: overrides.noJsWaitS ?? 5 },
    keys, T0, random,
  );
}

function solve(claims: ChallengeClaims): string {
  const found = solvePow(claims.nonce, claims.work, { maxIterations: 1 << 22 });
  assert.ok(found);
  return found.solution;
}

/** The right answer with its last counter replaced by one that fails its sub-challenge. */
function badSolution(claims: ChallengeClaims): string {
  const counters = solve(claims).split('.');
  for (let c = 0; ; c++) {
    counters[counters.length - 1] = String(c);
    if (checkPowSolution(claims.nonce, counters.join('.'), claims.work) === 'insufficient') return counters.join('.');
  }
}

test('a solved challenge yields a clearance cookie and a same-site redirect', () => {
  const ctx = context();
  const { token, claims } = issue();
  const r = verifySubmission({ method: 'POST', token, solution: solve(claims), returnPath: '/articles/42?x=1' }, ctx, alice, T0 + 1500);
  assert.equal(r.ok, true);
  if (!r.ok) return;
  assert.equal(r.via, 'pow');
  assert.equal(r.redirectTo, '/articles/42?x=1');
  assert.equal(r.solveMs, 1500);
  assert.match(r.cookie.header, /^bulwark_clearance=[A-Za-z0-9_-]{84}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax; Secure$/);
  assert.deepEqual(r.clearance.proof, { via: 'pow', work: claims.work }, 'the clearance proves the work the challenge asked');
  assert.deepEqual(r.cookie.attributes, { path: '/', maxAgeS: 3600, httpOnly: true, sameSite: 'Lax', secure: true });
  const check = verifyClearance(r.cookie.value, keys, site, 'prefix', ALICE, T0 + 2000);
  assert.equal(check.ok, true);
  assert.equal(ctx.replay.stats().size, 1);
});

test('no Secure attribute over plain HTTP', () => {
  const { token, claims } = issue();
  const r = verifySubmission({ method: 'POST', token, solution: solve(claims) }, context(), { ...alice, secure: false }, T0 + 1);
  assert.ok(r.ok);
  if (r.ok) {
    assert.doesNotMatch(r.cookie.header, /Secure/);
    assert.equal(r.redirectTo, '/');
  }
});

test('refusals, table-driven', () => {
  const ctx = context();
  const { token, claims } = issue();
  const good = solve(claims);
  const noJs = issue({ noJsWaitS: 5 });
  const closed = issue({ noJsWaitS: 0 });
  const cases: Array<[string, Submission, VerifyClient, number, string, string?]> = [
    ['method PUT', { method: 'PUT', token, solution: good }, alice, T0, 'malformed', 'method'],
    ['no solution on the JS path', { method: 'POST', token }, alice, T0, 'malformed', 'solution_missing'],
    ['garbage token', { method: 'POST', token: 'abc', solution: good }, alice, T0, 'malformed', 'malformed'],
    ['forged token', { method: 'POST', token: issueWith(testRing('evil')), solution: good }, alice, T0, 'forged', 'unknown_key'],
    ['expired token', { method: 'POST', token, solution: good }, alice, T0 + 300_000, 'expired', 'expired'],
    ['carried to another prefix', { method: 'POST', token, solution: good }, { ...MALLORY, secure: true }, T0, 'wrong_client', 'wrong_prefix'],
    ['another user agent', { method: 'POST', token, solution: good }, { ...alice, userAgent: 'python-requests/2' }, T0, 'wrong_client', 'wrong_ua'],
    ['wrong answer', { method: 'POST', token, solution: badSolution(claims) }, alice, T0, 'bad_solution', 'pow_insufficient'],
    ['non-canonical answer', { method: 'POST', token, solution: `0${good}` }, alice, T0, 'malformed', 'solution_format'],
    ['no-JS too early', { method: 'GET', token: noJs.token, noJs: true }, alice, T0 + 4_999, 'too_early', 'nojs_wait'],
    ['no-JS path closed', { method: 'GET', token: closed.token, noJs: true }, alice, T0 + 60_000, 'bad_solution', 'nojs_closed'],
  ];
  for (const [name, sub, client, now, reason, detail] of cases) {
    const r = verifySubmission(sub, ctx, client, now);
    assert.equal(r.ok, false, name);
    if (!r.ok) {
      assert.equal(r.reason, reason, name);
      if (detail) assert.equal(r.detail, detail, name);
    }
  }
  assert.equal(ctx.replay.stats().size, 0, 'failed answers never enter the replay set');
  const early = verifySubmission({ method: 'GET', token: noJs.token, noJs: true }, ctx, alice, T0 + 4_000);
  assert.ok(!early.ok && early.retryAfterMs === 1000);
});

function issueWith(ring: ReturnType<typeof testRing>): string {
  return mintChallengeToken({ site, client: ALICE, level: 'normal', work: { count: 4, bits: 6 }, lifetimeS: 300, noJsWaitS: 5 }, ring, T0, random).token;
}

test('each solution is accepted once', () => {
  const ctx = context();
  const { token, claims } = issue();
  const sub: Submission = { method: 'POST', token, solution: solve(claims) };
  assert.equal(verifySubmission(sub, ctx, alice, T0 + 1).ok, true);
  const again = verifySubmission(sub, ctx, alice, T0 + 2);
  assert.ok(!again.ok && again.reason === 'replayed');
  // Another valid answer to the same challenge is a replay too (the nonce is what counts).
  const counters = sub.solution!.split('.');
  let c = Number(counters[0]) + 1;
  while (checkPowSolution(claims.nonce, [String(c), ...counters.slice(1)].join('.'), claims.work) !== 'ok') c++;
  const third = verifySubmission({ ...sub, solution: [String(c), ...counters.slice(1)].join('.') }, ctx, alice, T0 + 3);
  assert.ok(!third.ok && third.reason === 'replayed');
});

test('the no-JS path clears after the wait: a short, address-bound clearance that proves only the wait', () => {
  const ctx = context();
  const { token } = issue({ noJsWaitS: 5 });
  const r = verifySubmission({ method: 'GET', token, noJs: true, returnPath: '/x' }, ctx, alice, T0 + 5_000);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.via, 'nojs');
  assert.deepEqual(r.clearance.proof, { via: 'nojs', waitS: 5 });
  assert.equal(r.clearance.binding, 'nojs_client');
  assert.equal(r.cookie.attributes.maxAgeS, policy.noJsClearanceLifetimeS);
  assert.ok(policy.noJsClearanceLifetimeS < policy.clearanceLifetimeS);
  const proof = r.clearance.proof;
  // It passes the challenge it answered, never a longer wait, never where the path is closed, and never
  // makes its holder a cleared visitor.
  assert.equal(proofSatisfies(proof, challengeAsk(policy, 'normal')), true);
  assert.equal(proofSatisfies(proof, challengeAsk(policy, 'elevated')), false, '10 s asked, 5 s waited');
  assert.equal(proofSatisfies(proof, challengeAsk(policy, 'under_attack')), false, '20 s asked, 5 s waited');
  assert.equal(proofSatisfies({ via: 'nojs', waitS: 20 }, challengeAsk(resolveChallengePolicy({ noJsWaitS: { under_attack: 0 } }), 'under_attack')), false, 'path closed');
  assert.equal(proofClears(proof, policy, 'normal'), false);
  assert.equal(verifyClearance(r.cookie.value, keys, site, 'prefix', { ...ALICE, address: '203.0.113.8' }, T0 + 6_000).ok, false, 'bound to the address, not the /24');
});

test('a proof-of-work clearance satisfies only challenges asking no more work than it proved', () => {
  const ctx = context();
  const cheap = issue({ work: { count: 2, bits: 0 } }); // a rule asking one bit
  const r = verifySubmission({ method: 'POST', token: cheap.token, solution: solve(cheap.claims) }, ctx, alice, T0 + 10);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(proofSatisfies(r.clearance.proof, challengeAsk(policy, 'normal', 1)), true);
  for (const level of ['normal', 'elevated', 'under_attack'] as const) {
    assert.equal(proofSatisfies(r.clearance.proof, challengeAsk(policy, level)), false, level);
    assert.equal(proofClears(r.clearance.proof, policy, level), false, level);
  }
  assert.equal(proofSatisfies(r.clearance.proof, challengeAsk(policy, 'normal', 18)), false);
  const strong = { via: 'pow' as const, work: policy.work.under_attack };
  for (const level of ['normal', 'elevated', 'under_attack'] as const) assert.equal(proofClears(strong, policy, level), true, level);
  assert.equal(proofSatisfies(strong, challengeAsk(policy, 'normal', 24)), false, 'a rule asking more than under attack');
});

test('property: any single-bit change to a submitted solution or token is rejected', () => {
  const { token, claims } = issue({ work: { count: 2, bits: 12 } });
  const good = solve(claims);
  fc.assert(
    fc.property(fc.boolean(), fc.nat(200), fc.nat(7), (flipToken, index, bit) => {
      const target = flipToken ? token : good;
      const i = index % target.length;
      const flipped = target.slice(0, i) + String.fromCharCode(target.charCodeAt(i) ^ (1 << bit)) + target.slice(i + 1);
      const sub: Submission = flipToken ? { method: 'POST', token: flipped, solution: good } : { method: 'POST', token, solution: flipped };
      // A fresh replay set each time, so a rejection can only come from the change itself.
      const r = verifySubmission(sub, context(), alice, T0 + 1);
      if (!flipToken && r.ok) {
        // A different counter that also happens to satisfy 12 bits is a genuine solution (chance 2^-12).
        return r.challenge.nonce === claims.nonce && flipped !== good && /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/.test(flipped);
      }
      return !r.ok;
    }),
    { numRuns: 1500 },
  );
});

test('parseSubmission reads forms and queries strictly', () => {
  assert.deepEqual(parseSubmission('POST', 'token=abc&solution=123&return=%2Fa%3Fb%3D1&other=x'), {
    method: 'POST', token: 'abc', solution: '123', noJs: false, returnPath: '/a?b=1',
  });
  assert.equal(parseSubmission('GET', 'token=abc&nojs=1')?.noJs, true);
  assert.equal(parseSubmission('GET', 'solution=1'), undefined, 'no token');
  assert.equal(parseSubmission('GET', 'token=a&token=b'), undefined, 'repeated field');
  assert.equal(parseSubmission('GET', 'token=a&return=%E0%A4%A'), undefined, 'bad percent-encoding');
  assert.equal(parseSubmission('GET', `token=${'a'.repeat(5000)}`), undefined, 'too long');
  assert.equal(parseSubmission('GET', `token=a${'&x'.repeat(20)}`), undefined, 'too many fields');
  assert.deepEqual(parseSubmission('GET', 'token&solution=&nojs=1&return='), { method: 'GET', token: '', solution: '', noJs: true, returnPath: '' });
});

test('return paths: only same-site paths survive', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ['/', '/'],
    ['/a/b?c=d#e', '/a/b?c=d#e'],
    ['//evil.example/', undefined],
    ['/\\evil.example', undefined],
    ['/a\\b', undefined],
    ['https://evil.example/', undefined],
    ['evil', undefined],
    ['/\t/evil.example', undefined],
    ['/a\r\nSet-Cookie: x=y', undefined],
    ['/caf\u00e9', undefined],
    ['/.bulwark/challenge/verify', undefined],
    [`/${'a'.repeat(3000)}`, undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [input, expected] of cases) assert.equal(sanitizeReturnPath(input), expected, JSON.stringify(input));
  assert.equal(challengeReturnPath('GET', '/page?q=1', undefined, 'news.example'), '/page?q=1');
  assert.equal(challengeReturnPath('POST', '/comment', 'https://news.example/article/7', 'news.example'), '/article/7');
  assert.equal(challengeReturnPath('POST', '/comment', 'https://evil.example/x', 'news.example'), '/');
  assert.equal(challengeReturnPath('POST', '/comment', 'not a url', 'news.example'), '/');
  assert.equal(challengeReturnPath('GET', '//evil.example', undefined, 'news.example'), '/');
});

test('the clearance cookie is found in a Cookie header', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ['', undefined],
    ['bulwark_clearance=abc', 'abc'],
    ['a=1; bulwark_clearance=abc; b=2', 'abc'],
    ['a=1;bulwark_clearance=abc', 'abc'],
    ['xbulwark_clearance=nope; bulwark_clearance=yes', 'yes'],
    ['xbulwark_clearance=nope', undefined],
  ];
  for (const [header, expected] of cases) assert.equal(findClearanceCookie(header), expected, String(header));
  assert.equal(buildClearanceCookie('v', 60, false).header, 'bulwark_clearance=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax');
  assert.equal(clearClearanceCookieHeader(true), 'bulwark_clearance=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure');
});
