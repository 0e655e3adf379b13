/**
 * CLI commands that work on Bulwark's durable state directly (the SQLite database under state_dir), so
 * they work whether or not Bulwark is running: `ban`, `unban`, `bans`. A running Bulwark sees changes
 * within a second.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import { parseDuration } from '../config/units.ts';
import { banByHand, formatBans, unbanByHand } from '../admin/ban-operations.ts';
import type { StateStores } from '../stores/index.ts';
import { openStateForConfig } from '../cluster/shared-stores.ts';
import { BulwarkError } from '../errors.ts';
import { rotateChallengeKey } from '../edge/challenge-key-store.ts';

export type Fail = (err: unknown) => never;

interface StateOptions {
  config?: string;
  stateDir?: string;
}

/** Opens the state of the config's state_dir (or --state-dir), with its shared state when it has one. */
export async function openStateFor(opts: StateOptions): Promise<StateStores> {
  if (opts.stateDir !== undefined) return openStateForConfig({ state_dir: opts.stateDir });
  if (opts.config === undefined) throw new BulwarkError('BULWARK_ERR_USAGE', 'give -c bulwark.yaml or --state-dir DIR', { source: 'config' });
  return openStateForConfig(loadConfigFile(opts.config));
}

function withState(cmd: Command): Command {
  return cmd.option('-c, --config <file>', 'bulwark.yaml (its state_dir is used)').option('--state-dir <dir>', 'state directory (instead of -c)');
}

export function addStateCommands(program: Command, fail: Fail): void {
  const keys = program.command('keys').description('the challenge signing keys (under state_dir/keys, mode 0600)');
  withState(keys.command('rotate'))
    .description('start signing with a new key; the previous one stays valid for --grace (visitors keep their clearance)')
    .option('--grace <duration>', 'how long the previous key is still accepted', '2h')
    .addHelpText('after', '\nA running Bulwark picks the new key up within 10 seconds.')
    .action((opts: StateOptions & { grace: string }) => {
      try {
        const graceMs = parseDuration(opts.grace);
        if (graceMs === null) throw new BulwarkError('BULWARK_ERR_USAGE', `--grace: invalid duration ${opts.grace}`, { source: 'config' });
        const stateDir = opts.stateDir ?? (opts.config ? loadConfigFile(opts.config).state_dir : undefined);
        if (stateDir === undefined) throw new BulwarkError('BULWARK_ERR_USAGE', 'give -c bulwark.yaml or --state-dir DIR', { source: 'config' });
        const r = rotateChallengeKey(stateDir, { graceMs });
        process.stdout.write(
          r.previousAcceptUntilMs === undefined
            ? `created a first key in ${r.file}\n`
            : `rotated ${r.file}; the previous key is accepted until ${new Date(r.previousAcceptUntilMs).toISOString()}\n`,
        );
      } catch (err) {
        fail(err);
      }
    });

  withState(program.command('ban <key>'))
    .description('ban an address or prefix (dropped at accept) for a while')
    .option('--for <duration>', 'how long, e.g. 10m, 1h, 7d', '1h')
    .option('--reason <text>', 'why (kept in the audit log)')
    .addHelpText('after', '\nExamples:\n  bulwark ban 203.0.113.7 --for 1h -c bulwark.yaml\n  bulwark ban 2001:db8:1:2::/64 --for 1d --reason "login flood" -c bulwark.yaml')
    .action(async (key: string, opts: StateOptions & { for: string; reason?: string }) => {
      try {
        const durationMs = parseDuration(opts.for);
        if (durationMs === null) throw new BulwarkError('BULWARK_ERR_USAGE', `--for: invalid duration ${opts.for}`, { source: 'config' });
        const state = await openStateFor(opts);
        try {
          const ban = await banByHand(state.bans, { key, durationMs, reason: opts.reason, actor: 'cli' }, Date.now());
          process.stdout.write(`banned ${ban.key} until ${new Date(ban.untilMs).toISOString()}\n`);
        } finally {
          state.close();
        }
      } catch (err) {
        fail(err);
      }
    });

  withState(program.command('unban <key>'))
    .description('lift a ban')
    .action(async (key: string, opts: StateOptions) => {
      try {
        const state = await openStateFor(opts);
        try {
          const removed = await unbanByHand(state.bans, key, 'cli', Date.now());
          if (removed) process.stdout.write(`unbanned ${removed.key}\n`);
          else {
            process.stderr.write(`no ban on ${key}\n`);
            process.exitCode = 1;
          }
        } finally {
          state.close();
        }
      } catch (err) {
        fail(err);
      }
    });

  withState(program.command('bans'))
    .description('list active bans')
    .option('--json', 'one JSON object')
    .action(async (opts: StateOptions & { json?: boolean }) => {
      try {
        const state = await openStateFor(opts);
        try {
          const now = Date.now();
          const list = await state.bans.active(now);
          process.stdout.write(opts.json ? JSON.stringify({ bans: list }, null, 2) + '\n' : formatBans(list, now));
        } finally {
          state.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
