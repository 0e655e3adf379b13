/**
 * The real `bulwark` binary as a child process, for tests of what only the process shows: exit codes,
 * messages on stderr, signals (SIGHUP reloads), and a process that must keep answering while it does.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/bulwark.js', import.meta.url));

/** Runs the binary to completion (30 s at most). */
export function cli(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 30_000 });
}

export interface RunningCli {
  readonly child: ChildProcess;
  /** The first http listener's URL. */
  readonly url: string;
  /** Every line written so far (stdout JSON logs and stderr). */
  lines(): string[];
}

/** Starts the binary; resolves once it logged 'bulwark started', rejects if it exits first. */
export function startCli(args: string[]): Promise<RunningCli> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  let pending = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start: ${out.join('\n')}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      const parts = pending.split('\n');
      pending = parts.pop()!;
      for (const line of parts) {
        out.push(line);
        if (line.includes('"bulwark started"')) {
          clearTimeout(timer);
          resolve({ child, url: JSON.parse(line).listeners[0], lines: () => out });
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${out.join('\n')}`));
    });
  });
}

/** Waits until `pred` holds (polling every 50 ms), or throws after `ms`. */
export async function waitFor(pred: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}
