/**
 * `bulwark drill SCENARIO`: attacks a Bulwark on loopback with one scenario of THREATS.md while
 * simulated real visitors use the site, and prints what reached the origin and what the visitors got.
 * By default the drill starts everything itself (an origin fixture, Bulwark on `-c` or the demo config)
 * and tears it down; `--target` attacks an already running deployment — loopback only. The lead wires it
 * into src/cli.ts with `addDrillCommand(program, fail)`.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { BulwarkError } from '../core/errors.ts';
import { DrillError } from '../drill/errors.ts';
import { runDrill, type DrillOptions } from '../drill/run.ts';
import { formatReport, reportJson } from '../drill/report.ts';
import { listScenarios } from '../drill/scenarios/index.ts';

import { positiveDurationArg } from './cli-units.ts';
import type { Fail } from './state-commands.ts';

/** Options as commander hands them over. */
interface DrillCliOptions {
  config?: string;
  site?: string;
  /** Attack duration in seconds (the flag takes `30s`, `2m` or a bare number of seconds). */
  duration?: number;
  rate?: number;
  sources?: number;
  capacity?: number;
  visitors?: number;
  onsetVisitors?: number;
  sharedVisitors?: number;
  uncacheable?: boolean;
  /** Origin fixture's page latency in milliseconds (the flag takes `100ms`, `1s` or a bare number of ms). */
  pageLatency?: number;
  maxRequests?: number;
  seed?: number;
  target?: string;
  admin?: string;
  json?: boolean;
  list?: boolean;
  /** true: restart half way; a number: seconds into the attack. */
  restart?: boolean | number;
}

const HELP_AFTER = `
The drill is a test instrument for YOUR OWN deployment. It only ever targets loopback (127.0.0.0/8, ::1,
localhost): any other --target or --admin is refused before a byte is sent. Attack traffic comes from
127.1.0.0 onwards, simulated visitors from 127.250.0.0 onwards. Every scenario is bounded in duration and
request count and stops by itself.

Without --target the drill starts an origin fixture (capacity --capacity), Bulwark in front of it (on the
first site of -c, else the demo config, with a temporary state directory), the visitors and the attack,
then stops everything and prints the figures. With --target it attacks a running deployment; give
--admin so the origin's figures can be read from its /stats.

Time to mitigate: first second after which >= 90% of attack requests per second no longer reach the origin.
Onset: of the visitors' requests first sent in the attack's first 5 s, the share served within 10 s (browsers
stay on a page that retries itself, as a person would; challenges are solved on the way).
Solves: the simulated browsers solve their proofs of work on this machine's cores (a few worker threads),
where real visitors each use their own device; the time they waited for a core is reported apart
(visitors.solver, the SOLVES line), so a slow onset on a busy machine can be told apart from Bulwark.
With --restart, the report adds the seconds of protection the SIGKILL and restart lost (goal 0) and
Bulwark's baseline before and after the attack (also printed without it).

Examples:
  bulwark drill --list
  bulwark drill get-flood-few --duration 20s --rate 2000 --sources 10
  bulwark drill get-flood-many --uncacheable --page-latency 100
  bulwark drill slowloris -c bulwark.yaml --json
  bulwark drill cache-busting --target http://127.0.0.1:8080 --admin http://127.0.0.1:9901
  bulwark drill get-flood-many --restart
  bulwark drill slow-ramp --duration 2m`;

/** A commander argument parser accepting positive numbers (integers when `integer`); usage error otherwise. */
function positive(integer: boolean): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`);
    }
    return n;
  };
}

/** A commander argument parser for a positive duration flag counted in seconds (`30s`, `2m`, or `30`). */
function seconds(text: string): number {
  return positiveDurationArg('s')(text) / 1000;
}

/** A commander argument parser accepting integers ≥ 0; usage error otherwise. */
function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected an integer ≥ 0, got ${JSON.stringify(value)}`);
  return n;
}

/** Splits a visitor count: 60% browsers, 20% clients without JavaScript, the rest API clients. */
export function splitVisitors(n: number): { browsers: number; nojs: number; api: number } {
  const browsers = Math.max(1, Math.round(n * 0.6));
  const nojs = Math.min(n - browsers, Math.round(n * 0.2));
  return { browsers, nojs: Math.max(0, nojs), api: Math.max(0, n - browsers - Math.max(0, nojs)) };
}

/** Turns command-line options into {@link DrillOptions}. */
export function drillOptionsFrom(scenario: string, o: DrillCliOptions, signal?: AbortSignal, log?: (line: string) => void): DrillOptions {
  return {
    scenario,
    config: o.config,
    site: o.site,
    durationS: o.duration,
    rate: o.rate,
    sources: o.sources,
    capacity: o.capacity,
    maxRequests: o.maxRequests,
    seed: o.seed,
    target: o.target,
    admin: o.admin,
    json: o.json,
    ...(o.restart !== undefined ? { restart: o.restart } : {}),
    visitors: o.visitors === undefined && o.onsetVisitors === undefined && o.sharedVisitors === undefined ? undefined : { ...(o.visitors === undefined ? {} : splitVisitors(o.visitors)), onset: o.onsetVisitors, shared: o.sharedVisitors },
    originPages: o.uncacheable ? 'no-store' : undefined,
    pageLatencyMs: o.pageLatency,
    signal,
    log,
  };
}

const USAGE_CODES = new Set(['BULWARK_ERR_DRILL_TARGET_NOT_LOOPBACK', 'BULWARK_ERR_DRILL_TARGET_INVALID', 'BULWARK_ERR_DRILL_BOUNDS', 'BULWARK_ERR_DRILL_UNKNOWN_CASE']);

/** Drill errors as Bulwark errors: refused targets, bounds and names are usage errors (exit 2). */
export function asCliError(err: unknown): unknown {
  if (err instanceof DrillError) return new BulwarkError(err.code, err.message.replace(`${err.code}: `, ''), { source: USAGE_CODES.has(err.code) ? 'config' : 'internal', cause: err });
  return err;
}

/** Adds `bulwark drill` to the program. */
export function addDrillCommand(program: Command, fail: Fail): void {
  program
    .command('drill [scenario]')
    .description('attack your own deployment on loopback with one attack scenario and measure what real visitors get')
    .option('-c, --config <file>', 'bulwark.yaml for the Bulwark the drill starts (default: the demo config)')
    .option('--site <name>', 'site of the config to drill (default: the first)')
    .option('--duration <duration>', 'attack duration, e.g. 30s or 2m; a bare number is seconds (default: the scenario\'s)', seconds)
    .option('--rate <n>', 'attack requests per second in total (connections/s for slow attacks)', positive(false))
    .option('--sources <n>', 'attacking source addresses', positive(true))
    .option('--capacity <n>', "origin fixture's capacity in concurrent requests (default 64)", positive(true))
    .option('--visitors <n>', 'simulated real visitors: 60% browsers, 20% no-JS, 20% API (default 10)', positive(true))
    .option('--onset-visitors <n>', 'browsers arriving in the attack\'s first 5 s on pages that cannot be cached (default 4)', count)
    .option('--shared-visitors <n>', 'browsers behind one shared address, as through a NAT (default 10)', count)
    .option('--uncacheable', "make every page of the origin fixture 'private, no-store' (nothing can come from a cache)")
    .option('--page-latency <duration>', "latency of the origin fixture's pages, e.g. 100ms or 1s; a bare number is milliseconds (default 10)", positiveDurationArg('ms'))
    .option('--max-requests <n>', 'attack requests at most (default rate × duration × 1.1)', positive(true))
    .option('--seed <n>', 'seed of the attack traffic (same seed, same requests)', positive(true))
    .option('--target <url>', 'attack an already running deployment instead (loopback only)')
    .option('--admin <url>', "that deployment's admin URL, for origin figures from its /stats (loopback only)")
    .option('--restart [duration]', 'kill Bulwark with SIGKILL this long into the attack, e.g. 15s; a bare number is seconds (default: half way), restart it on the same state, and report the protection lost', seconds)
    .option('--json', 'print one JSON object instead of the table')
    .option('--list', 'list the scenarios, one line each')
    .addHelpText('after', HELP_AFTER)
    .action(async (scenario: string | undefined, opts: DrillCliOptions) => {
      if (opts.list) return void process.stdout.write(listScenarios());
      const controller = new AbortController();
      const onSignal = (): void => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        if (scenario === undefined) throw new BulwarkError('BULWARK_ERR_USAGE', 'name a scenario (bulwark drill --list shows them)', { source: 'config' });
        const log = opts.json ? undefined : (line: string) => void process.stderr.write(`drill: ${line}\n`);
        const report = await runDrill(drillOptionsFrom(scenario, opts, controller.signal, log));
        process.stdout.write(opts.json ? reportJson(report) : formatReport(report));
        if (controller.signal.aborted) process.exitCode = 130;
      } catch (err) {
        fail(asCliError(err));
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
