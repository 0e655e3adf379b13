/**
 * `bulwark audit [--json] [--limit N] [--action PREFIX] [--since TIME]`: the audit log from the state
 * database — every state change made through the admin API, the dashboard or the CLI, and every config
 * reload and login: who, what, when, from where, and how it ended. Newest first.
 */
import type { Command } from 'commander';
import { BulwarkError } from '../core/errors.ts';
import { auditView } from '../admin/audit-routes.ts';
import { openStateFor, type Fail } from './state-commands.ts';

interface AuditOptions {
  config?: string;
  stateDir?: string;
  json?: boolean;
  limit: string;
  action?: string;
  since?: string;
}

function usage(message: string): never {
  throw new BulwarkError('BULWARK_ERR_USAGE', message, { source: 'config' });
}

/** Adds `audit`. */
export function addAuditCommand(program: Command, fail: Fail): void {
  program
    .command('audit')
    .description('the audit log: who changed what, when, from where (newest first)')
    .option('-c, --config <file>', 'bulwark.yaml (its state_dir is used)')
    .option('--state-dir <dir>', 'state directory (instead of -c)')
    .option('--limit <n>', 'entries to show', '50')
    .option('--action <prefix>', 'only actions starting with this, e.g. ban. or login')
    .option('--since <time>', 'only entries at or after this ISO time')
    .option('--json', 'one JSON object')
    .action(async (opts: AuditOptions) => {
      try {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) usage('--limit must be an integer 1..10000');
        const since = opts.since === undefined ? undefined : Date.parse(opts.since);
        if (since !== undefined && Number.isNaN(since)) usage('--since must be an ISO time, e.g. 2026-12-04T10:00:00Z');
        const state = await openStateFor(opts);
        try {
          const entries = (await state.audit.list({ limit, ...(opts.action ? { action: opts.action } : {}), ...(since !== undefined ? { sinceMs: since } : {}) })).map(auditView);
          if (opts.json) {
            process.stdout.write(JSON.stringify({ entries }, null, 2) + '\n');
            return;
          }
          if (entries.length === 0) {
            process.stdout.write('no audit entries\n');
            return;
          }
          const rows = [['TIME', 'ACTOR', 'ACTION', 'TARGET', 'FROM', 'OUTCOME'], ...entries.map((e) => [e.time, e.actor, e.action, e.target ?? '', e.source, e.outcome])];
          const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
          process.stdout.write(rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n');
        } finally {
          state.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
