/**
 * Three Bulwark nodes — separate processes on 127.0.0.11, .12 and .13 — sharing one redis-server, in
 * front of one origin. What a deployment of several machines must do:
 * - a flood from one client spread over the three nodes is limited as one client;
 * - a ban set on one node drops the source on all within a second;
 * - an attack spread over the nodes is detected from the sum (each node alone sees too little) and
 *   recorded as one incident, with the leader's merged figures;
 * - the leader killed mid-attack: another node takes over and the same incident continues;
 * - one node cut off from Redis and healed: no second incident, no lost ban;
 * - Redis killed mid-flood: every node keeps serving and protecting, then resynchronises.
 * Kept lean for CI: the nodes are started once; floods last a few seconds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { createBaseline } from '../../src/core/detect/index.ts';
import { createSyntheticSite } from '../../src/core/detect/synthetic-site.ts';
import { createRedisBaselineStore, createRedisHub } from '../../src/stores/redis/index.ts';
import { redisUnavailable, startTestRedis, type TestRedis } from '../../src/stores/redis/test-redis.ts';
import { clusterStatus, formatClusterStatus } from '../../src/cluster/cluster-status.ts';
import { addresses, dropped, getJson, load, startNode, startRelay, waitFor, type Relay, type TestNode } from '../helpers/cluster.ts';
import { startOriginFixture } from '../helpers/origin.ts';

const NAMESPACE = `mn${process.pid}`;

/** Limits and detection tuned for seconds-long tests: 10/s per address, an incident above 60 req/s in total. */
function nodeConfig(name: string, redisPort: number, origin: string): Record<string, unknown> {
  return {
    shared_state: { url: `redis://127.0.0.1:${redisPort}`, namespace: NAMESPACE, node_name: name, lease: '1500ms', limits_interval: '100ms', connect_timeout: '1s', command_timeout: '500ms' },
    policy: {
      max_tracked_clients: 16384,
      limits: [{ name: 'per-address', average: 10, burst: 10, key: ['address'] }],
      escalation: { address_threshold: 60, ladder: ['10m'] },
      not_found: { enabled: false },
    },
    detection: {
      baseline: { warmup: '1h' },
      detector: {
        warmup_floor: { rps: { elevated: 60, under_attack: 1_000_000 }, sources: { elevated: 1_000_000, under_attack: 1_000_000 } },
        calm: '1s',
        min_dwell: { elevated: '1s', under_attack: '1s' },
      },
      incidents: { calm: '2s', update_every: '1s' },
      persist_every: '1s',
    },
    sites: [{ name: 'test', hosts: ['*'], origins: [origin] }],
  };
}

/**
 * A learned baseline of a quiet site (5 req/s for a minute), saved in the shared store before the nodes
 * start: detection compares with a baseline of at least 30 seconds, which a test should not wait for.
 */
async function seedBaseline(redis: TestRedis): Promise<void> {
  const hub = createRedisHub({ ...redis.config(), namespace: NAMESPACE });
  await hub.connect(5000);
  const baseline = createBaseline();
  const site = createSyntheticSite();
  const t0 = Date.now() - 60_000;
  for (let i = 1; i <= 60; i++) baseline.update(site.next({ rps: 5 }, t0 + i * 1000), 'normal', t0 + i * 1000);
  await createRedisBaselineStore(hub).save({ site: 'test', updatedAtMs: Date.now(), json: baseline.toJSON() });
  await hub.close();
}

interface ClusterStats {
  cluster: { leaders: Record<string, string | null>; processes: Array<{ name: string; missing: boolean }>; bus: { lag_ms: number | null } };
  shared_state: { link: { up: boolean }; bans: { pending: number } };
}

interface IncidentRow {
  id: string;
  status: string;
  total_requests: number;
  opened_at_ms: number;
}

describe('three nodes sharing one Redis', { skip: redisUnavailable() ?? undefined }, () => {
  let redis: TestRedis;
  let relay: Relay;
  let origin: Awaited<ReturnType<typeof startOriginFixture>>;
  const nodes: TestNode[] = [];
  const names = ['node1', 'node2', 'node3'];
  const hosts = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];

  const statsOf = (n: TestNode) => getJson<ClusterStats>(`${n.adminUrl}/stats`, n.headers);
  const incidents = async (n: TestNode) => (await getJson<{ incidents: IncidentRow[] }>(`${n.adminUrl}/incidents?site=test`, n.headers)).incidents;
  const leaderOf = async (n: TestNode) => (await statsOf(n)).cluster.leaders.test ?? null;
  const live = () => nodes.filter((n) => n.alive());

  before(async () => {
    redis = await startTestRedis();
    await seedBaseline(redis);
    relay = await startRelay(redis.port); // node3 reaches Redis through it (the partition test cuts it)
    origin = await startOriginFixture();
    for (let i = 0; i < 3; i++) nodes.push(await startNode(hosts[i]!, nodeConfig(names[i]!, i === 2 ? relay.port : redis.port, origin.url)));
    assert.ok(Number.isFinite(await waitFor(5000, async () => (await leaderOf(nodes[0]!)) !== null)), 'a leader is elected');
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await relay?.close();
    await origin?.stop();
    await redis?.stop();
  });

  it('limits a flood spread over the nodes as one client', async () => {
    const urls = nodes.map((n) => n.url);
    const r = await load(urls, ['127.50.0.1'], 40, 2);
    const admitted = r.byStatus['200'] ?? 0;
    // One process would admit 10/s × 2 s + 10 = 30; three unaware ones all 80 (each sees 13/s, under its
    // own bucket). The overshoot bound with an exchange every 100 ms: each other node admits at most
    // min(burst + 1, 13/s × 0.15 s) ≈ 2 unseen.
    assert.ok(admitted >= 20 && admitted <= 45, `admitted ${admitted} of ${r.sent} (${JSON.stringify(r.byStatus)}, failed ${r.failed})`);
  });

  it('a ban on one node drops the source on all within a second', async () => {
    const add = await request(`${nodes[0]!.adminUrl}/bans`, { method: 'POST', headers: { ...nodes[0]!.headers, 'content-type': 'application/json' }, body: JSON.stringify({ key: '127.51.0.0/24', duration: '10m', force: true }) });
    assert.equal(add.statusCode, 201);
    await add.body.dump();
    const t0 = Date.now();
    for (const n of nodes.slice(1)) {
      const ms = await waitFor(1000, () => dropped(n.url, '127.51.0.7'));
      assert.ok(Date.now() - t0 <= 1000 + 100, `node ${n.url} dropped the source after ${Date.now() - t0} ms`);
      assert.ok(Number.isFinite(ms));
    }
  });

  it('bulwark cluster shows every node, the site leader and the shared server', async () => {
    const status = await clusterStatus({ ...redis.config(), namespace: NAMESPACE }, ['test']);
    assert.ok(names.includes(status.leaders.test ?? ''), JSON.stringify(status.leaders));
    for (const name of names) assert.ok(status.processes.some((p) => p.name === name && p.role === 'single'), `${name} heard: ${status.processes.map((p) => p.name)}`);
    assert.equal(status.processes.find((p) => p.name === status.leaders.test)?.leads.includes('test'), true);
    assert.match(formatClusterStatus(status), /site test: led by node\d/);
  });

  it('detects an attack from the sum of the nodes and records one incident with the merged figures', async () => {
    // 120 req/s over three nodes: 40 each, below the 60 req/s floor; only the sum raises the level.
    const r = await load(nodes.map((n) => n.url), addresses('127.60', 40), 120, 6);
    assert.ok((r.byStatus['200'] ?? 0) > r.sent * 0.5, `the load reached the nodes: ${JSON.stringify(r)}`);
    assert.ok(Number.isFinite(await waitFor(10_000, async () => (await incidents(nodes[1]!)).some((i) => i.status === 'closed'))), 'the incident closes after calm');
    const list = await incidents(nodes[2]!);
    assert.equal(list.length, 1, JSON.stringify(list));
    const inc = list[0]!;
    assert.ok(inc.total_requests >= r.sent * 0.6, `the incident counts ${inc.total_requests} of the ${r.sent} requests sent to all nodes`);
  });

  it('the leader killed mid-attack: another node takes over and the incident continues', async () => {
    const flood = load(nodes.map((n) => n.url), addresses('127.61', 40), 120, 9);
    assert.ok(Number.isFinite(await waitFor(5000, async () => (await incidents(nodes[0]!)).some((i) => i.status === 'open'))), 'an incident opens');
    const open = (await incidents(nodes[0]!)).find((i) => i.status === 'open')!;
    const leaderName = await leaderOf(nodes[0]!);
    const leader = nodes[names.indexOf(leaderName!)]!;
    leader.child.kill('SIGKILL');
    const others = nodes.filter((n) => n !== leader);
    const tookOver = await waitFor(6000, async () => {
      const l = await leaderOf(others[0]!);
      return l !== null && l !== leaderName;
    });
    assert.ok(Number.isFinite(tookOver), 'another node leads');
    const killedAt = Date.now();
    await flood;
    assert.ok(Number.isFinite(await waitFor(10_000, async () => (await incidents(others[0]!)).every((i) => i.status === 'closed'))));
    const after = await incidents(others[0]!);
    assert.equal(after.filter((i) => i.id !== open.id && i.opened_at_ms >= open.opened_at_ms).length, 0, `no second incident for the same attack: ${JSON.stringify(after)}`);
    const same = await getJson<{ timeline: Array<{ t: number }> }>(`${others[0]!.adminUrl}/incident?id=${open.id}`, others[0]!.headers);
    assert.ok(same.timeline.at(-1)!.t > killedAt, 'the incident kept its timeline after the takeover');
    // The killed machine comes back and follows.
    const i = nodes.indexOf(leader);
    nodes[i] = await startNode(hosts[i]!, nodeConfig(names[i]!, i === 2 ? relay.port : redis.port, origin.url));
  });

  it('a node cut off from Redis and healed: no second incident, no lost ban', async () => {
    const cutAt = Date.now();
    relay.cut(); // node3 reaches Redis through the relay
    assert.ok(Number.isFinite(await waitFor(3000, async () => !(await statsOf(nodes[2]!)).shared_state.link.up)), 'node3 noticed');
    // node3 bans an abusive client on its own (escalation), while the other nodes see an attack.
    const abuse = load([nodes[2]!.url], ['127.67.0.1'], 100, 1.5);
    const attack = load(nodes.map((n) => n.url), addresses('127.68', 40), 120, 5);
    await abuse;
    assert.equal(await dropped(nodes[2]!.url, '127.67.0.1'), true, 'node3 enforces its ban alone');
    assert.ok((await statsOf(nodes[2]!)).shared_state.bans.pending >= 1, 'and keeps it to write');
    await attack;
    relay.heal();
    assert.ok(Number.isFinite(await waitFor(8000, async () => {
      const s = await statsOf(nodes[2]!);
      return s.shared_state.link.up && s.shared_state.bans.pending === 0;
    })), 'node3 is back and wrote its ban');
    for (const n of nodes.slice(0, 2)) assert.ok(Number.isFinite(await waitFor(1000, () => dropped(n.url, '127.67.0.1'))), `the ban reached ${n.url}`);
    assert.ok(Number.isFinite(await waitFor(10_000, async () => (await incidents(nodes[0]!)).every((i) => i.status === 'closed'))));
    const since = (await incidents(nodes[0]!)).filter((i) => i.opened_at_ms >= cutAt - 1000);
    assert.equal(since.length, 1, `one incident for the attack during the partition: ${JSON.stringify(since)}`);
  });
  it('Redis killed mid-flood: every node keeps serving and protecting, then resynchronises', async () => {
    const urls = nodes.map((n) => n.url);
    const visitors = load(urls, addresses('127.65', 30), 60, 7);
    const abuse = load(urls, ['127.66.0.1'], 90, 7);
    await new Promise((r) => setTimeout(r, 1500));
    await redis.kill();
    const down = await waitFor(3000, async () => (await Promise.all(nodes.map(statsOf))).every((s) => !s.shared_state.link.up));
    assert.ok(Number.isFinite(down), 'every node noticed');
    await new Promise((r) => setTimeout(r, 2500));
    await redis.restart();
    const [v, a] = await Promise.all([visitors, abuse]);
    assert.ok((v.byStatus['200'] ?? 0) >= v.sent * 0.85, `visitors were served throughout: ${JSON.stringify(v)}`);
    // While the server is away each node limits on its own: at most three times the limit, never unlimited.
    assert.ok((a.byStatus['200'] ?? 0) <= 3 * (10 * 7 + 10) && (a.byStatus['429'] ?? 0) + a.failed > a.sent / 2, `the abusive client stayed limited (then banned): ${JSON.stringify(a)}`);
    const back = await waitFor(10_000, async () => (await Promise.all(nodes.map(statsOf))).every((s) => s.shared_state.link.up && s.shared_state.bans.pending === 0));
    assert.ok(Number.isFinite(back), 'every node reconnected and wrote what it kept');
    // The server came back empty: the bans the nodes knew were written back to it, and a leader was elected again.
    const bans = await getJson<{ bans: Array<{ key: string }> }>(`${nodes[1]!.adminUrl}/bans`, nodes[1]!.headers);
    for (const key of ['127.51.0.0/24', '127.67.0.1']) assert.ok(bans.bans.some((b) => b.key === key), `${key} is in the shared store again: ${JSON.stringify(bans)}`);
    assert.ok(Number.isFinite(await waitFor(5000, async () => {
      const leaders = await Promise.all(nodes.map(leaderOf));
      return leaders[0] !== null && leaders.every((l) => l === leaders[0]);
    })), 'one leader again, known to every node');
  });

});
