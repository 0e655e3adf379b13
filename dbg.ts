import { Agent, request } from 'undici';
import { startTestRedis } from './src/stores/redis/test-redis.ts';
import { addresses, getJson, startNode } from './test/helpers/cluster.ts';
import { startOriginFixture } from './test/helpers/origin.ts';
const redis = await startTestRedis();
const origin = await startOriginFixture();
const cfg = (name: string) => ({
    shared_state: { url: `redis://127.0.0.1:${redis.port}`, namespace: 'dbg', node_name: name, lease: '1500ms', limits_interval: '100ms' },
    policy: { max_tracked_clients: 16384, limits: [{ name: 'per-address', average: 10, burst: 10, key: ['address'] }], not_found: { enabled: false } },
    sites: [{ name: 'test', hosts: ['*'], origins: [origin.url] }],
});
const nodes = [await startNode('127.0.0.11', cfg('node1')), await startNode('127.0.0.12', cfg('node2'))];
const errs: Record<string, number> = {};
const agents = addresses('127.60', 40).map(a => new Agent({ localAddress: a, connections: 4 }));
const ps = [];
for (let i = 0; i < 400; i++) {
  await new Promise(r => setTimeout(r, 8));
  ps.push(request(nodes[i % 2].url + '/', { dispatcher: agents[i % 40], headersTimeout: 3000 }).then(async r => { await r.body.dump(); errs[r.statusCode] = (errs[r.statusCode] ?? 0) + 1; }).catch(e => { errs[e.code ?? e.message] = (errs[e.code ?? e.message] ?? 0) + 1; }));
}
await Promise.all(ps);
console.log(errs);
const s = await getJson<any>(`${nodes[0].adminUrl}/stats`);
console.log(JSON.stringify(s.connections), JSON.stringify(s.bans));
for (const n of nodes) { await n.stop(); }
await origin.stop(); await redis.stop();
