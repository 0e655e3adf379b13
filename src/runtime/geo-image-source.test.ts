import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { getPriority } from 'node:os';
import { once } from 'node:events';
import { BUILD_NICENESS, yieldToServing } from './geo-image-source.ts';

test('the geo image build runs at a lower scheduling priority than Bulwark, so a first start under attack keeps serving', async () => {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10_000)'], { stdio: 'ignore' });
  try {
    await once(child, 'spawn');
    const own = getPriority(child.pid!);
    yieldToServing(child.pid);
    assert.equal(getPriority(child.pid!), Math.min(19, own + BUILD_NICENESS));
  } finally {
    child.kill();
  }
});

test('a child that is already gone (or no pid) is left alone without an error', () => {
  assert.doesNotThrow(() => yieldToServing(undefined));
  assert.doesNotThrow(() => yieldToServing(2 ** 22 + 12345));
});
