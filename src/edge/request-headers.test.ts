import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { BulwarkRequest, MAX_KNOWN_FIELD_NAMES, knownFieldNames } from './request-headers.ts';

const countSymbol = Object.getOwnPropertySymbols(new http.IncomingMessage(null as never)).find((s) => s.description === 'kHeadersCount')!;

/** A request of `cls` as node:http's parser leaves it: raw fields and their count. */
function parsed(cls: typeof http.IncomingMessage, raw: string[]): http.IncomingMessage {
  const m = new cls(null as never) as http.IncomingMessage & Record<symbol, unknown>;
  m.rawHeaders = raw;
  m[countSymbol] = raw.length;
  return m;
}

/** Both builders' results, as comparable text (key order included: Object.keys order is what callers iterate). */
function both(raw: string[]): [string, string] {
  const ours = parsed(BulwarkRequest, raw).headers;
  const node = parsed(http.IncomingMessage, raw).headers;
  return [JSON.stringify(Object.entries(ours)), JSON.stringify(Object.entries(node))];
}

test('request headers: the same object as node:http builds, for the fields browsers, proxies and tools send', () => {
  const cases: string[][] = [
    ['Host', 'example.test', 'User-Agent', 'Mozilla/5.0', 'Accept', 'text/html', 'Sec-Fetch-Dest', 'document', 'X-Bench-N', '1'],
    ['host', 'a', 'HOST', 'b', 'Content-Length', '1', 'content-length', '2'],
    ['Cookie', 'a=1', 'cookie', 'b=2', 'COOKIE', 'c=3'],
    ['Set-Cookie', 'x', 'set-cookie', 'y'],
    ['X-Forwarded-For', '1.2.3.4', 'x-forwarded-for', '5.6.7.8', 'Accept', 'a', 'accept', 'b'],
    ['__proto__', 'p', 'constructor', 'c', 'toString', 't', 'hasOwnProperty', 'h', '__PROTO__', 'q'],
    ['Authorization', 'one', 'authorization', 'two', 'Referer', 'r1', 'Referer', 'r2'],
    [],
  ];
  for (const raw of cases) {
    const [ours, node] = both(raw);
    assert.equal(ours, node, JSON.stringify(raw));
  }
});

test('request headers: equal to node:http for any field list (names of any case, repeats, prototype names)', () => {
  const names = fc.constantFrom(
    'Host', 'host', 'HOST', 'Cookie', 'cookie', 'Set-Cookie', 'set-cookie', 'Content-Type', 'content-length', 'User-Agent', 'user-agent',
    'Accept', 'accept-language', 'X-Forwarded-For', 'x-request-id', 'Connection', 'Transfer-Encoding', 'Expect', 'Upgrade', 'Age', 'ETag',
    'If-None-Match', 'Authorization', 'Proxy-Authorization', 'From', 'Max-Forwards', 'Sec-Fetch-Dest', '__proto__', 'constructor', 'valueOf',
  );
  const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
  const field = fc.tuple(fc.oneof(names, token), fc.string({ maxLength: 12 }));
  fc.assert(
    fc.property(fc.array(field, { maxLength: 12 }), (fields) => {
      const raw = fields.flat();
      const [ours, node] = both(raw);
      assert.equal(ours, node);
    }),
    { numRuns: 500 },
  );
});

test('request headers: a flood of new field names fills the memory to its cap, then node:http builds (same result, no growth)', () => {
  for (let i = 0; knownFieldNames() < MAX_KNOWN_FIELD_NAMES && i < MAX_KNOWN_FIELD_NAMES * 2; i++) parsed(BulwarkRequest, [`X-Random-${i}`, 'v']).headers;
  assert.equal(knownFieldNames(), MAX_KNOWN_FIELD_NAMES);
  const raw = ['Host', 'h', 'X-Never-Seen-Before', 'a', 'x-never-seen-before', 'b', 'Cookie', 'a=1', 'cookie', 'b=2'];
  const [ours, node] = both(raw);
  assert.equal(ours, node);
  assert.equal(knownFieldNames(), MAX_KNOWN_FIELD_NAMES);
});

test('request headers: a node:http server built with BulwarkRequest hands handlers node-identical headers over a real socket', async () => {
  const seen: Array<{ headers: http.IncomingHttpHeaders; own: boolean }> = [];
  const server = http.createServer({ IncomingMessage: BulwarkRequest, joinDuplicateHeaders: false }, (req, res) => {
    seen.push({ headers: { ...req.headers }, own: req instanceof BulwarkRequest });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const { connect } = await import('node:net');
    const socket = connect(port, '127.0.0.1');
    const head = 'GET / HTTP/1.1\r\nHost: example.test\r\nCookie: a=1\r\ncookie: b=2\r\nX-Forwarded-For: 1.2.3.4\r\nx-forwarded-for: 5.6.7.8\r\nUser-Agent: one\r\nuser-agent: two\r\nConnection: close\r\n\r\n';
    socket.end(head);
    await new Promise((resolve) => socket.on('close', resolve).resume());
  } finally {
    server.close();
  }
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.own, true);
  assert.deepEqual(seen[0]!.headers, { host: 'example.test', cookie: 'a=1; b=2', 'x-forwarded-for': '1.2.3.4, 5.6.7.8', 'user-agent': 'one', connection: 'close' });
});
