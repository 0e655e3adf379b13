/**
 * The primary's listeners when `worker_accept: primary` (the default with several workers): the primary
 * accepts every connection, refuses banned and deny-listed sources itself — at the listening handle,
 * before a Socket exists (edge/accept-handle.ts); the worker never wakes up — and hands every other
 * socket, untouched (`pauseOnConnect`: not a byte read), to the next ready worker in turn. Handing over
 * costs the primary one accept and one `sendmsg` with the file descriptor per connection, never per
 * request: a keep-alive connection stays with its worker.
 *
 * The connection caps are the workers' (each enforces its share): the primary cannot see when a socket
 * it handed over closes.
 */
import net from 'node:net';
import { normalizeAddress } from '../core/identify/client-address.ts';
import { screenAtHandle, type HandleScreen } from '../edge/accept-handle.ts';
import { formatListenAddress, parseListenAddress } from '../config/listen-address.ts';
import { BulwarkError } from '../core/errors.ts';
import type { WorkerPool } from './worker-pool.ts';

/** One bound listener of the primary. */
export interface HandoverListener {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly server: net.Server;
}

/** What the primary's accept did. */
export interface HandoverStats {
  handed: number;
  dropped_banned: number;
  /** Connections closed because no worker was ready (all of them restarting). */
  no_worker: number;
}

/** Binds `text` and hands its connections to `pool`'s workers; `isDropped` refuses sources first. */
export function bindHandover(text: string, secure: boolean, pool: WorkerPool, isDropped: (address: string) => boolean, stats: HandoverStats, backlog = 2048): Promise<HandoverListener> {
  const parsed = parseListenAddress(text);
  if (!parsed) return Promise.reject(new BulwarkError('BULWARK_ERR_LISTEN_INVALID', `invalid listen address ${text}`, { source: 'config' }));
  let next = 0;
  const refuse = (address: string): boolean => {
    if (!isDropped(address)) return false;
    stats.dropped_banned++;
    return true;
  };
  let screen: HandleScreen | undefined;
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    // Screened at the handle already, or (no screen) decided here.
    if (screen?.takeScreened(socket) === undefined && refuse(normalizeAddress(socket.remoteAddress ?? '') ?? '')) {
      socket.destroy();
      return;
    }
    const ready = pool.ready();
    if (ready.length === 0) {
      stats.no_worker++;
      socket.destroy();
      return;
    }
    const w = ready[next++ % ready.length]!;
    w.handed++;
    stats.handed++;
    if (!pool.send(w, { bulwark: 'conn', secure }, socket)) socket.destroy();
  });
  server.maxConnections = 1_000_000;
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new BulwarkError('BULWARK_ERR_LISTEN_FAILED', `cannot listen on ${text}: ${err.message}`, { source: 'config', cause: err })));
    server.listen({ host: parsed.host, port: parsed.port, backlog, ipv6Only: false }, () => {
      server.removeAllListeners('error');
      server.on('error', () => {});
      screen = screenAtHandle(server, (address) => !refuse(address));
      const port = (server.address() as net.AddressInfo).port;
      resolve({ address: formatListenAddress({ host: parsed.host, port }), host: parsed.host, port, secure, server });
    });
  });
}
