/**
 * The cluster layer's parts on their own: traffic shares on the wire, the primary's relay (every worker
 * and the other machines get a message once, its sender never gets it back), the roles of the detection
 * link, and leases on a real redis-server (one leader, a stopped one replaced after the lease, a graceful
 * one at once).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createWindowAggregates } from '../core/detect/index.ts';
import { createBusCore, createLocalBusNetwork, type Bus, type BusMessage } from './bus.ts';
import { decodeContribution, decodeRegisters, encodeContribution, encodeRegisters } from './contribution-codec.ts';
import { createDetectionLink } from './detection-link.ts';
import { createPrimaryBus, type BusEnvelope } from './ipc-bus.ts';
import { createRedisLeases, createStaticLeases, type Leases } from './leases.ts';
import { createRedisHub, type RedisHub } from '../stores/redis/index.ts';
import { redisUnavailable, startTestRedis, type TestRedis } from '../stores/redis/test-redis.ts';
import type { LeaderView } from '../detection/coordination.ts';

describe('traffic shares on the wire', () => {
  it('registers go sparse while few are set, dense otherwise, and come back equal', () => {
    for (const set of [0, 10, 6000, 16384]) {
      const r = new Uint8Array(16384);
      for (let i = 0; i < set; i++) r[(i * 7919) % 16384] = 1 + (i % 20);
      const text = encodeRegisters(r);
      assert.equal(text[0], set * 3 < 16384 ? 'S' : 'D', `${set} set`);
      assert.deepEqual(decodeRegisters(text, 16384), r);
    }
    assert.equal(decodeRegisters('S' + Buffer.from([255, 255, 1]).toString('base64'), 16384), null, 'an index beyond the registers');
  });

  it('a share survives the trip, and one of another shape is refused', () => {
    const agg = createWindowAggregates({ hashSeed: 3 });
    agg.observe({ site: 's', outcome: 'limited', status: 429, address: '203.0.113.9', prefix: '203.0.113.0/24', asn: 1, country: 'ZZ', path: '/x', userAgent: 'u', fingerprint: 'f', cleared: false, originLatencyMs: null, bytesIn: 1, bytesOut: 2, cache: null, challenge: null }, 7_000_100);
    const part = agg.exportSecond(7000)!;
    const c = { site: 's', aggregates: part, extras: { second: 7000, decisions: [['limit/x', 1]] as Array<[string, number]>, cleared: null, sources: part.all, prefixes: [42] } };
    const wire = JSON.parse(JSON.stringify(encodeContribution(c)));
    const shape = { counters: part.counters.length, latency: part.latency.length, registers: part.all.length, dimensions: part.heavy.length };
    const back = decodeContribution(wire, shape)!;
    assert.deepEqual(Array.from(back.aggregates.counters), Array.from(part.counters));
    assert.deepEqual(back.aggregates.all, part.all);
    assert.deepEqual(back.aggregates.heavy[0], [{ key: '203.0.113.9', count: 1 }]);
    assert.deepEqual(back.extras.decisions, [['limit/x', 1]]);
    assert.equal(decodeContribution(wire, { ...shape, counters: shape.counters + 1 }), null);
    assert.equal(decodeContribution({ ...wire, a: 'D' + Buffer.from([1, 2]).toString('base64') }, shape), null);
  });
});

describe('the primary relay', () => {
  it('gives a worker message to every other worker, the primary and the other machines, never back to its sender', async () => {
    const net = createLocalBusNetwork();
    const otherMachine = net.bus('m2');
    const upstream = net.bus('m1');
    const primary = createPrimaryBus('m1', 'm1', upstream);
    const inbox: Record<string, BusMessage[]> = { w1: [], w2: [], w3: [], primary: [], m2: [] };
    for (const w of ['w1', 'w2', 'w3']) primary.addWorker(w, (e: BusEnvelope) => inbox[w]!.push(e.m));
    primary.on('bans', (m) => inbox.primary!.push(m));
    otherMachine.on('bans', (m) => inbox.m2!.push(m));
    const w1 = createBusCore('m1/w1', 'm1');
    primary.fromWorker('w1', { bulwark: 'bus', m: w1.stamp({ t: 'bans' }) });
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual([inbox.w1!.length, inbox.w2!.length, inbox.w3!.length, inbox.primary!.length, inbox.m2!.length], [0, 1, 1, 1, 1]);
    otherMachine.publish({ t: 'view', v: 1 });
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual([inbox.w1!.length, inbox.w2!.length, inbox.w3!.length], [1, 2, 2], 'a message from another machine reaches every worker');
  });
});

function view(site: string, atMs: number, leader = 'other'): LeaderView {
  return { site, level: 'elevated', state: {} as LeaderView['state'], rules: [], leader, incident: null, atMs };
}

describe('detection roles', () => {
  it('leads with the lease, follows while the lease store answers or a view is fresh, is alone otherwise', async () => {
    const net = createLocalBusNetwork();
    let holds = false;
    let reachable = true;
    const leases: Leases = { ...createStaticLeases('me', () => ['s']), holds: () => holds, reachable: () => reachable };
    const applied: LeaderView[] = [];
    const bus: Bus = net.bus('me');
    const link = createDetectionLink({ bus, leases, tag: 't', leaseMs: 1000, apply: (v) => applied.push(v) });
    const now = Date.now();
    assert.equal(link.role('s', now), 'follow');
    holds = true;
    assert.equal(link.role('s', now), 'lead');
    holds = false;
    reachable = false;
    assert.equal(link.role('s', now), 'alone', 'cut off and nothing heard');
    net.bus('other').publish({ t: 'view', v: view('s', now) });
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(link.role('s', now + 500), 'follow', 'a fresh view from the leader');
    assert.equal(link.role('s', now + 2500), 'alone', 'a view older than two leases');
    link.publish(view('s', now + 3000, 'me'));
    assert.equal(applied.length, 1);
    assert.equal(link.followed('s')?.leader, 'me');
  });
});

describe('leases on Redis', { skip: redisUnavailable() ?? undefined }, () => {
  let server: TestRedis;
  const hubs: RedisHub[] = [];
  before(async () => {
    server = await startTestRedis();
  });
  after(async () => {
    for (const h of hubs) await h.close();
    await server.stop();
  });

  it('one node leads; a stopped leader is replaced after the lease, a graceful one at once', async () => {
    const config = server.config();
    const hub = async (name: string) => {
      const h = createRedisHub({ ...config, node_name: name });
      hubs.push(h);
      await h.connect(5000);
      return h;
    };
    const sites = () => ['news'];
    const a = createRedisLeases(await hub('a'), { leaseMs: 600, sites });
    await a.round();
    const b = createRedisLeases(await hub('b'), { leaseMs: 600, sites });
    await b.round();
    assert.deepEqual([a.holds('news', 0), b.holds('news', 0), b.holder('news')], [true, false, 'a']);
    a.stop(); // a crashed: no more renewals
    const t0 = Date.now();
    while (!b.holds('news', 0) && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
    const took = Date.now() - t0;
    assert.ok(b.holds('news', 0) && took >= 300, `b took over after ${took} ms (the lease must run out first)`);
    assert.equal(a.holds('news', 0), false, 'a stops believing it leads before b may take over');
    const c = createRedisLeases(await hub('c'), { leaseMs: 600, sites });
    await b.release();
    await c.round();
    assert.equal(c.holds('news', 0), true, 'a lease given back is free at once');
    c.stop();
  });
});
