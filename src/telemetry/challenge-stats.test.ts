import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChallengeStats, MAX_RULES } from './challenge-stats.ts';

test('solves and failures are attributed to the rule whose tag the token carried', () => {
  const stats = createChallengeStats();
  const login = stats.issued('rule/login');
  stats.issued('rule/login');
  const level = stats.issued('level/under_attack');
  assert.notEqual(login, level);
  assert.ok(login >= 0 && login < 1 << 24);
  stats.solved(login, 800);
  stats.failed('bad_solution', level);
  stats.failed('malformed', undefined);
  stats.solved(0x123456 === login || 0x123456 === level ? 0x654321 : 0x123456, 10);
  const s = stats.snapshot();
  assert.deepEqual([s['rule/login']!.issued, s['rule/login']!.solved, s['rule/login']!.solve_rate], [2, 1, 0.5]);
  assert.deepEqual(s['level/under_attack']!.failures, { bad_solution: 1 });
  assert.equal(s['(unknown)']!.failed, 1, 'a forged token has no rule');
  assert.equal(s['(unknown)']!.solved, 1, 'a tag no rule was seen with');
});

test('a rule keeps its tag across restarts (a hash of its name), and the tables stay bounded', () => {
  const a = createChallengeStats();
  const b = createChallengeStats();
  assert.equal(a.issued('rule/x'), b.issued('rule/x'));
  for (let i = 0; i < MAX_RULES + 50; i++) a.issued(`rule/r${i}`);
  const snap = a.snapshot();
  assert.ok(Object.keys(snap).length <= MAX_RULES + 1);
  assert.ok(snap['(other)']!.issued >= 50);
});
