/**
 * CLI commands on incidents and threat levels, working on the state database directly (the
 * SQLite file under the config's `state_dir`), so they work whether or not Bulwark runs:
 * - `bulwark incidents list [--site S] [--status open|closed] [--limit N] [--json]`
 * - `bulwark incidents show ID [--json] [--no-timeline]`
 * - `bulwark incidents report ID --format html|json|stix|xarf|misp [-o FILE]` (incident-report-command.ts)
 * - `bulwark mode SITE [LEVEL] [--for 30m] [--reason TEXT]`: LEVEL normal | elevated | under_attack sets
 *   an override until it expires; `auto` removes it; no LEVEL prints the override in force. A running
 *   Bulwark applies it within `detection.override_poll` (default 1 s).
 * Exit codes: 0 ok, 1 not found / runtime failure, 2 usage or config error.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import type { StateStores } from '../stores/index.ts';
import { openStateForConfig } from '../cluster/shared-stores.ts';
import { BulwarkError } from '../core/errors.ts';
import { parseModeRequest, readOverride, writeMode, type ModeRequest } from '../detection/override.ts';
import { auditCli, cliActor } from './cli-audit.ts';
import { explicitDuration, requireDurationMs } from './cli-units.ts';
import { incidentJson, incidentListJson, renderIncidentList, renderIncidentText } from '../incidents/report.ts';
import { addIncidentReport } from './incident-report-command.ts';

/** Prints an error and exits (the CLI's `fail`). */
export type Fail = (err: unknown) => never;

interface StateOptions {
  config?: string;
  stateDir?: string;
}

function usage(message: string): never {
  throw new BulwarkError('BULWARK_ERR_USAGE', message, { source: 'config' });
}

/** Opens the state of `-c FILE`'s state_dir or of `--state-dir`; returns the config's site names when known. */
async function openState(opts: StateOptions): Promise<{ state: StateStores; sites: string[] | null }> {
  if (opts.config !== undefined && opts.stateDir !== undefined) usage('give either -c bulwark.yaml or --state-dir DIR, not both');
  if (opts.config !== undefined) {
    const config = loadConfigFile(opts.config);
    return { state: await openStateForConfig(config), sites: config.sites.map((s) => s.name) };
  }
  if (opts.stateDir !== undefined) return { state: await openStateForConfig({ state_dir: opts.stateDir }), sites: null };
  return usage('give -c bulwark.yaml or --state-dir DIR');
}

async function withState(opts: StateOptions, fail: Fail, run: (state: StateStores, sites: string[] | null) => Promise<void>): Promise<void> {
  try {
    const { state, sites } = await openState(opts);
    try {
      await run(state, sites);
    } finally {
      state.close();
    }
  } catch (err) {
    fail(err);
  }
}

function stateOptions(cmd: Command): Command {
  return cmd.option('-c, --config <file>', 'bulwark.yaml (its state_dir is used)').option('--state-dir <dir>', 'state directory (instead of -c)');
}

function addList(incidents: Command, fail: Fail): void {
  stateOptions(incidents.command('list'))
    .description('list incidents, newest first')
    .option('--site <name>', 'only this site')
    .option('--status <status>', 'open or closed')
    .option('--limit <n>', 'at most this many (1..1000)', '50')
    .option('--json', 'one JSON object')
    .addHelpText('after', '\nExamples:\n  bulwark incidents list -c bulwark.yaml\n  bulwark incidents list --site news --status open --json --state-dir /var/lib/bulwark')
    .action((opts: StateOptions & { site?: string; status?: string; limit: string; json?: boolean }) =>
      withState(opts, fail, async (state) => {
        if (opts.status !== undefined && opts.status !== 'open' && opts.status !== 'closed') usage('--status must be open or closed');
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000) usage('--limit must be an integer 1..1000');
        const list = await state.incidents.list({ limit, ...(opts.site !== undefined ? { site: opts.site } : {}), ...(opts.status !== undefined ? { status: opts.status as 'open' | 'closed' } : {}) });
        process.stdout.write(opts.json ? JSON.stringify(incidentListJson(list), null, 2) + '\n' : renderIncidentList(list));
      }),
    );
}

function addShow(incidents: Command, fail: Fail): void {
  stateOptions(incidents.command('show <id>'))
    .description('show one incident: sources, actions and their effect, visitors, timeline')
    .option('--json', 'the stored incident as JSON (snake_case fields)')
    .option('--no-timeline', 'leave the per-second timeline out')
    .addHelpText('after', '\nExamples:\n  bulwark incidents show inc-20250301-0001 -c bulwark.yaml\n  bulwark incidents show inc-20250301-0001 --json --state-dir /var/lib/bulwark > incident.json')
    .action((id: string, opts: StateOptions & { json?: boolean; timeline: boolean }) =>
      withState(opts, fail, async (state) => {
        const incident = await state.incidents.get(id, { timeline: opts.timeline });
        if (incident === undefined) {
          process.stderr.write(`no incident ${id}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(opts.json ? JSON.stringify(incidentJson(incident), null, 2) + '\n' : renderIncidentText(incident));
      }),
    );
}

function addMode(program: Command, fail: Fail): void {
  stateOptions(program.command('mode <site> [level]'))
    .description("override a site's threat level for a while (normal | elevated | under_attack), or `auto` to return to the detector")
    .option('--for <duration>', 'how long the override lasts (e.g. 30m, 2h; a bare number is seconds; at most 7d)', '1h')
    .option('--reason <text>', 'why (shown in /detection and the incident)')
    .addHelpText('after', '\nWithout LEVEL, prints the override in force.\n\nExamples:\n  bulwark mode news under_attack --for 30m -c bulwark.yaml\n  bulwark mode news auto -c bulwark.yaml')
    .action((site: string, level: string | undefined, opts: StateOptions & { for: string; reason?: string }) =>
      withState(opts, fail, async (state, sites) => {
        if (sites !== null && !sites.includes(site)) usage(`no site ${JSON.stringify(site)} in the config (sites: ${sites.join(', ')})`);
        const now = Date.now();
        if (level === undefined) {
          const o = await readOverride(state.kv, site, now);
          process.stdout.write(o === null ? `${site}: no override; the detector sets the level\n` : `${site}: ${o.level} until ${new Date(o.untilMs).toISOString()} (by ${o.by}${o.reason ? `: ${o.reason}` : ''})\n`);
          return;
        }
        let request: ModeRequest;
        try {
          if (level !== 'auto') requireDurationMs('--for', opts.for);
          request = parseModeRequest(level, explicitDuration(opts.for));
        } catch (err) {
          usage((err as Error).message);
        }
        const stored = await writeMode(state.kv, site, request, { by: cliActor(), ...(opts.reason !== undefined ? { reason: opts.reason } : {}) }, now);
        await auditCli(state.audit, request.level === 'auto' ? 'level.auto' : 'level.override', site, 'ok', { level: request.level, ...(request.level !== 'auto' ? { for: opts.for } : {}), reason: opts.reason ?? null });
        process.stdout.write(stored === null ? `${site}: override removed; the detector sets the level\n` : `${site}: ${stored.level} until ${new Date(stored.untilMs).toISOString()}\n`);
      }),
    );
}

/** Adds `incidents list`, `incidents show`, `incidents report` and `mode` to the program. */
export function addIncidentCommands(program: Command, fail: Fail): void {
  const incidents = program.command('incidents').description('attack incidents recorded by the detector');
  addList(incidents, fail);
  addShow(incidents, fail);
  addIncidentReport(incidents, fail);
  addMode(program, fail);
}
