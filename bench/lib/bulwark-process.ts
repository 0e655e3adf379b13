/**
 * Starts Bulwark as its own process (the real binary) with a YAML config, pinned to a core, and
 * resolves with its first http listener's port once it logs that it started.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, type Started } from './processes.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** `yaml` may use `{STATE}` for a fresh state directory (returned as `stateDir`). */
export async function startBulwarkProcess(yaml: string, core: number | null): Promise<Started & { stateDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-'));
  const file = join(dir, 'bulwark.yaml');
  const stateDir = join(dir, 'state');
  writeFileSync(file, yaml.replaceAll('{STATE}', stateDir));
  const started = await startProcess(process.execPath, [join(root, 'bin/bulwark.js'), 'start', '-c', file], core, /"listeners":\["http:\/\/127\.0\.0\.1:(\d+)"/);
  return { ...started, stateDir };
}

/** A one-site config in front of `originUrl`; `siteExtra` is YAML indented for the site block. */
export function siteYaml(originUrl: string, siteExtra = '', topExtra = ''): string {
  return `state_dir: "{STATE}"\nlisten:\n  http: ["127.0.0.1:0"]\nadmin:\n  listen: null\nlog:\n  level: info\n${topExtra}sites:\n  - name: bench\n    hosts: ["*"]\n    origins: ["${originUrl}"]\n${siteExtra}`;
}

export const ROOT = root;
