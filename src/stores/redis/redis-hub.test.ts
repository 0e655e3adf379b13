/**
 * The hub's subscriptions on a real redis-server, through a relay this test controls: they come back after
 * the connections drop, and a stop while the subscriber is still resubscribing is a clean stop — ioredis's
 * own resubscription left that SUBSCRIBE's failure unhandled, and the process's unhandled-rejection
 * handler exits 1 (seen as a flaky failure of whichever test stopped a node at that moment).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRedisHub } from './redis-hub.ts';
import { askRedis, pollFor, redisUnavailable, startTestRedis, type TestRedis } from './test-redis.ts';

/** A TCP relay to `port`; `holdSubscribe` makes it swallow every SUBSCRIBE from then on; `cut` drops every connection. */
async function startRelay(port: number): Promise<{ port: number; holdSubscribe(): Promise<void>; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let hold: (() => void) | null = null;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (d) => client.write(d));
    client.on('data', (d) => {
      if (hold !== null && /\$9\r\nsubscribe\r\n/i.test(d.toString('latin1'))) {
        hold();
        return;
      }
      upstream.write(d);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    holdSubscribe: () => new Promise<void>((resolve) => void (hold = resolve)),
    cut: () => {
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('Redis hub subscriptions', { skip: redisUnavailable() ?? undefined }, () => {
  let server: TestRedis;
  before(async () => {
    server = await startTestRedis();
  });
  after(async () => {
    await server?.stop();
  });

  it('stops cleanly while the subscriber is resubscribing after a reconnect (no unhandled rejection)', async () => {
    const relay = await startRelay(server.port);
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    const hub = createRedisHub({ ...server.config(), url: `redis://127.0.0.1:${relay.port}` });
    try {
      const channel = `${hub.ks}:test`;
      const got: string[] = [];
      hub.subscribe(channel, (m) => void got.push(m));
      assert.equal(await hub.connect(5000), true);
      await pollFor('a message arrives', 5000, async () => {
        await askRedis(server.port, ['PUBLISH', channel, 'one']);
        return got.includes('one');
      });

      const held = relay.holdSubscribe();
      relay.cut();
      await held; // the subscriber reconnected and sent SUBSCRIBE again; the relay keeps it unanswered
      await hub.close();
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(unhandled.map(String), [], 'the pending SUBSCRIBE failed without an unhandled rejection');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await hub.close();
      await relay.close();
    }
  });

  it('subscribes again after the connections drop', async () => {
    const relay = await startRelay(server.port);
    const hub = createRedisHub({ ...server.config(), url: `redis://127.0.0.1:${relay.port}` });
    try {
      const channel = `${hub.ks}:test`;
      const got: string[] = [];
      assert.equal(await hub.connect(5000), true);
      hub.subscribe(channel, (m) => void got.push(m));
      const publishUntilSeen = (m: string) => pollFor(`message ${m} arrives`, 5000, async () => {
        await askRedis(server.port, ['PUBLISH', channel, m]);
        return got.includes(m);
      });
      await publishUntilSeen('before');
      relay.cut();
      await pollFor('reconnected', 5000, async () => hub.up());
      await publishUntilSeen('after');
      assert.ok(hub.stats().reconnects >= 1);
    } finally {
      await hub.close();
      await relay.close();
    }
  });
});
