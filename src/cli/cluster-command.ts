/**
 * `bulwark cluster -c FILE [--json]`: the health of a running deployment — every node and worker with its
 * requests per second, CPU, memory and bus lag, which node leads each site, the shared server's round
 * trip and memory (cluster/cluster-status.ts) — and, on this machine, the size of the kernel-drop sets.
 */
import type { Command } from 'commander';
import { execFileSync } from 'node:child_process';
import { loadConfigFile } from '../config/load.ts';
import { BulwarkError } from '../errors.ts';
import { clusterStatus, formatClusterStatus } from '../cluster/cluster-status.ts';
import type { Fail } from './state-commands.ts';

/** Elements per set of this machine's kernel-drop table, or null when it cannot be read (no table, no privilege). */
export function nftSetSizes(table: string): Record<string, number> | null {
  try {
    const text = execFileSync('nft', ['-j', 'list', 'table', 'inet', table], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    const doc = JSON.parse(text) as { nftables?: Array<{ set?: { name: string; elem?: unknown[] } }> };
    const out: Record<string, number> = {};
    for (const item of doc.nftables ?? []) if (item.set !== undefined) out[item.set.name] = item.set.elem?.length ?? 0;
    return out;
  } catch {
    return null;
  }
}

export function addClusterCommand(program: Command, fail: Fail): void {
  program
    .command('cluster')
    .description('health of a running deployment: nodes, workers, site leaders, shared-state latency and lag, kernel-drop sets')
    .requiredOption('-c, --config <file>', 'bulwark.yaml of the deployment')
    .option('--json', 'one JSON object')
    .addHelpText('after', '\nWith shared_state it listens to the deployment for a moment; without, see the admin listener\'s /stats (cluster section).')
    .action(async (opts: { config: string; json?: boolean }) => {
      try {
        const config = loadConfigFile(opts.config);
        const nft = config.kernel_drop.mode === 'off' ? null : nftSetSizes(config.kernel_drop.table);
        if (config.shared_state === undefined) {
          throw new BulwarkError('BULWARK_ERR_USAGE', 'this config has no shared_state: its one machine reports its workers and kernel-drop sets in GET /stats on the admin listener (section cluster)', { source: 'config' });
        }
        const status = await clusterStatus(config.shared_state, config.sites.map((s) => s.name));
        if (opts.json) process.stdout.write(`${JSON.stringify({ ...status, kernel_drop_sets: nft }, null, 2)}\n`);
        else {
          process.stdout.write(formatClusterStatus(status));
          if (nft !== null) process.stdout.write(`kernel-drop sets on this machine (inet ${config.kernel_drop.table}): ${Object.entries(nft).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
        }
      } catch (err) {
        fail(err);
      }
    });
}
