/**
 * A worker's side of the IPC channel to its primary: the bus, handed-over sockets, reload and stop
 * orders, and the ready signal. Built by the worker entry (src/worker.ts) and given to createBulwark.
 */
import type { Socket } from 'node:net';
import type { Config } from '../config/schema.ts';
import type { Bus } from './bus.ts';
import { createWorkerBus, isBusEnvelope } from './ipc-bus.ts';
import { kindOf, type ConnMessage, type ReloadMessage } from './ipc-messages.ts';
import { seedsOf, type SharedSeeds } from './secret.ts';

/** What createBulwark needs to run as a worker. */
export interface WorkerLink {
  readonly index: number;
  readonly bus: Bus;
  readonly seeds: SharedSeeds;
  /** How connections arrive: handed over by the primary, or accepted on the shared listening socket. */
  readonly accept: 'primary' | 'shared';
  /** Sockets handed over by the primary (register once). */
  onSocket(handler: (socket: Socket, secure: boolean) => void): void;
  /** Tells the primary the worker serves now. */
  ready(ports: readonly number[]): void;
}

/** The channel, as seen from the worker process (`process.send` and `process.on('message')`). */
export interface WorkerChannel {
  send(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown, handle?: unknown) => void): unknown;
}

/** Creates the link and routes the channel's messages; `onReload` and `onStop` act on the primary's orders. */
export function createWorkerLink(options: {
  readonly channel: WorkerChannel;
  readonly index: number;
  readonly node: string;
  readonly secret: string;
  readonly accept: 'primary' | 'shared';
  readonly onReload: (config: Config) => void;
  readonly onStop: () => void;
}): WorkerLink {
  const { channel } = options;
  const bus = createWorkerBus(`${options.node}/w${options.index}`, options.node, (e) => channel.send(e));
  let socketHandler: ((socket: Socket, secure: boolean) => void) | null = null;
  const early: Array<[Socket, boolean]> = [];
  channel.on('message', (message, handle) => {
    if (isBusEnvelope(message)) return bus.receive(message);
    switch (kindOf(message)) {
      case 'conn': {
        const socket = handle as Socket | undefined;
        if (socket === undefined) return;
        const secure = (message as ConnMessage).secure;
        if (socketHandler === null) early.push([socket, secure]);
        else socketHandler(socket, secure);
        return;
      }
      case 'reload':
        return options.onReload((message as ReloadMessage).config);
      case 'stop':
        return options.onStop();
      default:
        return;
    }
  });
  return {
    index: options.index,
    bus,
    seeds: seedsOf(options.secret),
    accept: options.accept,
    onSocket(handler) {
      socketHandler = handler;
      for (const [s, secure] of early.splice(0)) handler(s, secure);
    },
    ready(ports) {
      channel.send({ bulwark: 'ready', ports });
    },
  };
}
