/**
 * The dashboard's server side over real sockets: the static app with its Content-Security-Policy, and
 * the live feed (server-sent events) — ticks every second, capped streams in all and per token, and a
 * revoked token's or ended session's stream closed within a tick or two.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openStateStores } from '../../src/stores/index.ts';
import { createTestToken, startBulwark } from '../helpers/bulwark.ts';
import { startSimpleOrigin } from '../helpers/simple-origin.ts';
import { adminCall } from '../helpers/admin.ts';

const BUILD = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

interface Stream {
  readonly status: number;
  readonly events: Array<{ event: string; data: any }>;
  closed: boolean;
  close(): void;
}

function openStream(baseUrl: string, path: string, headers: Record<string, string>): Promise<Stream> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: url.hostname, port: url.port, path, headers: { host: url.host, ...headers }, agent: false }, (res) => {
      const s: Stream = { status: res.statusCode ?? 0, events: [], closed: false, close: () => req.destroy() };
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        buf += c;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event) s.events.push({ event, data: data ? JSON.parse(data) : null });
        }
      });
      res.on('end', () => (s.closed = true));
      res.on('close', () => (s.closed = true));
      resolve(s);
    });
    req.on('error', reject);
  });
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('static dashboard: CSP that allows nothing from elsewhere, hashed assets cached, unknown assets 404', { skip: existsSync(BUILD) ? false : 'dashboard not built' }, async () => {
  const origin = await startSimpleOrigin();
  const b = await startBulwark({ origin: origin.url });
  try {
    const root = await adminCall(b.adminUrl, { path: '/' });
    assert.equal(root.status, 200);
    assert.match(String(root.headers['content-type']), /^text\/html/);
    const csp = String(root.headers['content-security-policy']);
    for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) assert.ok(csp.includes(d), d);
    assert.equal(root.headers['x-frame-options'], 'DENY');
    assert.doesNotMatch(root.text, /<script>(?!<\/script>)|https?:\/\//, 'no inline script, nothing from elsewhere');
    const js = readdirSync(`${BUILD}assets`).find((f) => f.endsWith('.js'))!;
    const asset = await adminCall(b.adminUrl, { path: `/assets/${js}` });
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    assert.match(String(asset.headers['content-type']), /^text\/javascript/);
    assert.equal((await adminCall(b.adminUrl, { path: '/assets/nope.js' })).status, 404);
    assert.equal((await adminCall(b.adminUrl, { path: '/api/overview' })).status, 401, 'the data needs a token');
  } finally {
    await b.stop();
    await origin.close();
  }
});

test('live feed: a tick a second, streams capped in all and per token, a revoked token or ended session closes its stream', async () => {
  const origin = await startSimpleOrigin();
  const b = await startBulwark({ origin: origin.url, admin: { listen: '127.0.0.1:0', dashboard: { max_streams: 3, max_streams_per_token: 1 } } });
  const streams: Stream[] = [];
  try {
    const x = await createTestToken(b.stateDir, 'viewer', 'xavier');
    const y = await createTestToken(b.stateDir, 'viewer', 'yvonne');
    const a = await openStream(b.adminUrl, '/events?site=test', x.headers);
    streams.push(a);
    assert.equal(a.status, 200);
    await until(() => a.events.filter((e) => e.event === 'tick').length >= 2, 5000, 'two ticks');
    const tick = a.events.find((e) => e.event === 'tick')!.data;
    assert.equal(tick.overview.sites[0].site, 'test');
    assert.ok('sample' in tick.site && 'detector' in tick.site, 'the watched site has its frame');
    const again = await openStream(b.adminUrl, '/events', x.headers);
    streams.push(again);
    assert.equal(again.status, 429, 'one stream per token here');
    const other = await openStream(b.adminUrl, '/events', y.headers);
    streams.push(other);
    assert.equal(other.status, 200);
    // A session's stream (logged in from the browser's side), then the third: the cap is reached.
    const admin = await createTestToken(b.stateDir, 'admin', 'zoe');
    const login = await adminCall(b.adminUrl, { method: 'POST', path: '/login', body: { token: admin.secret } });
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const session = await openStream(b.adminUrl, '/events', { cookie });
    streams.push(session);
    assert.equal(session.status, 200);
    const full = await openStream(b.adminUrl, '/events', b.adminHeaders);
    streams.push(full);
    assert.equal(full.status, 503, 'three streams at most');
    const metrics = (await adminCall(b.adminUrl, { path: '/metrics', headers: b.adminHeaders })).text;
    assert.match(metrics, /^bulwark_admin_streams 3$/m);
    // Revoke xavier: his stream ends; log zoe out: hers ends.
    const state = openStateStores({ stateDir: b.stateDir, onCorrupt: 'refuse' });
    await state.tokens.revoke('xavier', 'test', Date.now());
    state.close();
    await until(() => a.closed, 4000, 'the revoked token’s stream closes');
    assert.equal(a.events.at(-1)?.event, 'end');
    await adminCall(b.adminUrl, { method: 'POST', path: '/logout', headers: { cookie, origin: b.adminUrl, 'x-csrf-token': login.json.csrf } });
    await until(() => session.closed, 4000, 'the ended session’s stream closes');
    assert.equal(other.closed, false, 'other streams go on');
  } finally {
    for (const s of streams) s.close();
    await b.stop();
    await origin.close();
  }
});
