/**
 * Reverse-DNS lookups leaking off the machine through fake crawlers: a client claiming to be Googlebot
 * from a loopback, private, link-local or CGNAT address (its own, or one a trusted proxy forwards) used
 * to make Bulwark ask the system resolver for its PTR record — a lookup that leaves the machine for an
 * address no search engine crawls from, with an answer the local network controls. Only public
 * addresses can be verified crawlers (runtime/crawler-verify.ts): for anything else no query is made, in
 * tests and drills included (this test uses the default system resolver and watches it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { rawExchange } from '../helpers/raw-http.ts';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

const GOOGLEBOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const BINGBOT = 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)';

/** Every query the system resolver was asked (none is sent: the methods are replaced for the test). */
const asked: string[] = [];
const proto = Resolver.prototype as unknown as Record<string, unknown>;
const originals = new Map<string, unknown>();

let origin: SimpleOrigin;
let b: TestBulwark;

before(async () => {
  for (const method of ['reverse', 'resolve4', 'resolve6', 'resolve']) {
    originals.set(method, proto[method]);
    proto[method] = async (name: string) => {
      asked.push(`${method} ${name}`);
      throw Object.assign(new Error('no lookups in this test'), { code: 'ENOTFOUND' });
    };
  }
  origin = await startSimpleOrigin();
  b = await startBulwark({ trusted_proxies: ['127.0.97.0/24'], policy: { escalation: { enabled: false } }, sites: [{ name: 's', hosts: ['*'], origins: [origin.url] }] });
});

after(async () => {
  await b.stop();
  await origin.close();
  for (const [method, fn] of originals) proto[method] = fn;
});

test('reverse-DNS leak through fake crawlers: no lookup for loopback, private, link-local or CGNAT clients', async () => {
  const direct = ['127.0.0.1', '127.0.98.7'];
  for (const from of direct) {
    for (const ua of [GOOGLEBOT, BINGBOT]) {
      const r = await rawExchange(b.port, `GET / HTTP/1.1\r\nHost: s.test\r\nUser-Agent: ${ua}\r\nConnection: close\r\n\r\n`, { localAddress: from });
      assert.equal(r.status, 200);
    }
  }
  // Forwarded by a trusted proxy: the client is the forwarded address.
  for (const client of ['10.1.2.3', '192.168.7.8', '172.16.0.9', '169.254.169.254', '100.64.3.4', 'fe80::1', 'fd00::5', '192.0.2.44']) {
    const r = await rawExchange(b.port, `GET / HTTP/1.1\r\nHost: s.test\r\nUser-Agent: ${GOOGLEBOT}\r\nX-Forwarded-For: ${client}\r\nConnection: close\r\n\r\n`, { localAddress: '127.0.97.1' });
    assert.equal(r.status, 200);
  }
  // Lookups start in the background: give them time to be asked.
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(asked, []);
  const stats = b.bulwark.runtime().services.challenge.crawlers.stats();
  assert.equal(stats.lookups, 0);
});
