/**
 * Test support: a real `redis-server` on a free loopback port, without persistence
 * (`--save '' --appendonly no`), stopped by its process id. Tests that need one skip with a clear reason
 * where the binary is missing — except under CI (`CI=true`), where `.ci/run` installs it and a missing
 * server is a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { SharedStateConfig } from '../../config/scale-schema.ts';

export const REDIS_SERVER_PATH = process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server';

/** Why Redis tests cannot run here, or null when they can. Throws under CI instead of skipping. */
export function redisUnavailable(): string | null {
  if (existsSync(REDIS_SERVER_PATH)) return null;
  const why = `redis-server not found at ${REDIS_SERVER_PATH} (apt-get install redis-server)`;
  if (process.env.CI === 'true') throw new Error(why);
  return why;
}

/** A running server. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  readonly pid: number;
  /** A `shared_state` config on a fresh namespace of this server. */
  config(overrides?: Partial<SharedStateConfig>): SharedStateConfig;
  /** Kills the server (SIGKILL: as a crash would) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port (after `kill`). */
  restart(): Promise<void>;
  /** Stops it (SIGTERM) and waits. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released; the server binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Polls `port` until the server answers PING (or NOAUTH); throws when `child` exits or the deadline passes. */
export async function waitForPort(port: number, child: ChildProcess, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect({ host: '127.0.0.1', port }, () => {
        c.write('PING\r\n');
      });
      c.once('data', (d) => {
        c.destroy();
        resolve(/^(\+PONG|-NOAUTH)/.test(d.toString()));
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server did not answer on port ${port}`);
}

function spawnServer(port: number, extra: readonly string[]): ChildProcess {
  return spawn(REDIS_SERVER_PATH, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...extra], { stdio: 'ignore' });
}

/** Resolves once `child` has exited (at once when it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * A `shared_state` config for tests: `url`, a fresh random namespace (so tests sharing a server never see
 * each other's keys), short intervals and leases, then `overrides`.
 */
export function testSharedState(url: string, overrides: Partial<SharedStateConfig> = {}): SharedStateConfig {
  return {
    url,
    namespace: `t${randomBytes(5).toString('hex')}`,
    sentinel_master: 'mymaster',
    connect_timeout: 2000,
    command_timeout: 1000,
    limits_interval: 100,
    lease: 1500,
    exact_timeout: 100,
    max_bans_pending: 10_000,
    ...overrides,
  };
}

/** Starts a server on a free port (`extra`: more redis-server arguments). */
export async function startTestRedis(extra: readonly string[] = []): Promise<TestRedis> {
  const port = await freePort();
  let child = spawnServer(port, extra);
  await waitForPort(port, child, Date.now() + 10_000);
  const url = `redis://127.0.0.1:${port}`;
  return {
    port,
    url,
    get pid() {
      return child.pid ?? 0;
    },
    config: (overrides = {}) => testSharedState(url, overrides),
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async restart() {
      child = spawnServer(port, extra);
      await waitForPort(port, child, Date.now() + 10_000);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

/** Sends one command to the server on `port` over a fresh connection and returns the reply (tests' control channel). */
export async function askRedis(port: number, args: readonly (string | number)[], password?: string): Promise<unknown> {
  const c = new Redis({ host: '127.0.0.1', port, ...(password !== undefined ? { password } : {}), lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 2000, commandTimeout: 5000 });
  c.on('error', () => {});
  try {
    await c.connect();
    return await c.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    c.disconnect();
  }
}

/**
 * Polls `probe` every 50 ms until it returns a value other than undefined/false (errors count as "not
 * yet"); throws naming `what` when `ms` pass first, so no wait in a test is unbounded.
 */
export async function pollFor<T>(what: string, ms: number, probe: () => Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms${last !== undefined ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
