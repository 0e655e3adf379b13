import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../config/load.ts';
import { createSiteShield } from './site-shield.ts';

test('a response the cache fails to take is counted every time and reported once per site', () => {
  const config = validateConfig({ sites: [{ name: 's', hosts: ['*'], origins: ['http://127.0.0.1:9'] }] });
  const reports: unknown[] = [];
  const shield = createSiteShield(config.sites[0]!, (err, site) => reports.push([site, (err as Error).message]));
  shield.storeFailed(new Error('first'));
  shield.storeFailed(new Error('second'));
  assert.deepEqual(reports, [['s', 'first']]);
  assert.equal(shield.counters.storeFailures, 2);
});
