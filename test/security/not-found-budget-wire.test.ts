/**
 * 404-budget evasion through the wire: a scanner (or a random-path flood's cheap cousin) repeating a
 * request for a cached 404 on one keep-alive connection gets its copies answered on the wire
 * (edge/wire/hit.ts), before node:http parses them. Every answer path must feed the same accounting as
 * node:http's (pipeline/record/answer-accounting.ts): the budget trips and the copies get the 429.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';
import { KeepAliveClient } from '../helpers/keep-alive-client.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';

let origin: SimpleOrigin;
let b: TestBulwark;
const records: RequestRecord[] = [];

before(async () => {
  origin = await startSimpleOrigin((_req, res) => {
    const body = 'not here';
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=60' });
    res.end(body);
  });
  b = await startBulwark({
    policy: { escalation: { enabled: false }, not_found: { average: 5, period: '1m', burst: 5 } },
    sites: [{ name: 'scan', hosts: ['scan.test'], origins: [origin.url], shield: { cache: { admit_after_uses: 1 } } }],
  });
  b.bulwark.recorder.addSink('test', (r) => records.push(r));
});

after(async () => {
  await b.stop();
  await origin.close();
});

test('404 budget evasion through wire copies: a cached 404 repeated on one connection still trips the budget', async () => {
  const address = '127.0.94.1';
  const c = await KeepAliveClient.open(b.port, address);
  const wireAnswered = () => (b.bulwark.stats() as { wire: { answered: number } }).wire.answered;
  const before = wireAnswered();
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) statuses.push((await c.send('GET /wp-admin/setup.php HTTP/1.1\r\nHost: scan.test\r\nUser-Agent: scanner/1.0\r\n\r\n'))!.status);
  c.close();
  assert.ok(wireAnswered() > before, 'some copies were answered on the wire');
  const first429 = statuses.indexOf(429);
  assert.ok(first429 !== -1 && first429 <= 7, `the budget (5, burst 5) trips within a few 404s: ${statuses.join(' ')}`);
  assert.ok(statuses.slice(first429).every((s) => s === 429), `and every later copy is refused: ${statuses.join(' ')}`);
  const mine = records.filter((r) => r.clientAddress === address);
  assert.equal(mine.length, 30, 'one record per answer');
  assert.ok(mine.some((r) => r.decisionBy === 'limit/not-found'));
});
