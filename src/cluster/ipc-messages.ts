/**
 * The messages between a primary and its workers over node:cluster's IPC channel, besides the bus
 * envelopes (ipc-bus.ts). Every message is `{ bulwark: <kind>, … }`, so anything else on the channel is
 * ignored.
 * - primary → worker: `conn` (a client socket handed over, with whether its listener is TLS), `reload` (a
 *   new validated config), `stop` (drain and exit).
 * - worker → primary: `ready` (listening, or ready for sockets; with the ports it listens on).
 */
import type { Config } from '../config/schema.ts';

/** A handed-over connection (the socket travels as the message's handle). */
export interface ConnMessage {
  readonly bulwark: 'conn';
  readonly secure: boolean;
}

/** A new config for every worker (SIGHUP at the primary). */
export interface ReloadMessage {
  readonly bulwark: 'reload';
  readonly config: Config;
}

/** Drain and exit. */
export interface StopMessage {
  readonly bulwark: 'stop';
}

/** The worker is ready. */
export interface ReadyMessage {
  readonly bulwark: 'ready';
  readonly ports: readonly number[];
}

export type PrimaryToWorker = ConnMessage | ReloadMessage | StopMessage;

/** The kind of an IPC message of Bulwark's, or null. */
export function kindOf(x: unknown): string | null {
  return typeof x === 'object' && x !== null && typeof (x as { bulwark?: unknown }).bulwark === 'string' ? (x as { bulwark: string }).bulwark : null;
}

/** Environment variables a worker is started with. */
export const WORKER_ENV = {
  /** The validated config, as JSON. */
  config: 'BULWARK_WORKER_CONFIG',
  /** The config file (for messages). */
  file: 'BULWARK_WORKER_FILE',
  /** 1-based worker number. */
  index: 'BULWARK_WORKER_INDEX',
  /** The deployment's shared secret (secret.ts). */
  secret: 'BULWARK_WORKER_SECRET',
  /** The node name. */
  node: 'BULWARK_WORKER_NODE',
} as const;
