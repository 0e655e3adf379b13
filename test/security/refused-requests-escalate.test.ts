/**
 * Refusing without consequence: a client sending invalid requests — HTTP/1.1 without Host, heads
 * node:http's parser rejects, an `Expect` nobody supports, a refused method — must get Bulwark's own
 * page with a request ID (never node:http's bare 400 / 417), leave exactly one record per request, and
 * count toward escalation like any other refusal, so a source that keeps doing it is banned.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import type { RequestRecord } from '../../src/telemetry/request-record.ts';

let origin: SimpleOrigin;
let b: TestBulwark;
const records: RequestRecord[] = [];

before(async () => {
  origin = await startSimpleOrigin();
  b = await startBulwark({
    trusted_proxies: ['127.0.99.0/24'],
    policy: { escalation: { address_threshold: 5, address_window: '1m', ladder: ['1m'] } },
    sites: [{ name: 'site', hosts: ['*'], origins: [origin.url] }],
  });
  b.bulwark.recorder.addSink('test', (r) => records.push(r));
});

after(async () => {
  await b.stop();
  await origin.close();
});

const banned = (address: string) => b.bulwark.runtime().services.stores.bans.matchAddress(address, Date.now()) !== undefined;

async function waitForBan(address: string): Promise<boolean> {
  for (let i = 0; i < 40 && !banned(address); i++) await new Promise((r) => setTimeout(r, 25));
  return banned(address);
}

test('HTTP/1.1 without Host: Bulwark\'s 400 page with a request ID and one record, not node:http\'s bare 400', async () => {
  const from = '127.0.95.1';
  const r = await rawExchange(b.port, 'GET / HTTP/1.1\r\nUser-Agent: probe\r\n\r\n', { localAddress: from });
  assert.equal(r.status, 400);
  const id = /x-request-id: (\S+)/i.exec(r.text)?.[1];
  assert.ok(id !== undefined, `no request ID in:\n${r.text}`);
  assert.match(r.text, new RegExp(`Request ID: ${id}`));
  const mine = records.filter((x) => x.clientAddress === from);
  assert.equal(mine.length, 1);
  assert.equal(mine[0]!.requestId, id);
  assert.equal(mine[0]!.outcome, 'rejected');
  assert.equal(mine[0]!.errorCode, 'BULWARK_ERR_MISSING_HOST');
  assert.equal(mine[0]!.prefix, '127.0.95.0/24');
  assert.equal(origin.requests.length, 0);
});

test('an Expect other than 100-continue: Bulwark\'s 417 page with a request ID and a record, not node:http\'s bare 417', async () => {
  const from = '127.0.95.2';
  const r = await rawExchange(b.port, 'GET / HTTP/1.1\r\nHost: site.test\r\nExpect: teapot\r\n\r\n', { localAddress: from });
  assert.equal(r.status, 417);
  assert.match(r.text, /x-request-id: /i);
  assert.equal(records.filter((x) => x.clientAddress === from && x.status === 417).length, 1);
});

const invalid: [string, string][] = [
  ['HTTP/1.1 without Host', 'GET / HTTP/1.1\r\n\r\n'],
  ['a head node:http\'s parser rejects', 'GET / HTTP/1.1\r\nHost: site.test\r\nBad Header: x\r\n\r\n'],
  ['an escaped separator', 'GET /a%2Fb HTTP/1.1\r\nHost: site.test\r\n\r\n'],
  ['a refused method', 'TRACE / HTTP/1.1\r\nHost: site.test\r\n\r\n'],
];

for (const [i, [what, payload]] of invalid.entries()) {
  test(`refusing without consequence: ${what}, repeated, gets the source banned`, async () => {
    const from = `127.0.96.${i + 1}`;
    for (let n = 0; n < 6 && !banned(from); n++) {
      const r = await rawExchange(b.port, payload, { localAddress: from, idleMs: 300 });
      if (r.status !== 0) assert.ok(r.status >= 400 && r.status < 500, `answered ${r.status}`);
    }
    assert.ok(await waitForBan(from), `${from} was not banned after repeated invalid requests`);
    const mine = records.filter((x) => x.clientAddress === from);
    assert.ok(mine.length >= 5 && mine.every((x) => x.outcome === 'rejected'), `records: ${mine.map((x) => `${x.status}/${x.errorCode}`).join(' ')}`);
  });
}

test('refusing without consequence, but never against a trusted proxy: its own invalid requests do not ban it; a client it forwards is banned', async () => {
  const proxy = '127.0.99.1';
  for (let n = 0; n < 8; n++) {
    const own = await rawExchange(b.port, 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n', { localAddress: proxy, idleMs: 300 });
    assert.equal(own.status, 400);
  }
  for (let n = 0; n < 8; n++) await rawExchange(b.port, 'GET /a%2Fb HTTP/1.1\r\nHost: site.test\r\nX-Forwarded-For: 198.51.100.23\r\nConnection: close\r\n\r\n', { localAddress: proxy, idleMs: 300 });
  assert.ok(await waitForBan('198.51.100.23'), 'the forwarded client was banned');
  assert.equal(banned(proxy), false, 'the trusted proxy was not');
  assert.equal(records.filter((x) => x.clientAddress === '198.51.100.23').length, 8);
});
