import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initialDetectorState } from '../core/detect/index.ts';
import { parseDetectorState, parseRules } from './detection-state.ts';

describe('saved detector state', () => {
  it('reads back what it wrote', () => {
    const s = { ...initialDetectorState(5), level: 'under_attack' as const, override: { level: 'under_attack' as const, untilMs: 99, by: 'cli' } };
    assert.deepEqual(parseDetectorState(JSON.parse(JSON.stringify(s))), s);
  });

  const bad: unknown[] = [null, 3, {}, { ...initialDetectorState(5), level: 'panic' }, { ...initialDetectorState(5), sinceMs: 'x' }, { ...initialDetectorState(5), override: { level: 'x' } }];
  for (const v of bad) it(`refuses ${JSON.stringify(v)?.slice(0, 60)}`, () => assert.equal(parseDetectorState(v), null));

  it('keeps only well-formed rules', () => {
    const good = { id: 'sig/prefix=1', action: 'block', mode: 'apply', match: { prefix: '1' }, expiresMs: 10, createdMs: 1, evidence: [] };
    assert.deepEqual(parseRules([good, { ...good, action: 'nuke' }, { ...good, expiresMs: null }, 7]), [good]);
    assert.deepEqual(parseRules('x'), []);
  });
});
