/**
 * Test support: a Redis Cluster of three masters on real servers — `redis-server --cluster-enabled yes`
 * processes this file starts on free loopback ports (the cluster bus on another free port, so no port
 * above 55535 needs its +10000 twin), joined and given the 16384 slots by
 * `redis-cli --cluster create … --cluster-replicas 0 --cluster-yes`, stopped by process id. Skipped with
 * the reason where `redis-cli` is missing (a failure under CI, as for redis-server).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { SharedStateConfig } from '../../config/scale-schema.ts';
import { askRedis, exited, freePort, pollFor, REDIS_SERVER_PATH, redisUnavailable, testSharedState, waitForPort } from './test-redis.ts';

export const REDIS_CLI_PATH = process.env.REDIS_CLI_PATH ?? '/usr/bin/redis-cli';

/** Why a cluster cannot be started here, or null. Throws under CI instead of skipping. */
export function redisClusterUnavailable(): string | null {
  const server = redisUnavailable();
  if (server !== null) return server;
  if (existsSync(REDIS_CLI_PATH)) return null;
  const why = `redis-cli not found at ${REDIS_CLI_PATH} (apt-get install redis-tools)`;
  if (process.env.CI === 'true') throw new Error(why);
  return why;
}

/** A key found on a master. */
export interface PlacedKey {
  readonly key: string;
  /** Port of the master that holds it. */
  readonly port: number;
}

/** The running cluster. */
export interface TestRedisCluster {
  /** The masters' ports. */
  readonly ports: readonly number[];
  /** A `shared_state` config with every master as a seed (the URL's host:port is not used: nothing listens there). */
  config(overrides?: Partial<SharedStateConfig>): SharedStateConfig;
  /** The slot of `key` (`CLUSTER KEYSLOT`) and the port of the master that serves it (`CLUSTER SLOTS`). */
  slotOf(key: string): Promise<{ slot: number; port: number }>;
  /** Every key matching `pattern` on every master (`SCAN` on each). */
  keys(pattern: string): Promise<PlacedKey[]>;
  /** Sends a command to the master on `port`. */
  ask(port: number, args: readonly (string | number)[]): Promise<unknown>;
  /** Stops the servers and deletes the temp dir. */
  stop(): Promise<void>;
}

/** `CLUSTER SLOTS` of one node: [start, end, port of the master]. */
async function slotRanges(port: number): Promise<Array<[number, number, number]>> {
  const slots = (await askRedis(port, ['CLUSTER', 'SLOTS'])) as Array<[number, number, [string, number]]>;
  return slots.map(([start, end, master]) => [Number(start), Number(end), Number(master[1])]);
}

/** Starts three masters, creates the cluster and waits (bounded) until every node sees all slots served. */
export async function startRedisCluster(): Promise<TestRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async (): Promise<void> => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await exited(c);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const [port, bus] = [await freePort(), await freePort()];
      const child = spawn(REDIS_SERVER_PATH, [
        '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', join(dir, `${port}.log`), '--save', '', '--appendonly', 'no',
        '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-port', String(bus), '--cluster-node-timeout', '2000',
      ], { stdio: 'ignore' });
      children.push(child);
      await waitForPort(port, child, Date.now() + 10_000);
      ports.push(port);
    }
    await promisify(execFile)(REDIS_CLI_PATH, ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    for (const port of ports) {
      await pollFor(`cluster node ${port} ready`, 15_000, async () => {
        const info = String(await askRedis(port, ['CLUSTER', 'INFO']));
        return /cluster_state:ok/.test(info) && (await slotRanges(port)).length === 3;
      });
    }
    const ranges = await slotRanges(ports[0]!);
    return {
      ports,
      config: (overrides = {}) => testSharedState('redis://127.0.0.1:1', { cluster: ports.map((p) => `127.0.0.1:${p}`), ...overrides }),
      async slotOf(key) {
        const slot = Number(await askRedis(ports[0]!, ['CLUSTER', 'KEYSLOT', key]));
        const range = ranges.find(([s, e]) => slot >= s && slot <= e)!;
        return { slot, port: range[2] };
      },
      async keys(pattern) {
        const out: PlacedKey[] = [];
        for (const port of ports) {
          let cursor = '0';
          do {
            const [next, batch] = (await askRedis(port, ['SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000])) as [string, string[]];
            cursor = next;
            for (const key of batch) out.push({ key, port });
          } while (cursor !== '0');
        }
        return out;
      },
      ask: (port, args) => askRedis(port, args),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
