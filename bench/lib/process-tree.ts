/**
 * CPU of a process and its descendants (a primary and its workers), from /proc (Linux): every
 * `/proc/<pid>/stat` is read once per call to find the children (field 4, the parent pid).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpuSeconds } from './processes.ts';

/** The pids of `root` and every process below it. */
export function processTree(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(name), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  return out;
}

/** CPU seconds used so far by each of `pids` (0 for one that exited). */
export function cpuOf(pids: readonly number[]): number[] {
  return pids.map((p) => {
    try {
      return cpuSeconds(p);
    } catch {
      return 0;
    }
  });
}
