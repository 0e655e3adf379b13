/**
 * The drill's default protector: Bulwark as a child process (bulwark-process.ts) in front of the origin
 * fixture, with a viewer token for its admin reads, and the `--restart` of a running drill.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDrillToken, rememberAdminToken } from './admin-credentials.ts';
import { startBulwarkChild, type ProcUsage, type ProtectorFactory, type StopResult } from './bulwark-process.ts';
import { drillConfig } from './scenarios/drill-config.ts';

/** `127.0.0.1:8080` of `http://127.0.0.1:8080`. */
function hostPort(url: string): string {
  return new URL(url).host;
}

/**
 * The default protector: Bulwark as a child process, on the drill's rewrite of `config` (see
 * scenarios/drill-config.ts), with its own temp directory (YAML and state) removed when it stops.
 * `restart()` kills it with SIGKILL — no shutdown, nothing flushed, as a crash or `kill -9` leaves it —
 * and starts a new process on the same state directory and the same listener and admin addresses, so
 * the attackers and visitors carry on against the same URL. CPU is summed over the processes, memory is
 * the highest peak.
 */
export function bulwarkProtector(options: { readonly config?: string | Readonly<Record<string, unknown>>; readonly site?: string; readonly command?: readonly string[] } = {}): ProtectorFactory {
  return {
    name: 'bulwark',
    async start({ originUrl, scenario, warmupS }) {
      const dir = mkdtempSync(join(tmpdir(), 'bulwark-drill-'));
      try {
        const { config, site } = drillConfig({ base: options.config, originUrl, stateDir: join(dir, 'state'), site: options.site, scenario, baselineWarmupS: warmupS });
        const token = await createDrillToken(join(dir, 'state'));
        let child = await startBulwarkChild({ config, dir, command: options.command });
        rememberAdminToken(child.adminUrl, token);
        const { url, adminUrl } = child;
        let earlier: ProcUsage | undefined;
        let stopped: Promise<StopResult> | undefined;
        const usage = (): ProcUsage | undefined => {
          const now = child.usage();
          if (earlier === undefined || now === undefined) return now ?? earlier;
          return { cpuS: earlier.cpuS + now.cpuS, rssMb: now.rssMb, peakRssMb: Math.max(earlier.peakRssMb, now.peakRssMb) };
        };
        return {
          name: 'bulwark',
          url,
          httpsUrl: child.httpsUrl,
          adminUrl,
          site,
          get pid() {
            return child.pid;
          },
          readyUsage: child.readyUsage,
          usage,
          alive: () => child.alive(),
          async restart() {
            const before = child;
            earlier = usage();
            const killedAtMs = Date.now();
            if (before.alive()) {
              const exited = new Promise((r) => before.child.once('exit', r));
              before.child.kill('SIGKILL');
              await exited;
            }
            await before.stop();
            const again = { ...config, listen: { http: [hostPort(url)], https: [] }, admin: { ...(config.admin as object), listen: hostPort(adminUrl) } };
            child = await startBulwarkChild({ config: again, dir, command: options.command });
            return { killedAtMs, readyAtMs: child.readyAtMs, pidBefore: before.pid, pidAfter: child.pid };
          },
          stop: () => (stopped ??= (async () => {
            try {
              return { ...(await child.stop()), usage: usage() };
            } finally {
              rememberAdminToken(adminUrl, undefined);
              rmSync(dir, { recursive: true, force: true });
            }
          })()),
        };
      } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    },
  };
}
