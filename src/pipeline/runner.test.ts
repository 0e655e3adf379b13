/**
 * The runner's two entries for requests started at their parsed head: `runAtHead` runs phases while
 * each says it can run there and stops before the first that cannot; `resume` goes on from that phase.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestContext } from './context.ts';
import { CONTINUE, DONE, type Phase, type PhaseName, type PhaseResult } from './phase.ts';
import { ANSWERED_AT_HEAD, createPipeline } from './runner.ts';

const ctx = {} as RequestContext;

function phase(name: PhaseName, ran: string[], result: () => PhaseResult | Promise<PhaseResult>, atHead?: boolean): Phase {
  return { name, run: () => (ran.push(name), result()), ...(atHead === undefined ? {} : { atHead: () => atHead }) };
}

test('runAtHead stops before the first phase that cannot run at the head; resume goes on from it', async () => {
  const ran: string[] = [];
  const failures: string[] = [];
  const p = createPipeline(
    [phase('parse', ran, () => CONTINUE), phase('decide', ran, () => CONTINUE, true), phase('shield', ran, () => Promise.resolve(CONTINUE), false), phase('forward', ran, () => DONE, false)],
    (_ctx, ph) => failures.push(ph.name),
  );
  const at = p.runAtHead(ctx);
  assert.equal(at, 2);
  assert.deepEqual(ran, ['parse', 'decide'], 'nothing of the shield ran at the head');
  assert.equal(p.resume(ctx, at), false, 'the shield went asynchronous');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(ran, ['parse', 'decide', 'shield', 'forward']);
  assert.deepEqual(failures, []);
});

test('runAtHead: a phase that answers ends the run', () => {
  const ran: string[] = [];
  const p = createPipeline([phase('parse', ran, () => CONTINUE), phase('enforce', ran, () => DONE, true), phase('forward', ran, () => DONE, false)], () => {});
  assert.equal(p.runAtHead(ctx), ANSWERED_AT_HEAD);
  assert.deepEqual(ran, ['parse', 'enforce']);
});

test('runAtHead: a phase that throws, or goes asynchronous although it said it could run there, is the failure handler\'s at once', () => {
  for (const bad of [() => { throw new Error('boom'); }, () => Promise.resolve(CONTINUE)] as Array<() => PhaseResult | Promise<PhaseResult>>) {
    const ran: string[] = [];
    const failures: string[] = [];
    const p = createPipeline([phase('decide', ran, bad), phase('forward', ran, () => DONE, false)], (_ctx, ph) => failures.push(ph.name));
    assert.equal(p.runAtHead(ctx), ANSWERED_AT_HEAD);
    assert.deepEqual(failures, ['decide']);
    assert.deepEqual(ran, ['decide']);
  }
});
