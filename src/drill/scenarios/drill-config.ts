/**
 * The Bulwark config a drill runs: the operator's config (a bulwark.yaml path or config data; default the
 * demo config) rewritten so the drill owns everything around the one site it exercises:
 *
 * - only that site is kept (`site` option, default the first), answering every host (`hosts: ['*']`) in
 *   front of the drill's origin fixture, without TLS;
 * - one plain listener and the admin listener on loopback port 0 (the real ports are read from the log);
 * - a fresh `state_dir` (a drill must not leave bans or incidents in the operator's state), log level
 *   `info` without an access log (its start line gives the ports; per-request logs would cost CPU);
 * - a baseline learned during the visitors' warm-up when it is long enough (a fresh state has none):
 *   the drill compresses the baseline's time scale like everything else — its warm-up fits the visitors'
 *   warm-up, and its learning delay (30 s for real) shrinks alike, to a twelfth of the warm-up (2 s for
 *   35 s), or the baseline would not be warm when the attack starts. Its growth cap stays ×2 an hour;
 * - then the scenario's own changes (e.g. trusting loopback as a proxy for `ipv6-rotation`).
 *
 * The result is validated like any config file, so a bad config is refused with its line-numbered
 * problems before anything starts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSelfSigned } from '../../admin/tls/self-signed.ts';
import { parse } from 'yaml';
import { ConfigError, loadConfigFile, validateConfig } from '../../config/load.ts';
import { demoConfigInput } from '../../demo/demo-config.ts';
import type { Scenario } from './context.ts';

/** Options of {@link drillConfig}. */
export interface DrillConfigOptions {
  /** bulwark.yaml path, or config data; default the demo config. */
  readonly base?: string | Readonly<Record<string, unknown>>;
  readonly originUrl: string;
  readonly stateDir: string;
  /** Site to exercise; default the first. */
  readonly site?: string;
  readonly scenario?: Pick<Scenario, 'bulwarkConfig' | 'https'>;
  /**
   * The visitors' warm-up before the attack: a drill's Bulwark starts with an empty state, so it learns
   * its traffic baseline during that time (unless the base config sets `detection.baseline.warmup`).
   */
  readonly baselineWarmupS?: number;
}

/**
 * Reads the base config as data (YAML file, object, or the demo config). A file is first validated as
 * written (`ConfigError` with line numbers when it is invalid), then read as plain data to be rewritten.
 */
export function baseConfigData(base: DrillConfigOptions['base'], originUrl: string): Record<string, unknown> {
  if (base === undefined) return demoConfigInput({ originUrl });
  if (typeof base !== 'string') return structuredClone(base) as Record<string, unknown>;
  loadConfigFile(base);
  return parse(readFileSync(base, 'utf8')) as Record<string, unknown>;
}

/** Builds and validates the drill's config data (see the module comment); returns the data and the site name. */
export function drillConfig(options: DrillConfigOptions): { config: Record<string, unknown>; site: string } {
  const base = baseConfigData(options.base, options.originUrl);
  const sites = Array.isArray(base.sites) ? (base.sites as Array<Record<string, unknown>>) : [];
  const chosen = options.site === undefined ? sites[0] : sites.find((s) => s.name === options.site);
  if (chosen === undefined) {
    const names = sites.map((s) => String(s.name)).join(', ') || 'none';
    const file = typeof options.base === 'string' ? options.base : 'drill config';
    throw new ConfigError(file, [{ path: 'sites', line: null, message: `no site ${options.site === undefined ? 'at all' : JSON.stringify(options.site)} to drill (sites: ${names})` }]);
  }
  const { tls: _tls, ...site } = chosen;
  const log = typeof base.log === 'object' && base.log !== null ? (base.log as Record<string, unknown>) : {};
  const { access_log: _accessLog, ...logRest } = log;
  let config: Record<string, unknown> = {
    ...base,
    state_dir: options.stateDir,
    listen: { http: ['127.0.0.1:0'], https: [] },
    admin: { listen: '127.0.0.1:0' },
    log: { ...logRest, level: 'info' },
    sites: [{ ...site, hosts: ['*'], origins: [options.originUrl] }],
  };
  const detection = typeof base.detection === 'object' && base.detection !== null ? (base.detection as Record<string, unknown>) : {};
  const baseline = typeof detection.baseline === 'object' && detection.baseline !== null ? (detection.baseline as Record<string, unknown>) : {};
  if (options.baselineWarmupS !== undefined && options.baselineWarmupS >= 10 && baseline.warmup === undefined) {
    const delayS = baseline.learn_delay === undefined ? Math.min(30, Math.max(1, Math.floor(options.baselineWarmupS / 12))) : null;
    const warmupS = Math.max(5, Math.floor(options.baselineWarmupS - 3 - (delayS ?? 0)));
    config.detection = { ...detection, baseline: { ...baseline, warmup: `${warmupS}s`, ...(delayS !== null ? { learn_delay: `${delayS}s` } : {}) } };
  }
  if (options.scenario?.https === true) config = withHttpsListener(config, options.stateDir);
  if (options.scenario?.bulwarkConfig) config = options.scenario.bulwarkConfig(config);
  validateConfig(config, typeof options.base === 'string' ? options.base : 'drill config');
  return { config, site: String(site.name) };
}

/**
 * An https listener on loopback port 0 for scenarios that attack over TLS, with a self-signed ECDSA
 * certificate for `localhost` and 127.0.0.1 made for this run and kept in its state directory.
 */
function withHttpsListener(config: Record<string, unknown>, stateDir: string): Record<string, unknown> {
  const dir = join(stateDir, 'drill-tls');
  mkdirSync(dir, { recursive: true });
  const { cert, key } = generateSelfSigned({ addresses: ['127.0.0.1'], names: ['localhost'] }, Date.now());
  writeFileSync(join(dir, 'site.crt'), cert);
  writeFileSync(join(dir, 'site.key'), key, { mode: 0o600 });
  const sites = (config.sites as Array<Record<string, unknown>>).map((s) => ({ ...s, tls: { cert: join(dir, 'site.crt'), key: join(dir, 'site.key') } }));
  const listen = config.listen as { http: string[] };
  return { ...config, listen: { ...listen, https: ['127.0.0.1:0'] }, sites };
}
