/**
 * A child process the drill starts and is sure to stop: measured from /proc (Linux) every second — CPU
 * seconds (utime + stime of `/proc/PID/stat`) and peak resident memory (`VmHWM` of `/proc/PID/status`,
 * the kernel's own high-water mark, so no sampling can miss a spike) — with its output read (so it never
 * blocks on a full pipe) and only the last 16 KiB kept. `stop()` sends SIGTERM, then SIGKILL after a
 * deadline, and a process `exit` hook kills any child still running when the drill dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** CPU and memory of a process, from /proc. */
export interface ProcUsage {
  /** User + system CPU seconds since the process started. */
  readonly cpuS: number;
  readonly rssMb: number;
  /** Peak resident set size (VmHWM) in MiB. */
  readonly peakRssMb: number;
}

const CLK_TCK = 100; // Linux USER_HZ; /proc/PID/stat times are in these ticks

/** Reads a process's CPU and memory from /proc; undefined when it is gone or exiting (or not on Linux). */
export function readProcUsage(pid: number): ProcUsage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuS = (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime, stime
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string): number | undefined => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
      return m ? Number(m[1]) : undefined;
    };
    const rss = kb('VmRSS');
    const hwm = kb('VmHWM');
    if (rss === undefined || hwm === undefined) return undefined; // exiting (zombie): no memory figures left
    return { cpuS, rssMb: rss / 1024, peakRssMb: hwm / 1024 };
  } catch {
    return undefined;
  }
}

/** A running child process with its measurements. */
export interface ManagedProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  alive(): boolean;
  /** The latest /proc reading (kept after exit: the last one taken while it ran). */
  usage(): ProcUsage | undefined;
  /** The last ~16 KiB of its stdout and stderr. */
  logTail(): string;
  /** SIGTERM, then SIGKILL after `stopTimeoutMs`; resolves with how it ended and its last usage. Idempotent. */
  stop(): Promise<StopResult>;
}

/** How a child ended. */
export interface StopResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** It exited by itself after SIGTERM (not killed after the deadline, not dead before the stop). */
  readonly graceful: boolean;
  /** It had already exited before stop() was called (a crash, for a server). */
  readonly diedEarly: boolean;
  readonly usage: ProcUsage | undefined;
}

/** Options of {@link spawnManaged}. */
export interface SpawnOptions {
  readonly cwd?: string;
  /** Deadline between SIGTERM and SIGKILL. Default 20 000 ms. */
  readonly stopTimeoutMs?: number;
  /** Called with each chunk of output (stdout and stderr). */
  readonly onOutput?: (text: string) => void;
}

const TAIL_BYTES = 16 * 1024;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Spawns `command` and keeps it measured (/proc every second, unref'd) and bounded: its output is read
 * (so it never blocks on a full pipe) and only the last 16 KiB are kept.
 */
export function spawnManaged(command: readonly string[], options: SpawnOptions = {}): ManagedProcess {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  const child = spawn(command[0]!, command.slice(1), { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let tail = '';
  const onData = (d: Buffer): void => {
    const text = d.toString('utf8');
    tail = (tail + text).slice(-TAIL_BYTES);
    options.onOutput?.(text);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  let last: ProcUsage | undefined;
  const sample = (): void => {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) last = readProcUsage(child.pid) ?? last;
  };
  const sampler = setInterval(sample, 1000).unref();
  let exited: Promise<void> = new Promise((resolve) => child.once('exit', () => resolve()));
  exited = exited.then(() => {
    clearInterval(sampler);
    live.delete(child);
  });
  child.once('error', () => undefined); // spawn failures surface as an exit with code null
  let stopping: Promise<StopResult> | undefined;
  return {
    pid: child.pid ?? -1,
    child,
    alive: () => child.exitCode === null && child.signalCode === null,
    usage() {
      sample();
      return last;
    },
    logTail: () => tail,
    stop() {
      stopping ??= (async () => {
        const diedEarly = child.exitCode !== null || child.signalCode !== null;
        sample();
        let killed = false;
        if (!diedEarly) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => {
            killed = true;
            child.kill('SIGKILL');
          }, options.stopTimeoutMs ?? 20_000);
          await exited;
          clearTimeout(timer);
        }
        await exited;
        return { exitCode: child.exitCode, signal: child.signalCode, graceful: !diedEarly && !killed, diedEarly, usage: last };
      })();
      return stopping;
    },
  };
}
