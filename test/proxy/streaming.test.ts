/**
 * Streaming: bodies stream both ways and are never buffered whole. 256 MiB go up and 256 MiB come
 * down through Bulwark while the process's RSS stays flat (the benchmark does the 1 GiB run).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

const SIZE = 256 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 7);
let origin: SimpleOrigin;
let b: TestBulwark;
let uploaded = 0;

function generate(total: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(CHUNK.length, total - sent);
      sent += n;
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
    },
  });
}

before(async () => {
  origin = await startSimpleOrigin((req, res) => {
    if (req.method === 'POST') {
      let n = 0;
      req.on('data', (c: Buffer) => (n += c.length));
      req.on('end', () => {
        uploaded = n;
        res.end(String(n));
      });
      return;
    }
    res.writeHead(200, { 'content-length': SIZE });
    generate(SIZE).pipe(res);
  });
  b = await startBulwark({ origin: origin.url, sites: [{ name: 's', hosts: ['*'], origins: [origin.url], max_body_bytes: '1gb' }] });
});
after(async () => {
  await b.stop();
  await origin.close();
});

function rssMb(): number {
  return process.memoryUsage.rss() / 1024 / 1024;
}

test('a 256 MiB upload streams through with flat memory (Content-Length and chunked)', async () => {
  for (const chunked of [false, true]) {
    const base = rssMb();
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
    const res = await request(`${b.url}/upload`, {
      method: 'POST',
      body: generate(SIZE),
      headers: chunked ? {} : { 'content-length': String(SIZE) },
    });
    const text = await res.body.text();
    clearInterval(sampler);
    assert.equal(res.statusCode, 200);
    assert.equal(Number(text), SIZE);
    assert.equal(uploaded, SIZE);
    assert.ok(peak - base < 96, `RSS grew by ${(peak - base).toFixed(0)} MiB while 256 MiB went up (chunked=${chunked})`);
  }
});

test('a 256 MiB download streams through with flat memory', async () => {
  const base = rssMb();
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
  const res = await request(`${b.url}/download`);
  let n = 0;
  for await (const c of res.body) n += (c as Buffer).length;
  clearInterval(sampler);
  assert.equal(n, SIZE);
  assert.ok(peak - base < 96, `RSS grew by ${(peak - base).toFixed(0)} MiB while 256 MiB came down`);
});
