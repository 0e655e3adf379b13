import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { OUTCOMES, type Outcome } from '../../core/vocabulary.ts';
import { maskSecrets } from './config-view.ts';
import { createEventStreams } from './event-stream.ts';
import { createLiveHistory } from './live-history.ts';

const zero = () => Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;

test('live history: a ring of the last N seconds per configured site, counters turned into deltas', () => {
  const h = createLiveHistory({ seconds: 5 });
  let hits = 100;
  for (let t = 1; t <= 8; t++) {
    hits += t;
    h.sample(['a', 'b'], (site) => ({
      second: { t, outcomes: { ...zero(), forwarded: t, challenged: 1, limited: 2, dropped: 1 }, p50: 3, p99: null, cleared: 4, clearedServed: 3 },
      origin: { inFlight: 2, limit: 10, queued: 0 },
      cache: site === 'a' ? { hits, misses: 0, stale: 0 } : null,
      challenges: null,
      level: t > 6 ? 'under_attack' : 'normal',
    }));
  }
  const a = h.series('a')!;
  assert.deepEqual(a.t, [4, 5, 6, 7, 8], 'the last five seconds');
  assert.deepEqual(a.served, [4, 5, 6, 7, 8]);
  assert.deepEqual(a.refused, [3, 3, 3, 3, 3], 'limited and dropped are refused');
  assert.deepEqual(a.cache_hits, [4, 5, 6, 7, 8], 'deltas of a cumulative counter');
  assert.deepEqual(a.level, [0, 0, 0, 2, 2]);
  assert.ok(Number.isNaN(a.p99_ms[0]!), 'no latency: no value');
  assert.equal(h.latest('b')!.t, 8);
  h.sample(['a'], () => ({ second: { t: 9, outcomes: zero(), p50: null, p99: null, cleared: 0, clearedServed: 0 }, origin: null, cache: null, challenges: null, level: 'normal' }));
  assert.equal(h.series('b'), null, 'a site that left the config is dropped');
  assert.equal(h.stats().sites, 1);
});

/** A response stand-in: records writes, has a settable socket backlog. */
function fakeRes(): ServerResponse & { written: string[]; backlog: number; ended: boolean; destroyed: boolean; status: number } {
  const r = new EventEmitter() as unknown as ServerResponse & { written: string[]; backlog: number; ended: boolean; destroyed: boolean; status: number };
  Object.assign(r, { written: [], backlog: 0, ended: false, destroyed: false, status: 0 });
  Object.defineProperty(r, 'writableLength', { get: () => r.backlog });
  Object.defineProperty(r, 'writableEnded', { get: () => r.ended });
  (r as unknown as { writeHead: (s: number) => void }).writeHead = (s: number) => void (r.status = s);
  (r as unknown as { write: (c: string) => boolean }).write = (c: string) => (r.written.push(c), true);
  (r as unknown as { end: (c?: string) => void }).end = (c?: string) => {
    if (c) r.written.push(c);
    r.ended = true;
  };
  (r as unknown as { destroy: () => void }).destroy = () => void (r.destroyed = true);
  return r;
}

const req = (tokenId: string, site: string | null = null, allowed = async () => true) =>
  ({ url: new URL(`http://admin/events${site ? `?site=${site}` : ''}`), body: undefined, principal: { name: tokenId, role: 'viewer' as const, tokenId, via: 'bearer' as const }, stillAllowed: allowed });

test('event streams: nothing is built while nobody watches', async () => {
  const s = createEventStreams(() => ['news']);
  let built = 0;
  await s.broadcast(() => built++, () => built++);
  assert.equal(built, 0);
});

test('event streams: capped in all and per token, one frame per tick shared, slow readers skipped then closed, revoked tokens closed', async () => {
  const s = createEventStreams(() => ['news'], { maxStreams: 3, maxPerPrincipal: 2, maxBufferedBytes: 1000, maxSkips: 3 });
  const a1 = fakeRes();
  const a2 = fakeRes();
  const a3 = fakeRes();
  const b1 = fakeRes();
  const c1 = fakeRes();
  s.route(req('a', 'news'), a1);
  s.route(req('a'), a2);
  s.route(req('a'), a3);
  assert.equal(a3.status, 429, 'a third stream for one token');
  let allowedB = true;
  s.route(req('b', 'news', async () => allowedB), b1);
  s.route(req('c'), c1);
  assert.equal(c1.status, 503, 'the fourth stream in all');
  assert.equal(s.stats().open, 3);
  const route404 = fakeRes();
  s.route(req('d', 'nope'), route404);
  assert.equal(route404.status, 404);
  let built = 0;
  let overviews = 0;
  await s.broadcast(() => (overviews++, { sites: [] }), (name) => (built++, { name }));
  assert.equal(overviews, 1, 'the overview is built once a tick');
  assert.equal(built, 1, 'the site frame is built once for two streams watching it');
  assert.match(a1.written.at(-1)!, /^event: tick\ndata: \{"overview":\{"sites":\[\]\},"site":\{"name":"news"\}\}\n\n$/);
  assert.match(a2.written.at(-1)!, /"site":null/);
  // A slow reader: frames skipped while its buffer is over the cap, then closed.
  a2.backlog = 5000;
  const before = a2.written.length;
  for (let i = 0; i < 3; i++) await s.broadcast(() => ({}), () => ({}));
  assert.equal(a2.written.length, before, 'no frame queued behind a full buffer');
  assert.equal(a2.destroyed, true, 'closed after 3 skipped ticks');
  // A revoked token: its stream ends at the next tick.
  allowedB = false;
  await s.broadcast(() => ({}), () => ({}));
  assert.match(b1.written.at(-1)!, /event: end/);
  assert.equal(b1.ended, true);
  assert.deepEqual(s.stats(), { open: 1, capacity: 3, refused: 2, skipped: 3, closedSlow: 1, closedAuth: 1 });
  s.closeAll();
  assert.equal(a1.ended, true);
});

test('config view: secrets masked by key name and in URLs', () => {
  assert.deepEqual(maskSecrets({ a: { password: 'x', api_key: 'y', path: '/etc/k', n: 3 }, url: 'redis://user:pw@h:6379/0', list: [{ token: 't' }] }), {
    a: { password: '••••', api_key: '••••', path: '/etc/k', n: 3 },
    url: 'redis://••••@h:6379/0',
    list: [{ token: '••••' }],
  });
});
