import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ThreatLevel } from '../core/vocabulary.ts';
import { IDLE, resumedLifecycle, stepLifecycle, type LifecycleEvent, type LifecycleState } from './lifecycle.ts';

const T0 = 1_700_000_000_000;
const CALM = 60_000;

/** Runs one level per second from T0; returns the events that were not `none`/`update`, with their second. */
function run(levels: readonly ThreatLevel[], start: LifecycleState = IDLE): { events: Array<[number, LifecycleEvent]>; state: LifecycleState } {
  let state = start;
  const events: Array<[number, LifecycleEvent]> = [];
  levels.forEach((level, i) => {
    const step = stepLifecycle(state, level, T0 + i * 1000, CALM);
    state = step.state;
    if (step.event.kind === 'open' || step.event.kind === 'close') events.push([i, step.event]);
  });
  return { events, state };
}

const repeat = (level: ThreatLevel, n: number): ThreatLevel[] => Array.from({ length: n }, () => level);

describe('incident lifecycle', () => {
  it('stays idle while the site is normal', () => {
    const { events, state } = run(repeat('normal', 600));
    assert.deepEqual(events, []);
    assert.equal(state.phase, 'idle');
  });

  it('opens on the first second above normal, at that second', () => {
    const { events, state } = run([...repeat('normal', 10), 'elevated', 'under_attack']);
    assert.deepEqual(events, [[10, { kind: 'open', atMs: T0 + 10_000 }]]);
    assert.equal(state.phase, 'open');
  });

  it('closes once the site has been normal for the calm period, not a second before', () => {
    const attack = [...repeat('under_attack', 30), ...repeat('normal', 59)];
    const before = run(attack);
    assert.equal(before.events.length, 1, 'still open after 59 s of calm');
    assert.equal(before.state.phase, 'open');
    const after = run([...attack, 'normal']);
    assert.equal(after.events.length, 2);
    const [at, close] = after.events[1]!;
    assert.equal(at, 89);
    assert.deepEqual(close, { kind: 'close', atMs: T0 + 90_000, endedAtMs: T0 + 30_000 });
    assert.equal(after.state.phase, 'idle');
  });

  it('keeps one incident through a flapping level (normal ↔ elevated every 10 s for 10 min)', () => {
    const flapping: ThreatLevel[] = [];
    for (let i = 0; i < 60; i++) flapping.push(...repeat(i % 2 === 0 ? 'elevated' : 'normal', 10));
    const { events, state } = run([...flapping, ...repeat('normal', 120)]);
    assert.deepEqual(events.map(([, e]) => e.kind), ['open', 'close']);
    assert.equal(state.phase, 'idle');
    const close = events[1]![1] as Extract<LifecycleEvent, { kind: 'close' }>;
    assert.equal(close.endedAtMs, T0 + 590_000, 'the attack ended with the last elevated second');
  });

  it('counts the seconds spent above normal', () => {
    const { state } = run([...repeat('elevated', 5), ...repeat('normal', 5), ...repeat('under_attack', 7)]);
    assert.equal(state.phase === 'open' && state.abnormalSeconds, 12);
  });

  it('opens a new incident for a new attack after the previous one closed', () => {
    const { events } = run([...repeat('elevated', 5), ...repeat('normal', 60), ...repeat('elevated', 5)]);
    assert.deepEqual(events.map(([i, e]) => [i, e.kind]), [[0, 'open'], [64, 'close'], [65, 'open']]);
  });

  it('continues a resumed incident and closes it after calm', () => {
    const resumed = resumedLifecycle(T0 - 100_000, T0 - 2000, 40);
    const { events, state } = run(repeat('normal', 60), resumed);
    assert.deepEqual(events.map(([i, e]) => [i, e.kind]), [[59, 'close']]);
    assert.equal(state.phase, 'idle');
    const again = run(repeat('under_attack', 3), resumed);
    assert.deepEqual(again.events, [], 'no second open for a resumed incident');
    assert.equal(again.state.phase === 'open' && again.state.abnormalSeconds, 43);
  });
});
