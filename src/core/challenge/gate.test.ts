import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChallengeGate, CHALLENGE_RETURN_PATH } from './gate.ts';
import { createReplaySet } from './replay-set.ts';
import { createKeyRing } from './key-ring.ts';
import { solvePow, workOfBits, type PowWork } from './pow.ts';
import { SOLVER_SCRIPT_PATH } from './page/solver-script.ts';
import { parseSubmission } from './verify-submission.ts';
import { resolveChallengePolicy } from './policy.ts';
import { ALICE, MALLORY, T0, testRandom, testRing, testSecret } from './test-support.ts';

function gate(overrides: Partial<Parameters<typeof createChallengeGate>[0]> = {}) {
  return createChallengeGate({ site: 'news', siteName: 'Daily News', keys: testRing(), replay: createReplaySet(), random: testRandom('gate'), ...overrides });
}

function formOf(body: string): { token: string; seed: string; work: PowWork; returnPath: string } {
  const form = /<form id="bw-form"[^>]*data-seed="([^"]+)" data-count="(\d+)" data-bits="(\d+)">\n<input type="hidden" name="token" value="([^"]+)">\n<input type="hidden" name="return" value="([^"]*)">/.exec(body);
  assert.ok(form, 'challenge form present');
  return { seed: form[1], work: { count: Number(form[2]), bits: Number(form[3]) }, token: form[4], returnPath: form[5].replace(/&amp;/g, '&') };
}

/** Issues a challenge at `level` (a rule's `difficulty` when set), solves it and returns the cookie pair. */
function clearanceFrom(g: ReturnType<typeof gate>, level: 'normal' | 'elevated' | 'under_attack', difficulty?: number): string {
  const form = formOf(g.issue({ client: ALICE, level, difficulty, method: 'GET', returnPath: '/', requestId: 'r' }, T0).body);
  const solution = solvePow(form.seed, form.work, { maxIterations: 1 << 24 })!.solution;
  const out = g.verify({ method: 'POST', token: form.token, solution }, { ...ALICE, secure: false }, 'r', T0 + 1);
  assert.ok(out.ok);
  return out.response.headers['set-cookie'].split(';')[0]!;
}

test('issue → solve → verify → clearance: the whole round through the gate', () => {
  const g = gate();
  const page = g.issue({ client: ALICE, level: 'normal', method: 'GET', returnPath: '/a?b=1', requestId: 'r1' }, T0);
  assert.equal(page.status, 403);
  assert.equal(page.headers['cache-control'], 'no-store');
  assert.match(page.headers['content-security-policy'], /script-src 'self'; style-src 'self'; worker-src 'self'/);
  assert.doesNotMatch(page.headers['content-security-policy'], /unsafe-inline|nonce-/);
  assert.ok(page.body.includes(`<script src="${SOLVER_SCRIPT_PATH}" integrity="sha256-`));
  const form = formOf(page.body);
  assert.deepEqual(form.work, g.policy.work.normal);
  assert.equal(form.returnPath, '/a?b=1');
  const solution = solvePow(form.seed, form.work, { maxIterations: 1 << 24 })!.solution;

  // The browser posts the form.
  const body = new URLSearchParams({ token: form.token, return: form.returnPath, solution }).toString();
  const sub = parseSubmission('POST', body)!;
  const out = g.verify(sub, { ...ALICE, secure: false }, 'r2', T0 + 800);
  assert.equal(out.ok, true);
  assert.equal(out.response.status, 303);
  assert.equal(out.response.headers.location, `${CHALLENGE_RETURN_PATH}?to=%2Fa%3Fb%3D1`);
  const setCookie = out.response.headers['set-cookie'];
  const cookie = setCookie.split(';')[0];

  // The browser follows to the return route with the cookie, then on to the page.
  const back = g.afterVerify('to=%2Fa%3Fb%3D1', cookie, 'r3');
  assert.deepEqual([back.status, back.headers.location], [303, '/a?b=1']);

  // identify sees a valid clearance from now on.
  const status = g.checkClearance(`theme=dark; ${cookie}`, ALICE, 'normal', T0 + 1000);
  assert.equal(status.status, 'valid');
  assert.equal(g.checkClearance(cookie, MALLORY, 'normal', T0 + 1000).status, 'invalid');
  assert.equal(g.checkClearance(undefined, ALICE, 'normal', T0).status, 'none');
  assert.deepEqual(g.checkClearance(cookie, ALICE, 'normal', T0 + 3_600_800), { status: 'invalid', reason: 'expired' });

  // The same answer again is refused, with a small page that sends the visitor back.
  const again = g.verify(sub, { ...ALICE, secure: false }, 'r4', T0 + 900);
  assert.equal(again.ok, false);
  if (!again.ok) {
    assert.equal(again.result.reason, 'replayed');
    assert.equal(again.response.status, 403);
    assert.match(again.response.body, /http-equiv="refresh" content="2;url=\/a\?b=1"/);
  }
});

test('a browser that dropped the cookie gets the cookies-off page, not a loop', () => {
  const r = gate().afterVerify('to=%2Fx', 'other=1', 'r9');
  assert.equal(r.status, 403);
  assert.match(r.body, /Your browser did not keep the cookie/);
  assert.match(r.body, /<a href="\/x">/);
  assert.equal(r.headers['cache-control'], 'no-store');
  assert.equal(gate().afterVerify('to=https%3A%2F%2Fevil.example', 'bulwark_clearance=x', 'r').headers.location, '/');
});

test('no-JS: leaving early re-renders the same token with the remaining wait, then it clears', () => {
  const g = gate();
  const page = g.issue({ client: ALICE, level: 'normal', method: 'GET', returnPath: '/', requestId: 'r' }, T0);
  const { token } = formOf(page.body);
  const early = g.verify({ method: 'GET', token, noJs: true, returnPath: '/' }, { ...ALICE, secure: true }, 'r', T0 + 2_000);
  assert.equal(early.ok, false);
  if (!early.ok) {
    assert.equal(early.result.reason, 'too_early');
    assert.equal(formOf(early.response.body).token, token, 'same token: the wait does not restart');
    assert.match(early.response.body, /content="4;url=/, 'remaining 3 s + 1');
  }
  const ok = g.verify({ method: 'GET', token, noJs: true, returnPath: '/' }, { ...ALICE, secure: true }, 'r', T0 + 5_000);
  assert.equal(ok.ok, true);
  assert.match(ok.response.headers['set-cookie'], /; Secure$/);
  // A no-JS clearance passes the challenge it answered without making its holder a cleared visitor...
  const cookie = ok.response.headers['set-cookie'].split(';')[0];
  const status = g.checkClearance(cookie, ALICE, 'normal', T0 + 6_000);
  assert.equal(status.status, 'limited');
  // ...and not the longer waits of higher levels (10 s elevated, 20 s under attack).
  assert.equal(g.checkClearance(cookie, ALICE, 'elevated', T0 + 6_000).status, 'insufficient');
  assert.equal(g.checkClearance(cookie, ALICE, 'under_attack', T0 + 6_000).status, 'insufficient');
  const claims = status.status === 'limited' ? status.claims : null;
  assert.equal(g.satisfies(claims, 'normal'), true);
  assert.equal(g.satisfies(claims, 'under_attack'), false);
  assert.equal(g.satisfies(null, 'normal'), false);
  // One earned with the under-attack wait passes under attack, until an operator closes the path there.
  const attackPage = g.issue({ client: ALICE, level: 'under_attack', method: 'GET', returnPath: '/', requestId: 'r' }, T0);
  const waited = g.verify({ method: 'GET', token: formOf(attackPage.body).token, noJs: true }, { ...ALICE, secure: false }, 'r', T0 + 20_000);
  assert.ok(waited.ok);
  const attackCookie = waited.response.headers['set-cookie'].split(';')[0];
  assert.match(waited.response.headers['set-cookie'], /Max-Age=600;/);
  assert.equal(g.checkClearance(attackCookie, ALICE, 'under_attack', T0 + 21_000).status, 'limited');
  const closed = gate({ policy: resolveChallengePolicy({ noJsWaitS: { under_attack: 0 } }) });
  assert.equal(closed.checkClearance(attackCookie, ALICE, 'under_attack', T0 + 21_000).status, 'insufficient');
});

test('clearance downgrade: a clearance from a cheap rule passes that rule and nothing harder', () => {
  const g = gate();
  const cheap = clearanceFrom(g, 'normal', 1);
  const status = g.checkClearance(cheap, ALICE, 'normal', T0 + 10);
  assert.equal(status.status, 'insufficient', 'not a cleared visitor even at normal');
  const claims = status.status === 'insufficient' ? status.claims : null;
  assert.equal(g.satisfies(claims, 'normal', 1), true);
  assert.equal(g.satisfies(claims, 'normal', 2), false);
  assert.equal(g.satisfies(claims, 'normal'), false);
  assert.equal(g.satisfies(claims, 'under_attack'), false);
  assert.equal(g.checkClearance(cheap, ALICE, 'under_attack', T0 + 10).status, 'insufficient');
  // A clearance earned under attack clears at every level, and passes a rule asking no more.
  const strong = clearanceFrom(g, 'under_attack');
  for (const level of ['normal', 'elevated', 'under_attack'] as const) assert.equal(g.checkClearance(strong, ALICE, level, T0 + 10).status, 'valid', level);
  const s = g.checkClearance(strong, ALICE, 'normal', T0 + 10);
  assert.equal(g.satisfies(s.status === 'valid' ? s.claims : null, 'normal', 18), true);
  assert.equal(g.satisfies(s.status === 'valid' ? s.claims : null, 'normal', 24), false, 'a rule asking more than under attack');
});

test('difficulty follows the level and the rule; under attack the page says so (and an operator may close the no-JS path)', () => {
  const g = gate({ policy: resolveChallengePolicy({ difficulty: { under_attack: 19 }, noJsWaitS: { under_attack: 0 } }) });
  const attack = g.issue({ client: ALICE, level: 'under_attack', method: 'GET', returnPath: '/', requestId: 'r' }, T0);
  assert.deepEqual(attack.claims.work, workOfBits(19));
  assert.equal(attack.claims.noJsWaitS, 0);
  assert.match(attack.body, /under heavy automated traffic/);
  const rule = g.issue({ client: ALICE, level: 'normal', difficulty: 12, method: 'GET', returnPath: '/', requestId: 'r', status: 429 }, T0);
  assert.deepEqual(rule.claims.work, workOfBits(12));
  assert.match(attack.body, /data-count="16" data-bits="15"/);
  assert.match(g.issue({ client: ALICE, level: 'normal', method: 'GET', returnPath: '/', requestId: 'r' }, T0).body, /takes about 1 second on a slow phone/);
  assert.equal(rule.status, 429);
});

test('after a key rotation a new gate still accepts clearances signed with the previous key', () => {
  const replay = createReplaySet();
  const before = gate({ keys: createKeyRing({ current: testSecret('a') }), replay });
  const page = before.issue({ client: ALICE, level: 'normal', method: 'GET', returnPath: '/', requestId: 'r' }, T0);
  const form = formOf(page.body);
  const solution = solvePow(form.seed, form.work, { maxIterations: 1 << 24 })!.solution;
  const sub = { method: 'POST', token: form.token, solution };
  const ok = before.verify(sub, { ...ALICE, secure: false }, 'r', T0 + 1);
  const cookie = ok.response.headers['set-cookie'].split(';')[0];
  const after = gate({ keys: createKeyRing({ current: testSecret('b'), previous: { secret: testSecret('a'), acceptUntilMs: T0 + 86_400_000 } }), replay });
  assert.equal(after.checkClearance(cookie, ALICE, 'normal', T0 + 2).status, 'valid');
  const replayed = after.verify(sub, { ...ALICE, secure: false }, 'r', T0 + 3);
  assert.ok(!replayed.ok && replayed.result.reason === 'replayed', 'the shared replay set survives the rotation');
});

test('status-only answers carry Retry-After and no page', () => {
  const g = gate();
  assert.deepEqual([g.statusOnly('normal').status, g.statusOnly('under_attack').status], [429, 503]);
  assert.equal(g.statusOnly('elevated').headers['retry-after'], '30');
  assert.equal(g.classify({ method: 'GET', path: '/robots.txt', clientClass: 'crawler', hasUserAgent: true }).kind, 'status_only');
});

test('a token lifetime longer than the replay horizon is refused at build time', () => {
  assert.throws(
    () => gate({ policy: resolveChallengePolicy({ tokenLifetimeS: 600 }), replay: createReplaySet({ horizonMs: 300_000 }) }),
    { code: 'BULWARK_ERR_CHALLENGE_POLICY' },
  );
});
