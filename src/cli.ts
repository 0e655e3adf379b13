/**
 * The `bulwark` command line. Each command is a thin adapter: parse arguments,
 * call the library, print. Exit codes: 0 ok, 1 runtime failure, 2 invalid config or usage.
 */
import { Command, Option } from 'commander';
import { z } from 'zod';
import { stringify } from 'yaml';
import { ConfigError, loadConfigFile, loadConfigFileAsync, validateConfig } from './config/load.ts';
import { configSchema, type Config } from './config/schema.ts';
import { demoConfigInput } from './demo/demo-config.ts';
import { startDemoOrigin } from './demo/demo-origin.ts';
import { BulwarkError } from './core/errors.ts';
import { createBulwark, type Bulwark } from './main.ts';
import { favourHeapSize, releaseYoungGeneration } from './main/heap-policy.ts';
import { keepTickObjectShape } from './main/tick-shape.ts';
import { createPrimary } from './cluster/primary.ts';
import { createLogger } from './telemetry/logger.ts';
import { addStateCommands } from './cli/state-commands.ts';
import { addIncidentCommands } from './cli/incident-commands.ts';
import { addDrillCommand } from './cli/drill-command.ts';
import { addClusterCommand } from './cli/cluster-command.ts';
import { addTokenCommands } from './cli/token-commands.ts';
import { addAuditCommand } from './cli/audit-command.ts';
import { openStateStores } from './stores/index.ts';
import { issueToken } from './admin/auth/tokens.ts';

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof BulwarkError) {
    process.stderr.write(`bulwark: ${err.code}: ${err.message}\n`);
    process.exit(err.source === 'config' ? 2 : 1);
  }
  process.stderr.write(`bulwark: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
}

/** Creates a one-day admin token for the demo's dashboard and returns its secret. */
async function demoToken(stateDir: string): Promise<string> {
  const state = openStateStores({ stateDir, onCorrupt: 'quarantine' });
  try {
    return (await issueToken(state.tokens, { name: `demo-${Date.now()}`, role: 'admin', expiresInMs: 86_400_000, by: 'demo' }, Date.now())).secret;
  } finally {
    state.close();
  }
}

/** Zero-config: one site answering every host, in front of one origin. */
export function zeroConfig(listen: string, origin: string, admin: string | null): Config {
  return validateConfig({ listen: { http: [listen] }, admin: { listen: admin }, sites: [{ name: 'default', hosts: ['*'], origins: [origin] }] }, 'command line');
}

/** What `run` drives: a Bulwark, or the primary of several workers. */
type Runnable = Pick<Bulwark, 'logger' | 'start' | 'stop' | 'reloads' | 'reloadAsync'>;

/** A Bulwark for `config`: one process, or (workers > 1) the primary that starts the workers. */
function bulwarkFor(config: Config, file: string | undefined): Runnable {
  return config.workers > 1 ? createPrimary({ config, file }) : createBulwark({ config, file });
}

/** Runs Bulwark until SIGTERM/SIGINT; SIGHUP reloads `file` when there is one. */
async function run(bulwark: Runnable, file: string | undefined, onStop?: () => Promise<void>): Promise<void> {
  const log = bulwark.logger;
  // A bug that escapes every handler leaves the process in an unknown state: say so in the log (one JSON
  // line with the stack) and exit 1, so the supervisor (systemd Restart=always) starts a clean one.
  const fatal = (kind: string) => (err: unknown) => {
    log.fatal({ err, code: 'BULWARK_ERR_FATAL', kind }, 'fatal error: exiting so the supervisor restarts Bulwark');
    log.flush?.();
    setTimeout(() => process.exit(1), 100).unref();
  };
  process.on('uncaughtException', fatal('uncaughtException'));
  process.on('unhandledRejection', fatal('unhandledRejection'));
  keepTickObjectShape();
  await bulwark.start();
  releaseYoungGeneration(); // started: from here on the young generation grows as V8 sees fit (main/heap-policy.ts)
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping: finishing in-flight requests');
    await bulwark.stop();
    await onStop?.();
    log.flush?.();
    setTimeout(() => process.exit(0), 50).unref();
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // Reloads run one after the other, in signal order; files are read off the event loop, so a list file
  // that cannot be read (or is not a regular file) refuses the reload while the old config keeps serving.
  let reloads: Promise<void> = Promise.resolve();
  process.on('SIGHUP', () => {
    if (!file) {
      log.warn('SIGHUP ignored: started without a config file');
      return;
    }
    reloads = reloads.then(() =>
      loadConfigFileAsync(file)
        .catch((err: unknown) => {
          // The file itself is refused (unreadable, invalid): recorded here; a refusal while compiling is recorded by reloadAsync.
          bulwark.reloads.refused('signal:SIGHUP', (err as ConfigError).problems, (err as BulwarkError).code ?? 'BULWARK_ERR_RELOAD');
          throw err;
        })
        .then((config) => bulwark.reloadAsync(config, 'signal:SIGHUP'))
        .catch((err: unknown) => {
          log.error({ code: (err as BulwarkError).code ?? 'BULWARK_ERR_RELOAD', problems: (err as ConfigError).problems, err: err instanceof ConfigError ? undefined : err }, 'reload refused: the new config is invalid; the old config keeps running');
        }),
    );
  });
}

export function buildProgram(): Command {
  const program = new Command('bulwark')
    .description('Self-hosted defence against HTTP floods: a protective reverse proxy.')
    .version('0.1.0')
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });

  program
    .command('start')
    .description('start protecting the sites of a config file, or one origin with --listen/--origin')
    .option('-c, --config <file>', 'bulwark.yaml to load')
    .option('--listen <host:port>', 'zero-config: address to listen on', '127.0.0.1:8080')
    .option('--origin <url>', 'zero-config: origin URL to protect (one site answering every host)')
    .option('--admin <host:port>', 'zero-config: admin listener (loopback; elsewhere it needs TLS, see admin.tls)', '127.0.0.1:9901')
    .addHelpText('after', '\nExamples:\n  bulwark start -c bulwark.yaml\n  bulwark start --listen 127.0.0.1:8080 --origin http://127.0.0.1:3000\n\nSignals: SIGHUP reloads the config file; SIGTERM/SIGINT stop gracefully.')
    .action(async (opts: { config?: string; listen: string; origin?: string; admin: string }) => {
      try {
        let config: Config;
        if (opts.config) config = loadConfigFile(opts.config);
        else if (opts.origin) config = zeroConfig(opts.listen, opts.origin, opts.admin);
        else throw new BulwarkError('BULWARK_ERR_USAGE', 'give -c FILE, or --origin URL (with optional --listen and --admin)', { source: 'config' });
        favourHeapSize();
        await run(bulwarkFor(config, opts.config), opts.config);
      } catch (err) {
        fail(err);
      }
    });

  program
    .command('check')
    .description('validate a config file and print it normalised (durations in ms, sizes in bytes, defaults filled)')
    .requiredOption('-c, --config <file>', 'bulwark.yaml to check')
    .addOption(new Option('--format <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action((opts: { config: string; format: string }) => {
      try {
        const config = loadConfigFile(opts.config);
        process.stdout.write(opts.format === 'json' ? JSON.stringify(config, null, 2) + '\n' : stringify(config));
        process.stderr.write(`${opts.config}: ok\n`);
      } catch (err) {
        fail(err);
      }
    });

  program
    .command('schema')
    .description('print the JSON Schema of bulwark.yaml (for editors: yaml-language-server)')
    .action(() => {
      const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
      process.stdout.write(JSON.stringify({ ...schema, title: 'bulwark.yaml' }, null, 2) + '\n');
    });

  program
    .command('demo')
    .description('start a demo site on loopback with Bulwark in front of it (no services needed)')
    .option('--listen <host:port>', 'where Bulwark listens', '127.0.0.1:8080')
    .option('--admin <host:port>', 'admin listener (loopback only)', '127.0.0.1:9901')
    .action(async (opts: { listen: string; admin: string }) => {
      try {
        const origin = await startDemoOrigin();
        const config = validateConfig(demoConfigInput({ originUrl: origin.url, listen: opts.listen, admin: opts.admin }), 'demo');
        const bulwark = createBulwark({ config, logger: createLogger(config.log.level) });
        // A throwaway admin token for the demo's dashboard (a real deployment uses `bulwark tokens create`).
        const token = await demoToken(config.state_dir);
        await run(bulwark, undefined, () => origin.close());
        const url = bulwark.url();
        process.stderr.write(
          `\nBulwark demo is running.\n  Site (through Bulwark): ${url}/\n  Slow search endpoint:   ${url}/search?q=election\n` +
            `  Dashboard:              http://${bulwark.admin?.address}/  (log in with the token below)\n  Demo origin (direct):   ${origin.url}/\n` +
            `  Admin token (1 day):    ${token}\nPress Ctrl+C to stop.\n\n`,
        );
      } catch (err) {
        fail(err);
      }
    });

  addStateCommands(program, fail);
  addIncidentCommands(program, fail);
  addDrillCommand(program, fail);
  addClusterCommand(program, fail);
  addTokenCommands(program, fail);
  addAuditCommand(program, fail);
  // Every command but `start` (which does so once started) lets the young generation grow again before its work.
  program.hook('preAction', (_program, action) => {
    if (action.name() !== 'start') releaseYoungGeneration();
  });
  return program;
}

await buildProgram().parseAsync(process.argv);
