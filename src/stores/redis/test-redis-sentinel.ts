/**
 * Test support: a Redis Sentinel group on real servers — a master, one replica and one sentinel, each a
 * `redis-server` process this file starts on free loopback ports with its own temp dir, and stops by
 * process id. Master and replica ask for a password (the sentinel does not: the usual split, and the one
 * that shows Bulwark's AUTH to a sentinel without a password is harmless). The sentinel declares the
 * master down after `downAfterMs` without an answer and fails over at once (quorum 1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SharedStateConfig } from '../../config/scale-schema.ts';
import { askRedis, exited, freePort, pollFor, REDIS_SERVER_PATH, testSharedState, waitForPort } from './test-redis.ts';

/** One server of the group. */
export interface GroupServer {
  readonly port: number;
  readonly pid: number;
}

/** The running group. */
export interface TestSentinelGroup {
  readonly masterName: string;
  readonly password: string;
  /** The master at start (the replica's master). */
  readonly master: GroupServer;
  readonly replica: GroupServer;
  readonly sentinelPort: number;
  /**
   * A `shared_state` config that reaches the group through the sentinel only: the URL carries the
   * password, and a host:port where nothing listens (so a client that ignored the sentinel would fail).
   */
  config(overrides?: Partial<SharedStateConfig>): SharedStateConfig;
  /** The master's port as the sentinel tells it now. */
  masterPort(): Promise<number>;
  /** Waits (at most `ms`) until the replica holds every write the master took (`WAIT 1`). */
  syncReplica(ms: number): Promise<void>;
  /**
   * Cuts the replica off (SIGSTOP by its process id, then the master drops its replication link, so no
   * write the master takes from now on is even buffered for it): a lagging replica. `resumeReplica` lets
   * it run again (SIGCONT).
   */
  pauseReplica(): Promise<void>;
  resumeReplica(): void;
  /** Kills the master (SIGKILL, as a crashed machine) by its process id and waits for it to exit. */
  killMaster(): Promise<void>;
  /** Waits (at most `ms`) until the sentinel names the replica as master and the replica says so. */
  waitForFailover(ms: number): Promise<void>;
  /** Names of the clients connected to the server on `port` (`CLIENT LIST`). */
  clientNames(port: number): Promise<string[]>;
  /** The last lines of the sentinel's log (for failure messages). */
  sentinelLog(): string;
  /** Stops every process still running and deletes the temp dir. */
  stop(): Promise<void>;
}

/** Options of {@link startSentinelGroup}. */
export interface SentinelGroupOptions {
  /** Silence after which the sentinel declares the master down. Default 1000 ms. */
  readonly downAfterMs?: number;
  /** The sentinel's failover timeout. Default 3000 ms. */
  readonly failoverTimeoutMs?: number;
}

function startProcess(args: readonly string[]): ChildProcess {
  return spawn(REDIS_SERVER_PATH, args, { stdio: 'ignore' });
}

function dataArgs(port: number, dir: string, name: string, password: string): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', join(dir, `${name}.log`), '--save', '', '--appendonly', 'no',
    '--requirepass', password, '--masterauth', password, '--repl-diskless-sync-delay', '0'];
}

/** Starts the group: master, then the replica (waits until it is in sync), then the sentinel. */
export async function startSentinelGroup(options: SentinelGroupOptions = {}): Promise<TestSentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-sentinel-'));
  const password = `pw${process.pid}`;
  const masterName = 'bulwarkmaster';
  const children: ChildProcess[] = [];
  const run = async (args: readonly string[], port: number): Promise<GroupServer> => {
    const child = startProcess(args);
    children.push(child);
    await waitForPort(port, child, Date.now() + 10_000);
    return { port, pid: child.pid ?? 0 };
  };
  const stop = async (): Promise<void> => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGCONT');
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await exited(c);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const [mp, rp, sp] = [await freePort(), await freePort(), await freePort()];
    const master = await run(dataArgs(mp, dir, 'master', password), mp);
    const replica = await run([...dataArgs(rp, dir, 'replica', password), '--replicaof', '127.0.0.1', String(mp)], rp);
    await pollFor('replica in sync with the master', 10_000, async () => /master_link_status:up/.test(String(await askRedis(rp, ['INFO', 'replication'], password))));
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, [
      `port ${sp}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `logfile ${join(dir, 'sentinel.log')}`,
      `sentinel monitor ${masterName} 127.0.0.1 ${mp} 1`,
      `sentinel auth-pass ${masterName} ${password}`,
      `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1000}`,
      `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 3000}`,
      `sentinel parallel-syncs ${masterName} 1`,
      '',
    ].join('\n'));
    await run([conf, '--sentinel'], sp);
    const sentinel = (args: readonly (string | number)[]) => askRedis(sp, ['SENTINEL', ...args]);
    // The sentinel learns of the replica from the master's INFO: wait until it could promote it.
    await pollFor('the sentinel knows the replica', 10_000, async () => {
      const list = (await sentinel(['REPLICAS', masterName])) as string[][];
      return list.some((r) => r.includes(String(rp)) && r[r.indexOf('flags') + 1] === 'slave');
    });
    const masterPort = async (): Promise<number> => Number(((await sentinel(['GET-MASTER-ADDR-BY-NAME', masterName])) as string[])[1]);
    return {
      masterName,
      password,
      master,
      replica,
      sentinelPort: sp,
      config: (overrides = {}) => testSharedState(`redis://:${password}@127.0.0.1:1`, { sentinels: [`127.0.0.1:${sp}`], sentinel_master: masterName, ...overrides }),
      masterPort,
      async syncReplica(ms) {
        await pollFor('the replica acknowledged every write', ms, async () => Number(await askRedis(master.port, ['WAIT', 1, 500], password)) >= 1);
      },
      async pauseReplica() {
        process.kill(replica.pid, 'SIGSTOP');
        await askRedis(master.port, ['CLIENT', 'KILL', 'TYPE', 'replica'], password);
      },
      resumeReplica: () => void process.kill(replica.pid, 'SIGCONT'),
      async killMaster() {
        const child = children.find((c) => c.pid === master.pid)!;
        child.kill('SIGKILL');
        await exited(child);
      },
      async waitForFailover(ms) {
        await pollFor('the sentinel promoted the replica', ms, async () => (await masterPort()) === rp);
        await pollFor('the replica serves as master', ms, async () => /role:master/.test(String(await askRedis(rp, ['INFO', 'replication'], password))));
      },
      async clientNames(port) {
        const list = String(await askRedis(port, ['CLIENT', 'LIST'], password));
        return [...list.matchAll(/ name=(\S*)/g)].map((m) => m[1]!).filter((n) => n !== '');
      },
      sentinelLog() {
        try {
          return readFileSync(join(dir, 'sentinel.log'), 'utf8').split('\n').slice(-30).join('\n');
        } catch {
          return '(no sentinel log)';
        }
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
