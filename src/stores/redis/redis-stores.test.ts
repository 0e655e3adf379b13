/**
 * The shared conformance suites (../conformance/) against the Redis implementations, on a real
 * redis-server this file starts (skipped with the reason where redis-server is missing). The Cluster run
 * of the same suites is test/scale/redis-cluster.test.ts.
 */
import { after, describe, it } from 'node:test';
import { runRedisConformance, scanNamespace } from './test-redis-conformance.ts';
import { redisUnavailable, startTestRedis, type TestRedis } from './test-redis.ts';

const skip = redisUnavailable();
let server: Promise<TestRedis> | null = null;
const getServer = (): Promise<TestRedis> => (server ??= startTestRedis());
after(async () => {
  if (server !== null) await (await server).stop();
});

if (skip !== null) {
  describe('Redis stores conformance', () => {
    it('runs against a real redis-server', { skip }, () => {});
  });
} else {
  runRedisConformance('', { config: async () => (await getServer()).config(), keys: scanNamespace });
}
