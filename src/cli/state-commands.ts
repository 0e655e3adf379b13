/**
 * CLI commands that work on Bulwark's durable state directly (the SQLite database under state_dir), so
 * they work whether or not Bulwark is running: `ban`, `unban`, `bans`. A running Bulwark sees changes
 * within a second.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import { requireDurationMs } from './cli-units.ts';
import { banByHand, formatBans, unbanByHand } from '../admin/ban-operations.ts';
import type { StateStores } from '../stores/index.ts';
import { openStateForConfig } from '../cluster/shared-stores.ts';
import { rotateSharedKeys } from '../cluster/shared-keys.ts';
import { BulwarkError } from '../core/errors.ts';
import { rotateChallengeKey } from '../stores/challenge-key-store.ts';
import { auditCli } from './cli-audit.ts';
import { banScopeGuardFromConfig, createBanScopeGuard, type BanScopeGuard } from '../admin/ban-guard.ts';

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

/**
 * The ban guard for the CLI: from the config's allow lists and trusted proxies when `-c` is given; with
 * only `--state-dir` the config is unknown, so only loopback (and the SSH client, below) is protected.
 */
function banGuardFor(opts: StateOptions): BanScopeGuard {
  return opts.config ? banScopeGuardFromConfig(loadConfigFile(opts.config)) : createBanScopeGuard();
}

/** The address this CLI session is used from, when it runs over SSH: protected like an admin client. */
function sshClient(): string[] {
  const c = process.env.SSH_CONNECTION ?? process.env.SSH_CLIENT;
  const first = c?.trim().split(/\s+/)[0];
  return first ? [first] : [];
}

function withState(cmd: Command): Command {
  return cmd.option('-c, --config <file>', 'bulwark.yaml (its state_dir is used)').option('--state-dir <dir>', 'state directory (instead of -c)');
}

export function addStateCommands(program: Command, fail: Fail): void {
  const keys = program.command('keys').description('the challenge signing keys (under state_dir/keys, mode 0600)');
  withState(keys.command('rotate'))
    .description('start signing with a new key; the previous one stays valid for --grace (visitors keep their clearance)')
    .option('--grace <duration>', 'how long the previous key is still accepted, e.g. 2h (a bare number is seconds)', '2h')
    .addHelpText('after', '\nA running Bulwark picks the new key up within 10 seconds; with shared_state, every node switches at once.')
    .action(async (opts: StateOptions & { grace: string }) => {
      try {
        const graceMs = requireDurationMs('--grace', opts.grace);
        const config = opts.config ? loadConfigFile(opts.config) : undefined;
        if (config?.shared_state !== undefined && opts.stateDir === undefined) {
          const until = await rotateSharedKeys(config.shared_state, config.state_dir, graceMs);
          process.stdout.write(`rotated the deployment's key on the shared state; the previous key is accepted until ${new Date(until).toISOString()}\n`);
          return;
        }
        const stateDir = opts.stateDir ?? config?.state_dir;
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
    .option('--for <duration>', 'how long, e.g. 10m, 1h, 7d (a bare number is seconds)', '1h')
    .option('--reason <text>', 'why (kept in the audit log)')
    .option('--force', 'ban even a prefix wider than /8 (IPv4) or /16 (IPv6), or one covering loopback, an allow list or a trusted proxy')
    .addHelpText(
      'after',
      '\nA ban wider than /8 (IPv4) or /16 (IPv6), or covering loopback, your SSH client, an allow-list entry or a\ntrusted proxy is refused unless --force is given.\n\nExamples:\n  bulwark ban 203.0.113.7 --for 1h -c bulwark.yaml\n  bulwark ban 2001:db8:1:2::/64 --for 1d --reason "login flood" -c bulwark.yaml',
    )
    .action(async (key: string, opts: StateOptions & { for: string; reason?: string; force?: boolean }) => {
      try {
        const durationMs = requireDurationMs('--for', opts.for);
        const guard = banGuardFor(opts);
        const state = await openStateFor(opts);
        try {
          const detail = { duration: opts.for, reason: opts.reason ?? null, force: opts.force === true };
          let ban;
          try {
            ban = await banByHand(state.bans, { key, durationMs, reason: opts.reason, actor: 'cli', guard, clients: sshClient(), force: opts.force === true }, Date.now());
          } catch (err) {
            await auditCli(state.audit, 'ban.add', key, 'refused', { ...detail, error: (err as BulwarkError).code });
            throw err;
          }
          await auditCli(state.audit, 'ban.add', ban.key, 'ok', detail);
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
          await auditCli(state.audit, 'ban.remove', removed?.key ?? key, removed ? 'ok' : 'refused', removed ? undefined : { error: 'not_banned' });
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
