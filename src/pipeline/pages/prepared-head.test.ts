import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import fc from 'fast-check';
import { BulwarkResponse, PREPARED_HEADS, prepareFields, writeCachedHead, writePreparedHead } from './prepared-head.ts';

type Internals = { _header: string | null; _last: boolean; shouldKeepAlive: boolean; _keepAliveTimeout: number; _maxRequestsPerSocket: number };
const fakeReq = (method = 'GET') => ({ method, httpVersionMajor: 1, httpVersionMinor: 1, headers: {} }) as unknown as IncomingMessage;
const noDate = (h: string | null) => h?.replace(/\r\nDate: [^\r]*/, '') ?? null;

test('the self-check passes on this Node version (prepared heads are in use)', () => {
  assert.equal(PREPARED_HEADS, true);
});

test('a prepared head is byte for byte what node:http writes for the same fields (property)', () => {
  const name = fc.stringMatching(/^x-[a-z]{1,12}$/);
  const value = fc.stringMatching(/^[ -~]{0,40}$/).map((v) => v.trim());
  fc.assert(
    fc.property(
      fc.array(fc.tuple(name, value), { maxLength: 8 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 1e6 }),
      // Server settings vary between listeners and reloads: the cached keep-alive lines must follow.
      fc.constantFrom(0, 5000, 65_000),
      fc.constantFrom(0, 1000),
      (fields, keepAlive, length, keepAliveTimeout, maxRequests) => {
        const pairs = ['content-type', 'text/html', 'content-length', String(length), ...fields.flat()];
        const ours = new BulwarkResponse(fakeReq());
        const node = new http.ServerResponse(fakeReq());
        for (const r of [ours, node] as unknown as Internals[]) {
          r.shouldKeepAlive = keepAlive;
          r._keepAliveTimeout = keepAliveTimeout;
          r._maxRequestsPerSocket = maxRequests;
        }
        writePreparedHead(ours, 429, prepareFields(pairs), ['x-request-id', 'abc-1']);
        node.writeHead(429, [...pairs, 'x-request-id', 'abc-1']);
        const a = ours as unknown as Internals;
        const b = node as unknown as Internals;
        assert.equal(noDate(a._header), noDate(b._header));
        assert.equal(a._last, b._last);
      },
    ),
    { numRuns: 300 },
  );
});

test("a cached answer's head (Age, request ID) is byte for byte node:http's for the same fields, keep-alive or not, Date from node or the entry", () => {
  const id = fc.stringMatching(/^[A-Za-z0-9._:-]{8,64}$/);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e9 }), id, fc.boolean(), fc.boolean(), fc.constantFrom(200, 203, 301, 404, 410), (age, requestId, keepAlive, ownDate, status) => {
      const pairs = ['content-type', 'text/html', 'cache-control', 'public, max-age=60', 'content-length', '64', ...(ownDate ? ['date', 'Tue, 01 Jan 2030 00:00:00 GMT'] : []), 'x-bulwark-cache', 'HIT'];
      const ours = new BulwarkResponse(fakeReq());
      const node = new http.ServerResponse(fakeReq());
      for (const r of [ours, node] as unknown as Internals[]) {
        r.shouldKeepAlive = keepAlive;
        r._keepAliveTimeout = 5000;
      }
      writeCachedHead(ours, status, prepareFields(pairs), String(age), requestId);
      node.writeHead(status, [...pairs, 'age', String(age), 'x-request-id', requestId]);
      const a = ours as unknown as Internals;
      const b = node as unknown as Internals;
      assert.equal(noDate(a._header), noDate(b._header));
      assert.equal(a._last, b._last);
    }),
    { numRuns: 200 },
  );
  // A field set before (setHeader) takes node:http's validated path, with every field.
  const mixed = new BulwarkResponse(fakeReq());
  mixed.setHeader('x-early', '1');
  writeCachedHead(mixed, 200, prepareFields(['content-length', '2']), '7', 'abc-12345');
  assert.match((mixed as unknown as Internals)._header!, /x-early: 1\r\ncontent-length: 2\r\nage: 7\r\nx-request-id: abc-12345\r\n/);
});

test('prepareFields refuses what node:http would refuse and the fields node:http manages', () => {
  assert.throws(() => prepareFields(['content-length', '1', 'x-bad', 'a\r\nb']));
  assert.throws(() => prepareFields(['bad name', 'x']));
  for (const managed of ['connection', 'transfer-encoding', 'keep-alive', 'trailer', 'expect']) assert.throws(() => prepareFields(['content-length', '1', managed, 'x']));
  assert.equal(prepareFields(['content-length', '1', 'date', 'Tue, 01 Jan 2030 00:00:00 GMT']).hasDate, true);
  assert.throws(() => writePreparedHead(new BulwarkResponse(fakeReq()), 200, prepareFields(['content-type', 'a/b']), []), /content-length/);
  // A line break in a per-request value never reaches the wire: node:http's validation refuses it.
  assert.throws(() => writePreparedHead(new BulwarkResponse(fakeReq()), 200, prepareFields(['content-length', '0']), ['x-request-id', 'a\r\nset-cookie: x=1']), { code: 'ERR_INVALID_CHAR' });
});

test('a cached Date is kept (node:http adds none), and setHeader before forces the plain path', () => {
  const withDate = new BulwarkResponse(fakeReq());
  writePreparedHead(withDate, 200, prepareFields(['date', 'Tue, 01 Jan 2030 00:00:00 GMT', 'content-length', '0']), []);
  const head = (withDate as unknown as Internals)._header!;
  assert.equal(head.match(/date: /gi)?.length, 1);
  assert.match(head, /date: Tue, 01 Jan 2030/);

  const mixed = new BulwarkResponse(fakeReq());
  mixed.setHeader('x-early', '1');
  writePreparedHead(mixed, 200, prepareFields(['content-length', '2']), ['x-late', '2']);
  const h = (mixed as unknown as Internals)._header!;
  assert.match(h, /x-early: 1/);
  assert.match(h, /content-length: 2/);
  assert.match(h, /x-late: 2/);
});

test('over a real socket: pipelined keep-alive requests, HEAD, and Connection: close are framed right', async () => {
  const fields = prepareFields(['content-type', 'text/plain', 'cache-control', 'no-store']);
  const server = http.createServer({ ServerResponse: BulwarkResponse as unknown as typeof http.ServerResponse }, (req, res) => {
    const body = `hello ${req.url}`;
    writePreparedHead(res, 200, fields, ['content-length', String(body.length), 'x-request-id', 'id-1']);
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      socket.setEncoding('latin1');
      socket.on('data', (d) => (data += d));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    });
    const responses = raw.split('HTTP/1.1 200 OK\r\n').slice(1);
    assert.equal(responses.length, 3);
    assert.match(responses[0]!, /Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nhello \/a$/);
    assert.match(responses[1]!, /content-length: 8\r\n[\s\S]*\r\n\r\n$/, 'HEAD: the length, no body');
    assert.match(responses[2]!, /Connection: close\r\n\r\nhello \/c$/);
    for (const r of responses) assert.match(r, /\r\nDate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
  } finally {
    server.close();
  }
});
