/**
 * `bulwark tokens create|list|revoke`: the admin plane's API tokens, written to the state database
 * directly (like `ban`), so the first admin token can be made before Bulwark ever runs, and a token can
 * be revoked while it runs (its sessions end at once: the running Bulwark checks the database on every
 * request). The secret is printed once, on stdout alone, so `bulwark tokens create ... > file` stores it.
 */
import type { Command } from 'commander';
import { requireDurationMs } from './cli-units.ts';
import { BulwarkError } from '../core/errors.ts';
import { ADMIN_ROLES, type AdminRole } from '../stores/index.ts';
import { issueToken, tokenView } from '../admin/auth/tokens.ts';
import { openStateFor, type Fail } from './state-commands.ts';
import { auditCli, cliActor } from './cli-audit.ts';

interface StateOptions {
  config?: string;
  stateDir?: string;
}

function withState(cmd: Command): Command {
  return cmd.option('-c, --config <file>', 'bulwark.yaml (its state_dir is used)').option('--state-dir <dir>', 'state directory (instead of -c)');
}

function usage(message: string): never {
  throw new BulwarkError('BULWARK_ERR_USAGE', message, { source: 'config' });
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** Adds `tokens create|list|revoke`. */
export function addTokenCommands(program: Command, fail: Fail): void {
  const tokens = program.command('tokens').description('API tokens of the admin plane (roles: viewer, operator, admin, metrics)');

  withState(tokens.command('create <name>'))
    .description('create a token; its secret is printed once')
    .requiredOption('--role <role>', `what it may do: ${ADMIN_ROLES.join(' | ')}`)
    .option('--expires <duration>', 'lifetime, e.g. 90d; a bare number is seconds (default: until revoked)')
    .addHelpText(
      'after',
      '\nviewer reads (dashboard, API); operator also bans, sets levels, accepts rules; admin also manages\ntokens; metrics reads /metrics only (for Prometheus).\n\nExamples:\n  bulwark tokens create alice --role operator --expires 90d -c bulwark.yaml\n  bulwark tokens create prometheus --role metrics -c bulwark.yaml > /etc/prometheus/bulwark.token',
    )
    .action(async (name: string, opts: StateOptions & { role: string; expires?: string }) => {
      try {
        if (!(ADMIN_ROLES as readonly string[]).includes(opts.role)) usage(`--role must be one of ${ADMIN_ROLES.join(', ')}`);
        const expiresInMs = opts.expires === undefined ? null : requireDurationMs('--expires', opts.expires);
        const state = await openStateFor(opts);
        try {
          const { secret, token } = await issueToken(state.tokens, { name, role: opts.role as AdminRole, expiresInMs, by: cliActor() }, Date.now());
          await auditCli(state.audit, 'token.create', name, 'ok', { role: token.role, expires: token.expiresAtMs });
          process.stdout.write(`${secret}\n`);
          process.stderr.write(`created token ${name} (${token.role}${token.expiresAtMs ? `, expires ${new Date(token.expiresAtMs).toISOString()}` : ', no expiry'}); the secret above is shown once\n`);
        } finally {
          state.close();
        }
      } catch (err) {
        fail(err);
      }
    });

  withState(tokens.command('list'))
    .description('list tokens (never their secrets)')
    .option('--all', 'include revoked and expired tokens')
    .option('--json', 'one JSON object')
    .action(async (opts: StateOptions & { all?: boolean; json?: boolean }) => {
      try {
        const state = await openStateFor(opts);
        try {
          const now = Date.now();
          const list = (await state.tokens.list(now, { all: opts.all === true })).map((t) => tokenView(t, now));
          if (opts.json) process.stdout.write(JSON.stringify({ tokens: list }, null, 2) + '\n');
          else if (list.length === 0) process.stdout.write('no tokens\n');
          else process.stdout.write(table([['NAME', 'ROLE', 'STATE', 'CREATED', 'EXPIRES', 'LAST USED'], ...list.map((t) => [t.name, t.role, t.state, t.created ?? '', t.expires ?? 'never', t.last_used ?? 'never'])]));
        } finally {
          state.close();
        }
      } catch (err) {
        fail(err);
      }
    });

  withState(tokens.command('revoke <name>'))
    .description('revoke a token: requests and sessions using it are refused at once')
    .action(async (name: string, opts: StateOptions) => {
      try {
        const state = await openStateFor(opts);
        try {
          const revoked = await state.tokens.revoke(name, cliActor(), Date.now());
          await auditCli(state.audit, 'token.revoke', name, revoked ? 'ok' : 'refused', revoked ? undefined : { error: 'not_found' });
          if (revoked) process.stdout.write(`revoked ${name}\n`);
          else {
            process.stderr.write(`no live token named ${name}\n`);
            process.exitCode = 1;
          }
        } finally {
          state.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
