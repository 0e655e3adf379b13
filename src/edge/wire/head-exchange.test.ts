/**
 * The head's response stand-in against node:http's own ServerResponse, on real loopback sockets: for
 * every shape it writes itself, the bytes on the wire are node:http's for the same calls (Date aligned);
 * for the shapes it leaves to node:http, it writes nothing and replays the calls onto node's response,
 * which then writes what it always does.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type Socket } from 'node:net';
import { once } from 'node:events';
import { BulwarkResponse, prepareFields } from '../../pipeline/pages/prepared-head.ts';
import { writePreparedHead } from '../../pipeline/pages/prepared-head.ts';
import { answerTail } from './answer-write.ts';
import { HeadRequest, HeadResponse } from './head-exchange.ts';

/** The server side of one loopback connection, and what its peer receives. */
let server: net.Server;
let serverSide: Socket;
let clientSide: Socket;
let received = Buffer.alloc(0);

before(async () => {
  server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  clientSide = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  serverSide = (await accepted)[0] as Socket;
  clientSide.on('data', (d: Buffer) => (received = Buffer.concat([received, d])));
});
after(() => {
  clientSide.destroy();
  serverSide.destroy();
  server.close();
});

/** What the peer received from `write`, once it stopped arriving. */
async function bytesOf(write: () => void): Promise<string> {
  received = Buffer.alloc(0);
  write();
  let last = -1;
  while (received.length !== last) {
    last = received.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return received.toString('latin1').replace(/\r\nDate: [^\r]*/, '\r\nDate: D');
}

/** The node:http server whose settings the tail follows (keep-alive timeout 5 s). */
const tailServer = http.createServer();
tailServer.keepAliveTimeout = 5000;
const tail = (hasDate: boolean) => answerTail(tailServer, hasDate);

function headPair(method = 'GET') {
  const req = new HeadRequest(serverSide, method, '/', ['Host', 'x']);
  return new HeadResponse(req, serverSide, tail);
}

/** node:http's response for the same request, on the same connection. */
function nodePair(method = 'GET') {
  const req = { method, httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as unknown as http.IncomingMessage;
  const res = new BulwarkResponse(req);
  const internals = res as unknown as { shouldKeepAlive: boolean; _keepAliveTimeout: number };
  internals.shouldKeepAlive = true;
  internals._keepAliveTimeout = 5000;
  res.assignSocket(serverSide);
  res.on('finish', () => res.detachSocket(serverSide));
  return res;
}

type Writer = (res: http.ServerResponse) => void;

async function same(name: string, write: Writer, method = 'GET'): Promise<void> {
  const head = headPair(method);
  const ours = await bytesOf(() => write(head as unknown as http.ServerResponse));
  assert.equal(head.replaying, false, `${name}: written by the stand-in`);
  const node = await bytesOf(() => write(nodePair(method)));
  assert.equal(ours, node, name);
}

test('the shapes the stand-in writes itself: node:http\'s bytes for the same calls', async () => {
  const fields = prepareFields(['content-type', 'text/html; charset=utf-8', 'cache-control', 'no-store']);
  await same('prepared head, latin1 string body', (res) => {
    writePreparedHead(res, 403, fields, ['content-length', '5', 'x-request-id', 'abc']);
    res.end('hello', 'latin1');
  });
  await same('field list, UTF-8 string body', (res) => {
    res.writeHead(429, ['Content-Type', 'text/plain', 'content-length', String(Buffer.byteLength('ünï')), 'retry-after', '30']);
    res.end('ünï');
  });
  await same('field list with its own Date, bytes body', (res) => {
    res.writeHead(200, ['content-length', '3', 'date', 'Tue, 01 Dec 2026 00:00:00 GMT', 'etag', '"x"']);
    res.end(Buffer.from('abc'));
  });
  await same('HEAD: the head alone', (res) => {
    res.writeHead(200, ['content-length', '3']);
    res.end('abc');
  }, 'HEAD');
  await same('no body', (res) => {
    res.writeHead(302, ['location', '/there', 'content-length', '0']);
    res.end();
  });
});

test('the shapes node:http must write are replayed onto its response, nothing written before', async () => {
  const cases: Array<[string, Writer]> = [
    ['a closing answer', (res) => {
      res.shouldKeepAlive = false;
      res.writeHead(400, ['content-length', '2']);
      res.end('no');
    }],
    ['a field set with setHeader', (res) => {
      res.setHeader('x-a', '1');
      res.writeHead(200, ['content-length', '2']);
      res.end('ok');
    }],
    ['no Content-Length (node frames it)', (res) => {
      res.writeHead(200, ['content-type', 'text/plain']);
      res.end('ok');
    }],
    ['a field node:http manages', (res) => {
      res.writeHead(200, ['content-length', '2', 'connection', 'close']);
      res.end('ok');
    }],
    ['an implicit head', (res) => {
      res.statusCode = 404;
      res.end('gone');
    }],
    ['a 304', (res) => {
      res.writeHead(304, ['etag', '"x"']);
      res.end();
    }],
    ['an end with a callback', (res) => {
      res.writeHead(200, ['content-length', '2']);
      res.end('ok', () => {});
    }],
  ];
  for (const [name, write] of cases) {
    const head = headPair();
    const ours = await bytesOf(() => write(head as unknown as http.ServerResponse));
    assert.equal(ours, '', `${name}: nothing written by the stand-in`);
    assert.equal(head.replaying, true, name);
    const replayed = await bytesOf(() => head.replayOnto(nodePair()));
    const node = await bytesOf(() => write(nodePair()));
    assert.equal(replayed, node, `${name}: node:http writes what it writes for the calls themselves`);
  }
});

test('an invalid field throws as node:http\'s writeHead does, and leaves the head unsent', () => {
  const head = headPair();
  assert.throws(() => head.writeHead(200, ['content-length', '1', 'x-bad', 'a\nb']), { code: 'ERR_INVALID_CHAR' });
  assert.throws(() => head.writeHead(200, ['content-length', '1', 'bad name', 'v']), { code: 'ERR_INVALID_HTTP_TOKEN' });
  assert.equal(head.headersSent, false, 'a failure page can still be written');
});

test('the request stand-in: node:http\'s header object for the same raw fields', () => {
  const raw = ['Host', 'a.test', 'Cookie', 'a=1', 'cookie', 'b=2', 'Accept', 'text/html', 'accept', '*/*', 'Host', 'b.test', 'Set-Cookie', 'x', 'Set-Cookie', 'y', 'X-Custom', '1'];
  const node = new http.IncomingMessage(new net.Socket());
  node.rawHeaders = raw;
  (node as unknown as Record<symbol, unknown>)[Object.getOwnPropertySymbols(node).find((s) => s.description === 'kHeadersCount')!] = raw.length;
  const req = new HeadRequest(serverSide, 'GET', '/', raw);
  assert.deepEqual({ ...req.headers }, { ...node.headers });
  req.headers = { host: 'replaced' };
  assert.deepEqual(req.headers, { host: 'replaced' }, 'parse may trim it: the trimmed object is kept');
});
