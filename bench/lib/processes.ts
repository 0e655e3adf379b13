/**
 * Benchmark plumbing: start a server process pinned to a core with taskset, wait until it listens,
 * read its CPU time from /proc, stop it by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';

export const HAS_TASKSET = existsSync('/usr/bin/taskset');

export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** The ready line's match (further capture groups, e.g. a second port). */
  readonly match: RegExpExecArray;
  stop(): Promise<void>;
}

/** Spawns `cmd args` (pinned to `core` when taskset exists) and waits for `listening PORT` or a regex. */
export function startProcess(cmd: string, args: string[], core: number | null, ready: RegExp = /listening (\d+)/, env: NodeJS.ProcessEnv = process.env): Promise<Started> {
  const argv = core !== null && HAS_TASKSET ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
  const child = spawn(argv[0] as string, argv[1] as string[], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not start: ${out}`));
    }, 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        child.stderr!.resume();
        resolve({
          child,
          pid: child.pid!,
          port: Number(m[1]),
          match: m,
          stop: () =>
            new Promise<void>((r) => {
              if (child.exitCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGTERM');
              setTimeout(() => child.kill('SIGKILL'), 5000).unref();
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited ${code}: ${out}`));
    });
  });
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat (Linux). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return ticks / 100; // CLK_TCK is 100 on Linux
}

/** Resident memory of a process in MiB, from /proc/PID/status. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

/**
 * Waits until a freshly started server is idle: its CPU use over the last half second is under 5% of a
 * core (start-up work done — Bulwark loads its geo data in a worker thread on the same pinned core, and
 * a measurement that starts before that ends charges it to the requests). Gives up after `maxMs`.
 */
export async function waitIdle(pid: number, maxMs = 15_000): Promise<void> {
  const until = Date.now() + maxMs;
  let last = cpuSeconds(pid);
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = cpuSeconds(pid);
    if (now - last < 0.025) return;
    last = now;
  }
}
