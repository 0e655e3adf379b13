/**
 * `workers: 2` for real (the production bundle as a child process: a primary that forks two workers):
 * connections are handed to both workers, a client is limited once across them, a ban made by one
 * worker reaches the other, the primary refuses a banned source before any worker sees it, a worker
 * killed under load is replaced while the other keeps serving, SIGHUP reloads every worker, and a
 * graceful stop drains them and exits 0. Then the shared-socket variant (`worker_accept: shared`) serves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { Agent, request } from 'undici';
import { addresses, dropped, getJson, load, startNode, waitFor, type TestNode } from '../helpers/cluster.ts';
import { startOriginFixture } from '../helpers/origin.ts';

interface PrimaryStats {
  workers: { ready: number; restarts: number; workers: Array<{ index: number; pid: number; ready: boolean; handed: number }> };
  accept: { handed: number; dropped_banned: number };
  cluster: { processes: Array<{ name: string; role: string; missing: boolean; extra?: { bans?: number } }> };
}

function config(origin: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    workers: 2,
    policy: {
      max_tracked_clients: 16384,
      limits: [{ name: 'per-address', average: 10, burst: 10, key: ['address'] }],
      escalation: { address_threshold: 40, ladder: ['10m'] },
      not_found: { enabled: false },
    },
    sites: [{ name: 'test', hosts: ['*'], origins: [origin] }],
    ...extra,
  };
}

describe('workers: 2, worker_accept: primary (connections handed over)', () => {
  let origin: Awaited<ReturnType<typeof startOriginFixture>>;
  let node: TestNode;
  const statsOf = () => getJson<PrimaryStats>(`${node.adminUrl}/stats`, node.headers);
  const workersIn = (s: PrimaryStats) => s.cluster.processes.filter((p) => p.role === 'worker' && !p.missing);

  before(async () => {
    origin = await startOriginFixture();
    node = await startNode('127.0.0.21', config(origin.url, { worker_accept: 'primary' }));
  });
  after(async () => {
    const r = await node?.stop();
    assert.equal(r?.graceful, true, 'a graceful stop drains the workers and exits 0');
    assert.equal(r?.exitCode, 0);
    await origin?.stop();
  });

  it('hands connections to both workers and limits a client once across them', async () => {
    // One client on four keep-alive connections (the primary hands connections out in turn, so two
    // or more connections reach both workers whatever the machine's speed), 40 requests a second for 2 s.
    const agents = Array.from({ length: 4 }, () => new Agent({ localAddress: '127.91.0.1', connections: 1 }));
    const byStatus: Record<string, number> = {};
    const t0 = Date.now();
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < 80; i++) {
      const wait = t0 + i * 25 - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      pending.push(
        request(`${node.url}/`, { dispatcher: agents[i % agents.length]!, headers: { 'user-agent': 'curl/8' } })
          .then(async (res) => {
            await res.body.dump();
            byStatus[res.statusCode] = (byStatus[res.statusCode] ?? 0) + 1;
          })
          .catch(() => void (byStatus.error = (byStatus.error ?? 0) + 1)),
      );
    }
    await Promise.all(pending);
    await Promise.all(agents.map((a) => a.close()));
    const s = await statsOf();
    assert.ok(s.workers.workers.every((w) => w.handed > 0), `both workers got connections: ${JSON.stringify(s.workers.workers)}`);
    const admitted = byStatus['200'] ?? 0;
    // One process: 10/s × 2 s + 10 = 30. Two unaware workers would admit every request (20/s each, under 10/s + 10).
    assert.ok(admitted >= 20 && admitted <= 40, `admitted ${admitted}: ${JSON.stringify(byStatus)}`);
  });

  it('a ban made by one worker reaches the other, and the primary refuses the source before any worker', async () => {
    const before = (await statsOf()).accept.dropped_banned;
    // One keep-alive connection: one worker sees every request and makes the ban (40 refusals); the
    // other worker sees none of them and can only hold the ban if it reached it.
    const one = new Agent({ localAddress: '127.92.0.1', connections: 1 });
    for (let i = 0; i < 80; i++) {
      const res = await request(`${node.url}/`, { dispatcher: one, headers: { 'user-agent': 'curl/8' } }).catch(() => null);
      await res?.body.dump();
    }
    await one.close();
    assert.ok(Number.isFinite(await waitFor(5000, async () => workersIn(await statsOf()).every((p) => (p.extra?.bans ?? 0) >= 1))), 'every worker holds the ban');
    assert.equal(await dropped(node.url, '127.92.0.1'), true);
    assert.ok((await statsOf()).accept.dropped_banned > before, 'dropped at the primary');
  });

  it('the primary decides the level for every worker and writes one incident with every worker\'s requests', async () => {
    const mode = await request(`${node.adminUrl}/mode`, { method: 'POST', headers: { ...node.headers, 'content-type': 'application/json' }, body: JSON.stringify({ site: 'test', level: 'elevated', duration: '1m' }) });
    assert.equal(mode.statusCode, 200);
    await mode.body.dump();
    const levels = await waitFor(5000, async () => workersIn(await statsOf()).every((p) => (p.extra as { levels?: Record<string, string> } | undefined)?.levels?.test === 'elevated'));
    assert.ok(Number.isFinite(levels), 'every worker applies the level the primary published');
    const r = await load([node.url], addresses('127.97', 20), 40, 3);
    await new Promise((res) => setTimeout(res, 2500)); // the last second's shares reach the primary's next tick
    const list = await getJson<{ incidents: Array<{ id: string; status: string }> }>(`${node.adminUrl}/incidents?site=test`, node.headers);
    assert.equal(list.incidents.filter((i) => i.status === 'open').length, 1, JSON.stringify(list));
    const inc = await getJson<{ timeline: Array<{ requests: number }> }>(`${node.adminUrl}/incident?id=${list.incidents[0]!.id}`, node.headers);
    const counted = inc.timeline.reduce((n, s) => n + s.requests, 0);
    assert.ok(counted >= r.sent * 0.8, `the incident counts ${counted} of the ${r.sent} requests both workers served`);
    const back = await request(`${node.adminUrl}/mode`, { method: 'POST', headers: { ...node.headers, 'content-type': 'application/json' }, body: JSON.stringify({ site: 'test', level: 'auto' }) });
    await back.body.dump();
  });

  it('a worker killed under load is replaced; the other keeps serving', async () => {
    const victim = (await statsOf()).workers.workers[0]!;
    const traffic = load([node.url], addresses('127.93', 50), 60, 5);
    await new Promise((r) => setTimeout(r, 1000));
    process.kill(victim.pid, 'SIGKILL');
    const r = await traffic;
    assert.ok((r.byStatus['200'] ?? 0) >= r.sent * 0.7, `served through the crash: ${JSON.stringify(r)}`);
    const replaced = await waitFor(15_000, async () => {
      const s = await statsOf();
      return s.workers.ready === 2 && s.workers.restarts >= 1 && s.workers.workers[0]!.pid !== victim.pid;
    });
    assert.ok(Number.isFinite(replaced), 'a replacement is ready');
    const after = await load([node.url], addresses('127.94', 10), 20, 1);
    assert.equal(after.byStatus['200'], after.sent);
  });

  it('SIGHUP reloads every worker', async () => {
    const current = parse(readFileSync(node.configFile, 'utf8')) as { policy: Record<string, unknown> };
    current.policy.rules = [{ name: 'no-admin', match: { path: '/wp-admin' }, action: 'block' }];
    writeFileSync(node.configFile, stringify(current));
    process.kill(node.pid, 'SIGHUP');
    const blocked = await waitFor(5000, async () => {
      // Four new connections: handed to the workers in turn, so both answer.
      const codes = await Promise.all([0, 1, 2, 3].map(() => request(`${node.url}/wp-admin`, { headers: { 'user-agent': 'curl/8', connection: 'close' } }).then(async (res) => {
        await res.body.dump();
        return res.statusCode;
      })));
      return codes.every((c) => c === 403);
    });
    assert.ok(Number.isFinite(blocked), 'the new rule applies on every worker');
  });
});

describe('workers: 2, worker_accept: shared (the default)', () => {
  it('serves from the shared listening socket', async () => {
    const origin = await startOriginFixture();
    const node = await startNode('127.0.0.22', config(origin.url));
    try {
      const r = await load([node.url], addresses('127.95', 20), 40, 1);
      assert.equal(r.byStatus['200'], r.sent, JSON.stringify(r));
      const s = await getJson<PrimaryStats>(`${node.adminUrl}/stats`, node.headers);
      assert.equal(s.workers.ready, 2);
      // A ban on the primary's admin listener: every worker drops the source at its own accept.
      const add = await request(`${node.adminUrl}/bans`, { method: 'POST', headers: { ...node.headers, 'content-type': 'application/json' }, body: JSON.stringify({ key: '127.96.0.0/24', duration: '10m', force: true }) });
      assert.equal(add.statusCode, 201);
      await add.body.dump();
      assert.ok(Number.isFinite(await waitFor(2000, async () => (await Promise.all([1, 2, 3, 4].map(() => dropped(node.url, '127.96.0.5')))).every(Boolean))), 'dropped whichever worker accepts');
    } finally {
      await node.stop();
      await origin.stop();
    }
  });
});
