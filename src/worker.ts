/**
 * Entry point of a worker process (`workers: N`): the primary (cluster/primary.ts) forks this file with
 * node:cluster, handing over the validated config, the deployment's shared secret and the worker number
 * in the environment (cluster/ipc-messages.ts). The worker serves requests with createBulwark in worker
 * mode and follows the primary's orders on the IPC channel: `reload` (SIGHUP at the primary), `stop`
 * (drain and exit 0). A worker whose primary disappears (channel closed) stops as well; one that crashes
 * exits 1 and the primary starts a replacement.
 *
 * SIGINT is ignored (Ctrl+C reaches the whole process group; the primary orders the stop); SIGTERM sent
 * to a worker alone drains it and exits 0 (the primary then replaces it).
 */
import type { Config } from './config/schema.ts';
import { createWorkerLink, type WorkerChannel } from './cluster/worker-link.ts';
import { WORKER_ENV } from './cluster/ipc-messages.ts';
import { createBulwark, type Bulwark } from './main.ts';
import { favourHeapSize } from './main/heap-policy.ts';
import { keepTickObjectShape } from './main/tick-shape.ts';
import { createDerivedTicketKeys } from './core/tls/ticket-keys.ts';
import { createLogger } from './telemetry/logger.ts';

const env = process.env;
const config = JSON.parse(env[WORKER_ENV.config] ?? 'null') as Config | null;
if (config === null || process.send === undefined) {
  process.stderr.write('bulwark worker: started without its primary (this file is run by `bulwark start` with workers > 1)\n');
  process.exit(2);
}
const index = Number(env[WORKER_ENV.index] ?? '1');
const logger = createLogger(config.log.level).child({ worker: index });
let bulwark: Bulwark | null = null;
let stopping = false;

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await bulwark?.stop();
  } finally {
    logger.flush?.();
    setTimeout(() => process.exit(code), 20).unref();
  }
}

const fatal = (kind: string) => (err: unknown): void => {
  logger.fatal({ err, code: 'BULWARK_ERR_FATAL', kind }, 'fatal error in a worker: exiting so the primary replaces it');
  logger.flush?.();
  setTimeout(() => process.exit(1), 50).unref();
};
process.on('uncaughtException', fatal('uncaughtException'));
process.on('unhandledRejection', fatal('unhandledRejection'));
process.on('SIGINT', () => {});
process.on('SIGTERM', () => void stop(0));
process.on('disconnect', () => void stop(0));

const link = createWorkerLink({
  channel: process as unknown as WorkerChannel,
  index,
  node: env[WORKER_ENV.node] ?? 'node',
  secret: env[WORKER_ENV.secret] ?? '',
  accept: config.worker_accept,
  onReload(next) {
    try {
      bulwark?.reload(next);
    } catch (err) {
      logger.error({ err, code: 'BULWARK_ERR_RELOAD' }, 'worker could not apply the new config; keeping the old one');
    }
  },
  onStop: () => void stop(0),
});
// Session ticket keys derived from the deployment's secret: every worker (and every node sharing the
// secret) seals and opens the same tickets, so a returning visitor resumes whichever worker it reaches.
const secret = env[WORKER_ENV.secret] ?? '';
const ticketKeys = secret.length >= 64 ? createDerivedTicketKeys(config.tls.ticket_key_rotation, Buffer.from(secret, 'hex')) : undefined;
favourHeapSize();
keepTickObjectShape();
bulwark = createBulwark({ config, file: env[WORKER_ENV.file], logger, worker: link, ticketKeys });
await bulwark.start();
