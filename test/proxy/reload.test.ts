/**
 * Reload: swaps the config for new requests while in-flight ones finish on the old;
 * an invalid config is refused and the old one keeps running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { ConfigError } from '../../src/config/load.ts';
import { startBulwark, testConfig } from '../helpers/bulwark.ts';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';

test('in-flight requests finish on the old config, new ones use the new', async () => {
  const a = await startSimpleOrigin((_req, res) => setTimeout(() => res.end('from-a'), 1500));
  const bOrigin = await startSimpleOrigin((_req, res) => res.end('from-b'));
  const b = await startBulwark({ origin: a.url });
  try {
    const inFlight = request(`${b.url}/slow`).then((r) => r.body.text());
    // Wait for it to reach origin A (a fixed sleep is too short on a busy machine).
    for (let i = 0; i < 100 && a.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(a.requests.length, 1, 'the slow request is at origin A');
    b.bulwark.reload(testConfig({ origin: bOrigin.url, state_dir: b.stateDir }));
    const fresh = await (await request(`${b.url}/fresh`)).body.text();
    assert.equal(fresh, 'from-b');
    assert.equal(await inFlight, 'from-a');
    assert.equal(b.bulwark.runtime().generation, 2);
  } finally {
    await b.stop();
    await a.close();
    await bOrigin.close();
  }
});

test('a config that cannot compile is refused and the old one keeps serving', async () => {
  const a = await startSimpleOrigin((_req, res) => res.end('still-a'));
  const b = await startBulwark({ origin: a.url });
  try {
    const bad = testConfig({ origin: a.url, state_dir: b.stateDir, sites: [{ name: 's', hosts: ['*'], origins: [a.url], tls: { cert: '/nonexistent.crt', key: '/nonexistent.key' } }] });
    assert.throws(() => b.bulwark.reload(bad), (err: unknown) => err instanceof ConfigError && /sites\[0\]\.tls/.test(err.message));
    assert.equal(await (await request(`${b.url}/`)).body.text(), 'still-a');
    assert.equal(b.bulwark.runtime().generation, 1);
  } finally {
    await b.stop();
    await a.close();
  }
});
