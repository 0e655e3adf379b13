/**
 * The primary's workers (`workers: N`): forked with node:cluster from the worker entry (src/worker.ts, or
 * dist/worker.js beside the bundle), each given the validated config, the shared secret and its number in
 * its environment. A worker that exits while the pool is not stopping is replaced at once — a crash loses
 * only the requests it had in flight — with a growing pause (up to 5 s) when replacements keep dying
 * within a few seconds of starting, so a config that crashes every worker does not fork in a tight loop.
 *
 * IPC from each worker is routed here: bus envelopes to the primary's bus, `ready` to the pool's state.
 */
import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.ts';
import { isBusEnvelope } from './ipc-bus.ts';
import { kindOf, WORKER_ENV, type PrimaryToWorker, type ReadyMessage } from './ipc-messages.ts';
import type { PrimaryBus } from './ipc-bus.ts';

/** One worker as the pool knows it. */
export interface PoolWorker {
  readonly index: number;
  worker: Worker;
  ready: boolean;
  ports: readonly number[];
  startedAtMs: number;
  restarts: number;
  /** Connections handed to it. */
  handed: number;
}

/** What `/stats` shows of the pool. */
export interface PoolStats {
  readonly size: number;
  readonly ready: number;
  readonly restarts: number;
  readonly workers: ReadonlyArray<{ index: number; pid: number | undefined; ready: boolean; restarts: number; handed: number; up_s: number }>;
}

/** The pool. */
export interface WorkerPool {
  /** Forks every worker and waits until all are ready (or `timeoutMs` passed: then rejects). */
  start(timeoutMs?: number): Promise<void>;
  /** The ready workers, in index order (for round-robin handover). */
  ready(): PoolWorker[];
  /**
   * Sends to one worker; false when its channel is closed (nothing sent). A busy channel queues the
   * message (node's `send` then returns false too, but delivers it): that is not a failure here.
   */
  send(w: PoolWorker, message: PrimaryToWorker, handle?: unknown): boolean;
  /** Sends to every worker. */
  broadcast(message: PrimaryToWorker): void;
  /** Orders every worker to drain and exit; kills those still alive after `deadlineMs`. */
  stop(deadlineMs: number): Promise<void>;
  stats(): PoolStats;
}

/** Options of {@link createWorkerPool}. */
export interface WorkerPoolOptions {
  readonly config: () => Config;
  readonly file?: string;
  readonly secret: string;
  readonly node: string;
  readonly bus: PrimaryBus;
  readonly logger: { info(o: object, m: string): void; warn(o: object, m: string): void; error(o: object, m: string): void };
}

/** The worker entry: the TypeScript source under tsx, dist/worker.js beside the bundle. */
export function workerEntry(): string {
  const url = import.meta.url.endsWith('.ts') ? new URL('../worker.ts', import.meta.url) : new URL('./worker.js', import.meta.url);
  return fileURLToPath(url);
}

/**
 * Node options a worker keeps (module loaders, memory); test-runner and inspector flags are left out. A
 * TypeScript entry gets tsx even when this process registered it programmatically (BULWARK_FROM_SOURCE).
 */
export function workerExecArgv(argv: readonly string[] = process.execArgv, entry = workerEntry()): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--import' || a === '--require' || a === '--loader' || a === '--experimental-loader') {
      if (argv[i + 1] !== undefined) out.push(a, argv[++i]!);
    } else if (/^--(import|require|loader|experimental-loader)=/.test(a) || /^--(max-old-space-size|max-semi-space-size|enable-source-maps|expose-gc|no-warnings)/.test(a)) out.push(a);
  }
  if (entry.endsWith('.ts') && !out.some((a) => a.includes('tsx'))) out.push('--import', 'tsx');
  return out;
}

/** Creates the pool (the scheduling policy must be set on `cluster` before this, see primary.ts). */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const { logger, bus } = options;
  const count = options.config().workers;
  const workers: PoolWorker[] = [];
  let stopping = false;
  let restarts = 0;
  cluster.setupPrimary({ exec: workerEntry(), execArgv: workerExecArgv(), silent: false });

  function fork(index: number, previous?: PoolWorker): PoolWorker {
    const env = {
      [WORKER_ENV.config]: JSON.stringify(options.config()),
      [WORKER_ENV.file]: options.file ?? '',
      [WORKER_ENV.index]: String(index),
      [WORKER_ENV.secret]: options.secret,
      [WORKER_ENV.node]: options.node,
      NODE_TEST_CONTEXT: '',
    };
    const worker = cluster.fork(env);
    const w: PoolWorker = previous ?? { index, worker, ready: false, ports: [], startedAtMs: Date.now(), restarts: 0, handed: 0 };
    Object.assign(w, { worker, ready: false, ports: [], startedAtMs: Date.now() });
    const id = `w${index}`;
    bus.addWorker(id, (e) => {
      if (worker.isConnected()) worker.send(e);
    });
    worker.on('message', (m: unknown) => {
      if (isBusEnvelope(m)) return bus.fromWorker(id, m);
      if (kindOf(m) === 'ready') {
        w.ready = true;
        w.ports = (m as ReadyMessage).ports;
      }
    });
    worker.on('error', () => {}); // IPC errors surface as an exit
    worker.on('exit', (code, signal) => {
      w.ready = false;
      bus.removeWorker(id);
      if (stopping) return;
      restarts++;
      w.restarts++;
      const quick = Date.now() - w.startedAtMs < 5000;
      const pause = quick ? Math.min(5000, 100 * 2 ** Math.min(w.restarts, 6)) : 0;
      logger.error({ code: 'BULWARK_ERR_WORKER_EXIT', worker: index, exit_code: code, signal, restart_in_ms: pause }, `worker ${index} exited; starting a replacement`);
      setTimeout(() => {
        if (!stopping) fork(index, w);
      }, pause).unref();
    });
    if (previous === undefined) workers.push(w);
    return w;
  }

  return {
    async start(timeoutMs = 60_000) {
      for (let i = 1; i <= count; i++) fork(i);
      const until = Date.now() + timeoutMs;
      while (workers.some((w) => !w.ready)) {
        if (Date.now() > until) throw new Error(`workers not ready after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      logger.info({ workers: count }, 'workers ready');
    },
    ready: () => workers.filter((w) => w.ready),
    send(w, message, handle) {
      if (!w.worker.isConnected()) return false;
      if (handle === undefined) w.worker.send(message);
      else w.worker.send(message, handle as never);
      return true;
    },
    broadcast(message) {
      for (const w of workers) if (w.worker.isConnected()) w.worker.send(message);
    },
    async stop(deadlineMs) {
      stopping = true;
      for (const w of workers) if (w.worker.isConnected()) w.worker.send({ bulwark: 'stop' });
      const until = Date.now() + deadlineMs;
      while (workers.some((w) => !w.worker.isDead()) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      for (const w of workers) if (!w.worker.isDead()) w.worker.process.kill('SIGKILL');
    },
    stats() {
      const now = Date.now();
      return {
        size: count,
        ready: workers.filter((w) => w.ready).length,
        restarts,
        workers: workers.map((w) => ({ index: w.index, pid: w.worker.process.pid, ready: w.ready, restarts: w.restarts, handed: w.handed, up_s: Math.round((now - w.startedAtMs) / 1000) })),
      };
    },
  };
}
