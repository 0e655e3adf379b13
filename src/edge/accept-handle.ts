/**
 * Screening connections at the listening handle, before node:net builds a Socket for them.
 *
 * For every accepted connection node:net constructs a Socket (a duplex stream, an event emitter, its
 * async id) and emits 'connection'; a source that is dropped at once pays all of that, and the garbage
 * it leaves, for nothing. node:net's own refusal of connections beyond `server.maxConnections` happens
 * one step earlier: in the listening handle's `onconnection` callback, where it closes the raw client
 * handle. The screen hooks that same callback: it reads the peer's address from the raw handle, asks
 * `screen` whether the connection may go on, and closes the handle of a refused one — no Socket, no
 * events. An admitted connection goes on to node:net unchanged, with the address it was screened on
 * kept so the 'connection' listener does not ask the kernel for it again (`takeScreened`).
 *
 * The hook relies on node:net's listening handle calling `onconnection(err, clientHandle)`, which it
 * has done since its first releases. If a handle does not look like that (another runtime, a future
 * change), nothing is hooked and every connection takes the Socket path, where the same gate decides:
 * the screen only makes refusals cheaper, it is never the only check.
 */
import type net from 'node:net';
import { normalizeAddress } from '../core/identify/client-address.ts';

/** The peer address as the raw handle reports it (node:net's own `_peername` shape). */
interface PeerInfo {
  address?: string;
  family?: string;
  port?: number;
}

/** The parts of a raw accepted TCP handle the screen uses. */
interface ClientHandle {
  getpeername?(out: PeerInfo): number;
  close(): void;
}

type OnConnection = (this: unknown, err: number, client: ClientHandle | undefined) => void;

/** A listening server's screen: what was hooked, and the address of the connection being admitted. */
export interface HandleScreen {
  /** False when the listening handle did not have node:net's accept callback (nothing was hooked). */
  readonly installed: boolean;
  /**
   * The normalised address `socket` was screened on, when it is the connection the screen is admitting
   * right now (node:net emits 'connection' synchronously inside the hooked callback); undefined
   * otherwise. Also seeds the socket's cached peer address, so `remoteAddress` costs no system call.
   */
  takeScreened(socket: net.Socket): string | undefined;
}

/**
 * Hooks `server`'s listening handle (call it once the server listens): each accepted connection's
 * peer address is read from its raw handle, normalised (`::ffff:a.b.c.d` → `a.b.c.d`), and passed to
 * `screen`; false closes the raw handle at once. A connection whose address cannot be read goes on to
 * the Socket path undecided (its 'connection' listener decides as without a screen).
 */
export function screenAtHandle(server: net.Server, screen: (address: string) => boolean): HandleScreen {
  const handle = (server as unknown as { _handle?: { onconnection?: OnConnection } | null })._handle;
  const original = handle?.onconnection;
  if (handle == null || typeof original !== 'function') return { installed: false, takeScreened: () => undefined };
  let pendingHandle: ClientHandle | undefined;
  let pendingPeer: PeerInfo | undefined;
  let pendingAddress: string | undefined;
  handle.onconnection = function screened(this: unknown, err: number, client: ClientHandle | undefined): void {
    if (err !== 0 || client === undefined || typeof client.getpeername !== 'function') return original.call(this, err, client);
    const peer: PeerInfo = {};
    if (client.getpeername(peer) !== 0 || typeof peer.address !== 'string') return original.call(this, err, client);
    const address = normalizeAddress(peer.address) ?? peer.address;
    if (!screen(address)) {
      client.close();
      return;
    }
    pendingHandle = client;
    pendingPeer = peer;
    pendingAddress = address;
    try {
      original.call(this, err, client);
    } finally {
      pendingHandle = pendingPeer = pendingAddress = undefined;
    }
  };
  return {
    installed: true,
    takeScreened(socket) {
      const s = socket as net.Socket & { _handle?: unknown; _peername?: PeerInfo };
      if (pendingHandle === undefined || s._handle !== pendingHandle) return undefined;
      if (s._peername === undefined || s._peername === null) s._peername = pendingPeer;
      const address = pendingAddress;
      pendingHandle = pendingPeer = pendingAddress = undefined;
      return address;
    },
  };
}
