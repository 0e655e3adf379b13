/**
 * Cross-site tracing (XST, https://owasp.org/www-community/attacks/Cross_Site_Tracing): TRACE (and
 * IIS's TRACK) make the origin echo the request — cookies and credentials included — back in the
 * body. Bulwark refuses them with 405 by default and never forwards them; `refused_methods` says which.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';
import { rawExchange } from '../helpers/raw-http.ts';

let origin: SimpleOrigin;
let b: TestBulwark;

before(async () => {
  // An origin that answers TRACE as RFC 9110 §9.3.8 says: the request message echoed back.
  origin = await startSimpleOrigin((req, res) => {
    const body = `${req.method} ${req.url}\n${req.rawHeaders.map((v, i) => (i % 2 === 0 ? `${v}: ` : `${v}\n`)).join('')}`;
    res.writeHead(200, { 'content-type': req.method === 'TRACE' ? 'message/http' : 'text/plain', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  b = await startBulwark({
    policy: { escalation: { enabled: false } },
    sites: [{ name: 'default', hosts: ['site.test'], origins: [origin.url] }],
  });
});

after(async () => {
  await b?.stop();
  await origin.close();
});

test('cross-site tracing: TRACE is answered 405 with Allow (TRACK refused too), and the origin never echoes a cookie', async () => {
  for (const method of ['TRACE', 'TRACK', 'trace']) {
    const r = await rawExchange(b.port, `${method} / HTTP/1.1\r\nHost: site.test\r\nCookie: session=secret\r\nConnection: close\r\n\r\n`);
    if (method !== 'TRACE') {
      // Not methods node:http's parser knows: refused before a request exists, still with Bulwark's page.
      assert.equal(r.status, 400, method);
      assert.match(r.text, /x-request-id: /i);
      continue;
    }
    assert.equal(r.status, 405, method);
    assert.match(r.text, /\r\nallow: GET, HEAD, POST/i);
    assert.match(r.text, /x-request-id: /i);
    assert.doesNotMatch(r.text, /session=secret/);
  }
  assert.ok(!origin.requests.some((q) => q.method === 'TRACE' || q.method === 'TRACK'), 'nothing was forwarded');
});

test('cross-site tracing: refused_methods names what a site refuses', async () => {
  const custom = await startBulwark({ sites: [{ name: 'custom', hosts: ['custom.test'], origins: [origin.url], refused_methods: ['PROPFIND'] }] });
  try {
    const r = await rawExchange(custom.port, 'PROPFIND / HTTP/1.1\r\nHost: custom.test\r\nConnection: close\r\n\r\n');
    assert.equal(r.status, 405);
    const ok = await rawExchange(custom.port, 'GET / HTTP/1.1\r\nHost: custom.test\r\nConnection: close\r\n\r\n');
    assert.equal(ok.status, 200);
  } finally {
    await custom.stop();
  }
});
