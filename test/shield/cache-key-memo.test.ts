/**
 * The cache key remembered per connection (shield-flow.ts, cacheKeyOf) over one real keep-alive
 * connection: a repeated URL is served from the cache, a changed URL, method, Host or reload never reuses
 * the previous request's key, and the origin always receives the normalised target.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from 'undici';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin, type SimpleOrigin } from '../helpers/simple-origin.ts';

let origin: SimpleOrigin;
let b: TestBulwark;
let client: Client;

before(async () => {
  origin = await startSimpleOrigin((req, res) => {
    const body = `${req.method} ${req.headers.host} ${req.url}`;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), 'cache-control': 'public, max-age=60' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  const site = (name: string) => ({ name, hosts: [`${name}.test`], origins: [origin.url], shield: { cache: { admit_after_uses: 1 } } });
  b = await startBulwark({ sites: [site('one'), site('two')] });
  client = new Client(b.url, { pipelining: 1, connections: 1 } as ConstructorParameters<typeof Client>[1]);
});

after(async () => {
  await client.close();
  await b.stop();
  await origin.close();
});

async function get(path: string, host = 'one.test', method: 'GET' | 'HEAD' = 'GET'): Promise<{ cache: string; body: string }> {
  const res = await client.request({ path, method, headers: { host } });
  const body = await res.body.text();
  return { cache: String(res.headers['x-bulwark-cache']), body };
}

test('one connection: repeats hit, every change of URL, method or site gets its own key', async () => {
  assert.deepEqual(await get('/p?b=2&a=1'), { cache: 'MISS', body: 'GET one.test /p?a=1&b=2' });
  // The same normalised target spelled differently, then repeated: one key.
  assert.deepEqual(await get('/p?a=1&b=2&utm_source=x'), { cache: 'HIT', body: 'GET one.test /p?a=1&b=2' });
  assert.deepEqual(await get('/p?a=1&b=2&utm_source=x'), { cache: 'HIT', body: 'GET one.test /p?a=1&b=2' });
  // Another path on the same connection: never the previous key.
  assert.deepEqual(await get('/q'), { cache: 'MISS', body: 'GET one.test /q' });
  assert.deepEqual(await get('/p?b=2&a=1'), { cache: 'HIT', body: 'GET one.test /p?a=1&b=2' });
  // The same path on another site of the same connection: that site's own key.
  assert.deepEqual(await get('/p?b=2&a=1', 'two.test'), { cache: 'MISS', body: 'GET two.test /p?a=1&b=2' });
  assert.deepEqual(await get('/p?b=2&a=1', 'one.test'), { cache: 'HIT', body: 'GET one.test /p?a=1&b=2' });
  // HEAD shares GET's key (and gets no body).
  assert.equal((await get('/q', 'one.test', 'HEAD')).cache, 'HIT');
  assert.deepEqual(
    origin.requests.map((r) => `${r.method} ${r.headers.host} ${r.url}`),
    ['GET one.test /p?a=1&b=2', 'GET one.test /q', 'GET two.test /p?a=1&b=2'],
  );
});
