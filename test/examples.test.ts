/** The shipped example config must stay valid: it is what operators copy. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/load.ts';

test('examples/bulwark.yaml validates', () => {
  const c = loadConfigFile(fileURLToPath(new URL('../examples/bulwark.yaml', import.meta.url)));
  assert.equal(c.sites.length, 2);
  assert.equal(c.connections.min_body_rate, 1024);
});
