/**
 * Starts and stops a protecting server (Bulwark itself, or a reference such as nginx) as a CHILD PROCESS
 * for the drill; managed-process.ts measures it from /proc (CPU seconds, peak resident memory) and makes
 * sure it is never left behind.
 *
 * Bulwark is run as `node <root>/dist/cli.js start -c <generated yaml>` (the production bundle; built by
 * `node scripts/build.mjs`), falling back to `bin/bulwark.js` (which runs the sources through tsx) when
 * there is no bundle. The listener and admin addresses are read from its `bulwark started` log line,
 * then `GET /readyz` must answer 200.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Scenario } from './scenarios/context.ts';
import { spawnManaged, type ManagedProcess, type ProcUsage, type StopResult } from './managed-process.ts';

/** Stable codes of {@link BulwarkProcessError}. */
export type BulwarkProcessErrorCode = 'BULWARK_ERR_DRILL_PROCESS_START' | 'BULWARK_ERR_DRILL_PROCESS_NOT_FOUND';

/** A child process could not be started (or did not become ready); `logTail` holds its last output. */
export class BulwarkProcessError extends Error {
  readonly code: BulwarkProcessErrorCode;
  readonly logTail: string;
  constructor(code: BulwarkProcessErrorCode, message: string, logTail = '') {
    super(`${code}: ${message}${logTail ? `\n--- last output ---\n${logTail}` : ''}`);
    this.name = 'BulwarkProcessError';
    this.code = code;
    this.logTail = logTail;
  }
}

/** The repository root: the nearest directory above this file whose package.json is named `bulwark`. */
export function bulwarkRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && /"name":\s*"bulwark"/.test(readFileSync(pkg, 'utf8'))) return dir;
    dir = dirname(dir);
  }
  throw new BulwarkProcessError('BULWARK_ERR_DRILL_PROCESS_NOT_FOUND', 'cannot find the bulwark package root above ' + fileURLToPath(import.meta.url));
}

/** The command running Bulwark: node + dist/cli.js when built, else node + bin/bulwark.js (tsx). */
export function bulwarkCommand(): string[] {
  const root = bulwarkRoot();
  const bundle = join(root, 'dist', 'cli.js');
  return [process.execPath, existsSync(bundle) ? bundle : join(root, 'bin', 'bulwark.js')];
}

export { readProcUsage, spawnManaged, type ManagedProcess, type ProcUsage, type SpawnOptions, type StopResult } from './managed-process.ts';

/** Options of {@link startBulwarkChild}. */
export interface BulwarkChildOptions {
  /** The config as data (what bulwark.yaml would hold); written to a temp file as YAML. */
  readonly config: Record<string, unknown>;
  /** Command prefix; `start -c FILE` is appended. Default {@link bulwarkCommand}. */
  readonly command?: readonly string[];
  /** Deadline for the start line and /readyz. Default 30 000 ms. */
  readonly startTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL. Default 20 000 ms. */
  readonly stopTimeoutMs?: number;
  /** Directory for the YAML (and whatever the config puts there); default a fresh temp dir, removed on stop. */
  readonly dir?: string;
}

/** A running Bulwark child. */
export interface BulwarkChild extends ManagedProcess {
  /** `http://127.0.0.1:PORT` of its first http listener. */
  readonly url: string;
  /** `https://127.0.0.1:PORT` of its first https listener, when it has one. */
  readonly httpsUrl?: string;
  /** `http://127.0.0.1:PORT` of its admin listener. */
  readonly adminUrl: string;
  readonly configFile: string;
  /** Usage when it became ready (start-up cost, e.g. geo data). */
  readonly readyUsage: ProcUsage | undefined;
  /** When `GET /readyz` first answered 200 (ms since the epoch). */
  readonly readyAtMs: number;
}

/**
 * Writes the config to `<dir>/bulwark.yaml`, starts Bulwark on it, and resolves once its start line
 * named the listeners and `GET <admin>/readyz` answered 200. The config must give an http listener and an
 * admin listener (port 0 is fine: the real ports are read from the log). Rejects with
 * `BULWARK_ERR_DRILL_PROCESS_START` (and stops the child) when it exits or is not ready in time.
 */
export async function startBulwarkChild(options: BulwarkChildOptions): Promise<BulwarkChild> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'bulwark-drill-'));
  const configFile = join(dir, 'bulwark.yaml');
  writeFileSync(configFile, stringify(options.config));
  const log = createLogWatch();
  const proc = spawnManaged([...(options.command ?? bulwarkCommand()), 'start', '-c', configFile], {
    cwd: bulwarkRoot(),
    stopTimeoutMs: options.stopTimeoutMs,
    onOutput: log.feed,
  });
  const cleanup = async (): Promise<StopResult> => {
    const r = await proc.stop();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    return r;
  };
  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    const startedLine = await log.waitFor(/^[^\n]*"bulwark started"[^\n]*\n/m, deadline, proc);
    const started = startLine(startedLine);
    if (started === undefined) throw startError('its start line names no http listener or admin listener', proc);
    await waitReady(`${started.admin}/readyz`, deadline, proc);
    const readyAtMs = Date.now();
    if (geoEnabled(options.config)) await log.waitFor(GEO_SETTLED, Math.min(deadline, Date.now() + GEO_WAIT_MS), proc).catch(() => undefined);
    return { ...proc, url: started.url, httpsUrl: started.https, adminUrl: started.admin, configFile, readyUsage: proc.usage(), readyAtMs, stop: cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Geo data (ASN, country) loads in the background after start and costs about a second of CPU; the drill
 * waits for its log line (at most {@link GEO_WAIT_MS}) so that start-up work is not measured as attack load.
 */
const GEO_SETTLED = /"geo data (loaded|could not be loaded)[^\n]*\n/;
/** Longest wait for the geo data line after /readyz (then the drill starts anyway). */
export const GEO_WAIT_MS = 10_000;

function geoEnabled(config: Readonly<Record<string, unknown>>): boolean {
  const identify = config.identify as { geo?: { enabled?: unknown } } | undefined;
  return identify?.geo?.enabled !== false;
}

/** Keeps the last 64 KiB of output and lets callers wait for a pattern in it. */
function createLogWatch(): { feed(text: string): void; waitFor(re: RegExp, deadline: number, proc: ManagedProcess): Promise<string> } {
  let out = '';
  const waiters = new Set<() => void>();
  return {
    feed(text) {
      out = (out + text).slice(-64 * 1024);
      for (const w of waiters) w();
    },
    waitFor(re, deadline, proc) {
      return new Promise<string>((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out);
          if (m) finish(() => resolve(m[0]));
        };
        const onExit = (code: number | null, signal: string | null): void => finish(() => reject(startError(`exited (code ${code}, signal ${signal}) before it was ready`, proc)));
        const timer = setTimeout(() => finish(() => reject(startError(`no log line matching ${re} in time`, proc))), Math.max(0, deadline - Date.now()));
        const finish = (then: () => void): void => {
          waiters.delete(check);
          clearTimeout(timer);
          proc.child.off('exit', onExit);
          then();
        };
        waiters.add(check);
        proc.child.once('exit', onExit);
        check();
        if (!proc.alive()) onExit(proc.child.exitCode, proc.child.signalCode);
      });
    },
  };
}

/** Finds the `bulwark started` JSON log line and returns its first http (and https) listener and its admin URL. */
export function startLine(text: string): { url: string; https?: string; admin: string } | undefined {
  for (const line of text.split('\n')) {
    if (!line.includes('"bulwark started"')) continue;
    try {
      const entry = JSON.parse(line) as { listeners?: string[]; admin?: string | null };
      const url = entry.listeners?.find((l) => l.startsWith('http://'));
      const https = entry.listeners?.find((l) => l.startsWith('https://'));
      if (url !== undefined && typeof entry.admin === 'string') return { url, ...(https === undefined ? {} : { https }), admin: `http://${entry.admin}` };
    } catch {
      // a partial line: wait for more output
    }
  }
  return undefined;
}

async function waitReady(url: string, deadline: number, proc: ManagedProcess): Promise<void> {
  while (Date.now() < deadline) {
    if (!proc.alive()) throw startError('exited while waiting for /readyz', proc);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw startError(`${url} did not answer 200 in time`, proc);
}

function startError(why: string, proc: ManagedProcess): BulwarkProcessError {
  return new BulwarkProcessError('BULWARK_ERR_DRILL_PROCESS_START', `Bulwark child process ${proc.pid}: ${why}`, proc.logTail().slice(-4000));
}

/** What stands in front of the origin during a drill: Bulwark, or a reference (nginx) for comparison. */
export interface Protector {
  /** `bulwark`, `nginx`… */
  readonly name: string;
  /** Base URL the attack and the visitors go to. */
  readonly url: string;
  /** Base URL of its https listener, when the scenario asked for one. */
  readonly httpsUrl?: string;
  /** Bulwark's admin base URL (absent for references without one). */
  readonly adminUrl?: string;
  /** The site name to read in /stats. */
  readonly site?: string;
  readonly pid: number | null;
  /** Usage when it became ready (start-up cost). */
  readonly readyUsage?: ProcUsage;
  usage(): ProcUsage | undefined;
  alive(): boolean;
  /** Stops it (idempotent) and says how it ended. */
  stop(): Promise<StopResult>;
  /**
   * Kills it with SIGKILL and starts it again on the same config, state and addresses (`--restart`);
   * resolves once the new process is ready. Absent when the protector cannot be restarted.
   */
  restart?(): Promise<RestartEvent>;
}

/** One SIGKILL and restart of the protector. */
export interface RestartEvent {
  /** When SIGKILL was sent, and when the new process answered `/readyz` (ms since the epoch). */
  readonly killedAtMs: number;
  readonly readyAtMs: number;
  readonly pidBefore: number;
  readonly pidAfter: number;
}

/** Starts a protector in front of an origin URL, for one scenario. */
export interface ProtectorFactory {
  readonly name: string;
  start(args: { readonly originUrl: string; readonly scenario: Scenario; readonly warmupS?: number }): Promise<Protector>;
}
