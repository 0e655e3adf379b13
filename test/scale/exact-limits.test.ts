/**
 * A limit marked `exact: true` on two nodes sharing one redis-server: a client alternating between the
 * nodes is admitted exactly the limit's burst (the count is taken on the server in one atomic step), where
 * the local-first exchange — slowed down here to one exchange every 10 s — would admit it once per node.
 * With the server gone, each node falls back to its own count and keeps answering.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { redisUnavailable, startTestRedis, type TestRedis } from '../../src/stores/redis/test-redis.ts';
import { startBulwark, type TestBulwark } from '../helpers/bulwark.ts';
import { startOriginFixture } from '../helpers/origin.ts';

describe('exact limits on the shared server', { skip: redisUnavailable() ?? undefined }, () => {
  let redis: TestRedis;
  let origin: Awaited<ReturnType<typeof startOriginFixture>>;
  let nodes: TestBulwark[] = [];

  const limitsWith = (exact: boolean) => ({
    limits: [{ name: 'login', average: 1, period: '1m', burst: 5, key: ['address'], match: { path: '/login' }, exact }],
    escalation: { enabled: false },
  });

  async function start(exact: boolean): Promise<void> {
    const shared = { ...redis.config(), limits_interval: '10s' };
    nodes = [
      await startBulwark({ origin: origin.url, shared_state: { ...shared, node_name: 'a' }, policy: limitsWith(exact) }),
      await startBulwark({ origin: origin.url, shared_state: { ...shared, node_name: 'b' }, policy: limitsWith(exact) }),
    ];
  }

  async function admitted(source: string, n: number): Promise<number> {
    const agent = new Agent({ localAddress: source });
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const res = await request(`${nodes[i % 2]!.url}/login`, { dispatcher: agent, headers: { 'user-agent': 'curl/8' } });
      await res.body.dump();
      if (res.statusCode === 200) ok++;
    }
    await agent.close();
    return ok;
  }

  before(async () => {
    redis = await startTestRedis();
    origin = await startOriginFixture();
  });
  after(async () => {
    for (const n of nodes) await n.stop();
    await origin?.stop();
    await redis?.stop();
  });

  it('admits the burst once across nodes; the local count alone admits it once per node', async () => {
    await start(false);
    assert.equal(await admitted('127.81.0.1', 20), 10, 'local-first, exchanges 10 s apart: once per node');
    for (const n of nodes) await n.stop();
    await start(true);
    assert.equal(await admitted('127.81.0.2', 20), 5, 'exact: once for the deployment');
  });

  it('falls back to the local count when the server is gone', async () => {
    await redis.kill();
    const got = await admitted('127.81.0.3', 20);
    assert.equal(got, 10, 'each node limits on its own, and every request is answered');
    await redis.restart();
  });
});
