/**
 * The load tool for HTTP benchmarks: wrk when installed (C, cheap, accurate percentiles), else
 * autocannon (installed with the dev dependencies, so no benchmark needs a hand install;
 * BULWARK_BENCH_LOAD=autocannon picks it even when wrk is there). Both run pinned to a core, against
 * loopback only, for a fixed duration.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAS_TASKSET } from './processes.ts';
import { BROWSER_USER_AGENTS } from '../../src/drill/attackers/traffic-shapes.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

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

export const HAS_WRK = existsSync('/usr/bin/wrk') && process.env.BULWARK_BENCH_LOAD !== 'autocannon';

/**
 * A wrk script that makes every request differ from the one before — `?n=<counter>` on the path, an
 * `X-Bench-N` header, a `Cookie: visit=<counter>`, the next of ten real browsers' user agents (the
 * drill's `ua-rotation` pool, drill/attackers/traffic-shapes.ts), or the next of three whole client
 * stacks ({@link CLIENT_STACKS}) —
 * and writes the request line and headers itself, in one fixed order for every request of every run:
 * wrk.format iterates a Lua table, whose order changes from run to run, and a header order that changes
 * looks to the detector like a new client stack taking over the site (it would escalate on the
 * benchmark's own traffic).
 */
function varyScript(url: string, kind: VaryKind, headers: Record<string, string>): string {
  const u = new URL(url);
  const lua = (text: string): string => JSON.stringify(text); // ASCII header text: JSON's escapes are Lua's
  const fixed = [`Host: ${u.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].map((h) => `${h}\r\n`).join('');
  const path = `${u.pathname}${u.search}`;
  const target = kind === 'query' ? `${lua(path + (u.search === '' ? '?n=' : '&n='))} .. n` : lua(path);
  const extra =
    kind === 'header' ? `"X-Bench-N: " .. n .. "\\r\\n"`
    : kind === 'cookie' ? `"Cookie: visit=" .. n .. "\\r\\n"`
    : kind === 'agent' ? `"User-Agent: " .. agents[(n % ${BROWSER_USER_AGENTS.length}) + 1] .. "\\r\\n"`
    : kind === 'stack' ? `stacks[(n % ${CLIENT_STACKS.length}) + 1]`
    : '""';
  const stacks = CLIENT_STACKS.map((stack) => lua(stack.map(([k, v]) => `${k}: ${v}\r\n`).join('')));
  const script =
    `local n = 0\nlocal fixed = ${lua(fixed)}\nlocal agents = {${BROWSER_USER_AGENTS.map(lua).join(', ')}}\nlocal stacks = {${stacks.join(', ')}}\n` +
    `request = function()\n  n = n + 1\n  return "GET " .. ${target} .. " HTTP/1.1\\r\\n" .. fixed .. ${extra} .. "\\r\\n"\nend\n`;
  const file = join(mkdtempSync(join(tmpdir(), 'bulwark-bench-')), `vary-${kind}.lua`);
  writeFileSync(file, script);
  return file;
}

/**
 * Three client stacks a botnet may rotate through, each its own header names, order and user agent (a
 * browser's, a second browser's, an HTTP library's): no request repeats the one before it in a field
 * the decision reads, its user-agent class, or its header fingerprint.
 */
export const CLIENT_STACKS: ReadonlyArray<ReadonlyArray<readonly [string, string]>> = [
  [['User-Agent', BROWSER_USER_AGENTS[0]!], ['Accept', 'text/html,application/xhtml+xml'], ['Accept-Language', 'en-GB,en;q=0.9'], ['Sec-Fetch-Mode', 'navigate']],
  [['User-Agent', BROWSER_USER_AGENTS[3]!], ['Accept', 'text/html'], ['Accept-Encoding', 'gzip, deflate, br'], ['Accept-Language', 'de-DE,de;q=0.8']],
  [['User-Agent', 'python-requests/2.32.4'], ['Accept-Encoding', 'gzip, deflate'], ['Accept', '*/*']],
];

/** What changes from request to request (see LoadOptions.vary). */
export type VaryKind = 'query' | 'header' | 'cookie' | 'agent' | 'stack';

export interface LoadOptions {
  readonly seconds: number;
  readonly connections: number;
  readonly core: number | null;
  readonly headers?: Record<string, string>;
  /**
   * Every request differs from the one before: its own query string (`?n=1`, `?n=2`...), its own
   * `X-Bench-N` header value, its own cookie (`Cookie: visit=N`), the next user agent of a pool of ten
   * real browsers', as a botnet rotating user agents sends them, or the next of three whole client stacks
   * ({@link CLIENT_STACKS}: header names, order and user-agent class change)
   * (wrk's Lua script; autocannon's `-I` id replacement without wrk), the headers always in the same
   * order.
   */
  readonly vary?: VaryKind;
  /**
   * Requests per second over all connections (autocannon's overallRate, whatever tool is installed):
   * the same offered load for every server compared. A server's CPU per request depends on how busy
   * it is (at full speed, one wake-up and one system call serve several requests), so at full speed
   * the faster server also gets the cheaper requests; at one fixed rate below both servers' capacity,
   * the CPU per request compares the same work. Unset: as fast as the server answers.
   */
  readonly rate?: number;
}

/** Runs `connections` keep-alive connections for `seconds` against `url`, pinned to `core`. */
export function runLoad(url: string, options: LoadOptions): LoadResult {
  assertLoopback(url);
  const pin = options.core !== null && HAS_TASKSET ? ['taskset', '-c', String(options.core)] : [];
  if (HAS_WRK && options.rate === undefined) {
    const script = options.vary !== undefined ? ['-s', varyScript(url, options.vary, options.headers ?? {})] : [];
    const headerArgs = Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
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
  // The placeholder `[<id>]` is replaced with a fresh id in every request (the query string or one header).
  const headers = { ...options.headers, ...(options.vary === 'header' ? { 'X-Bench-N': '[<id>]' } : options.vary === 'cookie' ? { Cookie: 'visit=[<id>]' } : options.vary === 'agent' ? { 'User-Agent': BROWSER_USER_AGENTS[0]! } : {}) };
  const target = options.vary === 'query' ? `${url}${url.includes('?') ? '&' : '?'}n=[<id>]` : url;
  const rotate =
    options.vary === 'agent' ? { rotate: { header: 'User-Agent', values: BROWSER_USER_AGENTS } }
    : options.vary === 'stack' ? { stacks: CLIENT_STACKS.map((stack) => Object.fromEntries(stack)) }
    : {};
  const spec = {
    url: target, connections: options.connections, duration: options.seconds, headers, idReplacement: options.vary !== undefined && options.vary !== 'agent' && options.vary !== 'stack',
    ...rotate, ...(options.rate === undefined ? {} : { overallRate: options.rate }),
  };
  const argv = [...pin, process.execPath, join(ROOT, 'bench/servers/autocannon-run.mjs'), JSON.stringify(spec)];
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
