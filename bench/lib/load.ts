/**
 * The load tool for HTTP benchmarks: wrk when installed (C, cheap, accurate percentiles), else
 * autocannon. Both run pinned to a core, against loopback only, for a fixed duration.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { HAS_TASKSET } from './processes.ts';

export interface LoadResult {
  readonly tool: string;
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (!/^127\.\d+\.\d+\.\d+$/.test(host) && host !== '[::1]' && host !== 'localhost') throw new Error(`benchmarks only target loopback, not ${host}`);
}

function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

export const HAS_WRK = existsSync('/usr/bin/wrk');

// wrk.format(method, path, headers) sends `headers` *instead of* the -H headers, so the header variant
// copies them (once, in a fixed order for the whole run) into every request's table.
const VARY_SCRIPTS = {
  query: 'local n = 0\nrequest = function()\n  n = n + 1\n  return wrk.format(nil, wrk.path .. "?n=" .. n)\nend\n',
  header:
    'local n = 0\nlocal base = {}\nfor k, v in pairs(wrk.headers) do base[#base + 1] = { k, v } end\n' +
    'request = function()\n  n = n + 1\n  local h = {}\n  for i = 1, #base do h[base[i][1]] = base[i][2] end\n' +
    '  h["X-Bench-N"] = tostring(n)\n  return wrk.format(nil, wrk.path, h)\nend\n',
} as const;
const varyScripts = new Map<string, string>();
/** A wrk script that makes every request differ: `?n=<counter>` on the path, or an `X-Bench-N` header. */
function varyScript(kind: keyof typeof VARY_SCRIPTS): string {
  let file = varyScripts.get(kind);
  if (file === undefined) {
    file = join(mkdtempSync(join(tmpdir(), 'bulwark-bench-')), `vary-${kind}.lua`);
    writeFileSync(file, VARY_SCRIPTS[kind]);
    varyScripts.set(kind, file);
  }
  return file;
}

export interface LoadOptions {
  readonly seconds: number;
  readonly connections: number;
  readonly core: number | null;
  readonly headers?: Record<string, string>;
  /**
   * Every request differs from the one before: its own query string (`?n=1`, `?n=2`...) or its own
   * `X-Bench-N` header value. Needs wrk (its Lua scripting).
   */
  readonly vary?: 'query' | 'header';
}

/** Runs `connections` keep-alive connections for `seconds` against `url`, pinned to `core`. */
export function runLoad(url: string, options: LoadOptions): LoadResult {
  assertLoopback(url);
  const pin = options.core !== null && HAS_TASKSET ? ['taskset', '-c', String(options.core)] : [];
  const headerArgs = Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  if (options.vary !== undefined && !HAS_WRK) throw new Error('varying requests needs wrk');
  if (HAS_WRK) {
    const script = options.vary !== undefined ? ['-s', varyScript(options.vary)] : [];
    const argv = [...pin, 'wrk', '-t1', `-c${options.connections}`, `-d${options.seconds}s`, '--latency', ...script, ...headerArgs, url];
    const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: (options.seconds + 30) * 1000 });
    const out = r.stdout;
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
    const p50 = toMs(/50%\s+(\S+)/.exec(out)?.[1] ?? '');
    const p99 = toMs(/99%\s+(\S+)/.exec(out)?.[1] ?? '');
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    const errors = (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1) ?? []).reduce((a, b) => a + Number(b), 0);
    return { tool: 'wrk', requests, rps, p50Ms: p50, p99Ms: p99, non2xx, errors };
  }
  const require = createRequire(import.meta.url);
  const bin = require.resolve('autocannon/autocannon.js');
  const argv = [...pin, process.execPath, bin, '-j', '-c', String(options.connections), '-d', String(options.seconds), ...headerArgs, url];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: (options.seconds + 30) * 1000 });
  const j = JSON.parse(r.stdout);
  return {
    tool: 'autocannon',
    requests: j.requests.total,
    rps: j.requests.average,
    p50Ms: j.latency.p50,
    p99Ms: j.latency.p99,
    non2xx: j.non2xx,
    errors: j.errors + j.timeouts,
  };
}
