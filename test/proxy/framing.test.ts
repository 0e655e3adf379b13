/**
 * Framing: every ambiguous or malformed request is refused with a 4xx before anything
 * is forwarded (request smuggling, RFC 9112 §6.1 and §6.3), and no input crashes the process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { rawExchange } from '../helpers/raw-http.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

let origin: SimpleOrigin;
let b: TestBulwark;

before(async () => {
  origin = await startSimpleOrigin();
  // Every case comes from 127.0.0.1 and each refusal counts toward escalation: without this the source
  // would be banned a few cases in (test/security/refused-requests-escalate.test.ts covers the ban).
  b = await startBulwark({ origin: origin.url, connections: { max_header_bytes: '8kb' }, policy: { escalation: { enabled: false } } });
});
after(async () => {
  await b.stop();
  await origin.close();
});

const H = 'Host: site.test\r\n';
const CASES: { name: string; payload: string; status: number[] }[] = [
  { name: 'Content-Length with Transfer-Encoding', payload: `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`, status: [400] },
  { name: 'conflicting Content-Length', payload: `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde`, status: [400] },
  { name: 'duplicate identical Content-Length', payload: `POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 4\r\n\r\nabcd`, status: [400] },
  { name: 'Content-Length list', payload: `POST / HTTP/1.1\r\n${H}Content-Length: 4, 4\r\n\r\nabcd`, status: [400] },
  { name: 'non-numeric Content-Length', payload: `POST / HTTP/1.1\r\n${H}Content-Length: +4\r\n\r\nabcd`, status: [400] },
  { name: 'invalid chunk size', payload: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`, status: [400] },
  { name: 'chunked not last', payload: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`, status: [400] },
  { name: 'obfuscated Transfer-Encoding', payload: `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`, status: [400, 501] },
  { name: 'obsolete line folding', payload: `GET / HTTP/1.1\r\n${H}X-Folded: a\r\n  b\r\n\r\n`, status: [400] },
  { name: 'space before colon', payload: `GET / HTTP/1.1\r\n${H}X-Bad : a\r\n\r\n`, status: [400] },
  { name: 'invalid header name', payload: `GET / HTTP/1.1\r\n${H}X(Bad): a\r\n\r\n`, status: [400] },
  { name: 'NUL in header value', payload: `GET / HTTP/1.1\r\n${H}X-A: a\0b\r\n\r\n`, status: [400] },
  { name: 'bare LF line endings', payload: `GET / HTTP/1.1\n${H.replace('\r', '')}\n`, status: [400] },
  { name: 'invalid method', payload: `G(T / HTTP/1.1\r\n${H}\r\n`, status: [400] },
  { name: 'missing Host', payload: `GET / HTTP/1.1\r\n\r\n`, status: [400] },
  { name: 'two Host headers', payload: `GET / HTTP/1.1\r\n${H}${H}\r\n`, status: [400] },
  { name: 'invalid HTTP version', payload: `GET / HTTP/9.9\r\n${H}\r\n`, status: [400, 505] },
  { name: 'huge header', payload: `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, status: [431] },
  { name: 'garbage', payload: '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http at all\r\n\r\n', status: [400] },
];

for (const c of CASES) {
  test(`refused before forwarding: ${c.name}`, async () => {
    const before = origin.requests.length;
    const r = await rawExchange(b.port, c.payload, { idleMs: 800 });
    assert.ok(c.status.includes(r.status), `expected ${c.status.join('/')} got ${r.status}: ${JSON.stringify(r.text.slice(0, 120))}`);
    assert.equal(origin.requests.length, before, 'nothing reached the origin');
  });
}

test('a smuggled second request inside a refused one is never forwarded', async () => {
  const before = origin.requests.length;
  const smuggled = `GET /admin HTTP/1.1\r\n${H}\r\n`;
  await rawExchange(b.port, `POST / HTTP/1.1\r\n${H}Content-Length: ${smuggled.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`, { idleMs: 800 });
  assert.equal(origin.requests.length, before);
  assert.equal(origin.requests.some((r) => r.url === '/admin'), false);
});

test('two spaces in the request line: parsed on whitespace (RFC 9112 §3), the origin gets a clean request line', async () => {
  const before = origin.requests.length;
  const r = await rawExchange(b.port, `GET  /spaced HTTP/1.1\r\n${H}\r\n`, { idleMs: 800 });
  assert.equal(r.status, 200, r.text.slice(0, 120));
  assert.deepEqual(origin.requests.slice(before).map((r) => `${r.method} ${r.url}`), ['GET /spaced']);
});

test('after all of that the process still serves', async () => {
  const res = await request(`${b.url}/ok`, { headers: { host: 'site.test' } });
  await res.body.dump();
  assert.equal(res.statusCode, 200);
});

test('the drill malformed corpus: every case answered as expected, nothing smuggled, nothing odd forwarded', async () => {
  const { runMalformedCorpus } = await import('../../src/drill/attackers/malformed.ts');
  const before = origin.requests.length;
  const report = await runMalformedCorpus({ target: b.url, hostHeader: 'site.test', readTimeoutMs: 2500, bounds: { maxRequests: 1000, maxDurationMs: 170_000 } });
  const wrong = report.outcomes.filter((o) => !o.asExpected);
  assert.deepEqual(
    wrong.map((o) => `${o.name}: expected ${o.expect.join('/')} got ${o.observed} ${o.statuses.join(',')}`),
    [],
  );
  // Only cases that are valid HTTP may reach the origin (e.g. an ignored `Upgrade: h2c`).
  const forwarded = origin.requests.slice(before).map((r) => `${r.method} ${r.url}`);
  assert.ok(forwarded.length <= 3, `forwarded: ${forwarded.join(' | ')}`);
});
