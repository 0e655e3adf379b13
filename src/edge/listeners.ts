/**
 * Binding the client-facing addresses: one net.Server per configured address, each
 * passing admitted sockets to the HTTP or HTTPS proxy server. The accept gate runs here, before TLS and
 * before HTTP parsing: at the listening handle (edge/accept-handle.ts), so a refused connection is
 * closed before node:net builds a Socket for it.
 *
 * `[::]:port` binds dual-stack (IPv4 clients arrive as `::ffff:a.b.c.d` and are normalised); listing
 * `0.0.0.0:port` as well would collide, so list one or the other.
 */
import net from 'node:net';
import { BulwarkError } from '../core/errors.ts';
import { formatListenAddress, parseListenAddress } from '../config/listen-address.ts';
import type { AcceptGate } from './accept-gate.ts';
import { screenAtHandle, type HandleScreen } from './accept-handle.ts';
import type { ProxyServer } from './proxy-server.ts';

export interface BoundListener {
  readonly address: string;
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly server: net.Server;
}

/**
 * Admits one client socket and gives it to the proxy: the accept gate first (a socket that was not
 * screened at the handle and is refused costs one `destroy()`), then the socket options. Used by every listener, and by a worker for the sockets its
 * primary hands over. `screened`: the address the listening handle's screen admitted the socket on
 * (edge/accept-handle.ts), undefined when it was not screened. On an https listener, `secureAccept` (the
 * HTTPS edge: handshake cap, certificate choice) runs after the accept gate and before any TLS work; it calls `proceed` for the sockets it keeps.
 */
export function acceptSocket(
  socket: net.Socket,
  proxy: ProxyServer,
  gate: AcceptGate,
  secureAccept?: (socket: net.Socket, proceed: () => void) => void,
  screened?: string,
): void {
  if (gate.admit(socket, screened) !== 'accepted') return;
  // Socket options are set once the gate admitted a socket: a dropped one costs no system call for them.
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  if (secureAccept !== undefined && proxy.secure) secureAccept(socket, () => proxy.handleConnection(socket));
  else proxy.handleConnection(socket);
}

/**
 * Binds one address; rejects with BULWARK_ERR_LISTEN_FAILED naming the address on failure. The gate
 * screens each connection at the listening handle first, so a dropped source never gets a Socket.
 */
export function bindListener(
  text: string,
  proxy: ProxyServer,
  gate: AcceptGate,
  backlog = 2048,
  secureAccept?: (socket: net.Socket, proceed: () => void) => void,
): Promise<BoundListener> {
  const parsed = parseListenAddress(text);
  if (!parsed) return Promise.reject(new BulwarkError('BULWARK_ERR_LISTEN_INVALID', `invalid listen address ${text}`, { source: 'config' }));
  let screen: HandleScreen | undefined;
  const server = net.createServer((socket) => acceptSocket(socket, proxy, gate, secureAccept, screen?.takeScreened(socket)));
  server.maxConnections = 1_000_000; // the gate enforces the real cap, with accounting
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(new BulwarkError('BULWARK_ERR_LISTEN_FAILED', `cannot listen on ${text}: ${err.message}`, { source: 'config', cause: err })),
    );
    server.listen({ host: parsed.host, port: parsed.port, backlog, ipv6Only: false }, () => {
      server.removeAllListeners('error');
      server.on('error', () => {}); // accept errors (EMFILE...) must not crash the process
      screen = screenAtHandle(server, gate.screen);
      const addr = server.address() as net.AddressInfo;
      resolve({
        address: formatListenAddress({ host: parsed.host, port: addr.port }),
        host: parsed.host,
        port: addr.port,
        secure: proxy.secure,
        server,
      });
    });
  });
}

/**
 * Stops accepting on every listener at once (existing connections are left to drain). The promise
 * settles when every connection the listeners accepted has closed — so a caller that drains must not
 * wait for it first: busy keep-alive connections would hold it open.
 */
export function closeListeners(listeners: readonly BoundListener[]): Promise<void> {
  return Promise.all(listeners.map((l) => new Promise<void>((resolve) => l.server.close(() => resolve())))).then(() => undefined);
}
