/**
 * Reads a new TLS connection's ClientHello at accept, before node:tls sees the socket, so the https
 * edge can choose the certificate (site by SNI, ECDSA or RSA by the client's signature algorithms —
 * core/tls/client-hello.ts). The bytes read are put back on the socket (`unshift`), and node:tls, which
 * feeds a socket's buffered bytes to its TLS engine when it wraps it, reads them as if nothing happened.
 *
 * A client that sends no complete ClientHello within `timeoutMs` is closed (the first-byte and header
 * timeouts' rule for TLS). The socket has an 'error' listener from the first byte read here on: a reset
 * during the peek must never become an unhandled error (the class of CVE-2025-59465).
 */
import type { Socket } from 'node:net';
import { MAX_CLIENT_HELLO_BYTES, readClientHello, type ClientHelloInfo } from '../../core/tls/client-hello.ts';

function ignore(): void {}

/** Calls `done` with the ClientHello's facts (null when it is not one this reader understands), or closes a silent socket. */
export function peekClientHello(socket: Socket, timeoutMs: number, done: (hello: ClientHelloInfo | null) => void): void {
  let buffered: Buffer | null = null;
  let finished = false;
  socket.on('error', ignore);
  const timer = setTimeout(() => {
    finished = true;
    socket.destroy();
  }, timeoutMs);
  timer.unref();
  const finish = (hello: ClientHelloInfo | null) => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('close', onClose);
    socket.pause();
    if (buffered !== null) socket.unshift(buffered);
    done(hello);
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered === null ? chunk : Buffer.concat([buffered, chunk]);
    const read = readClientHello(buffered);
    if (read.kind === 'incomplete' && buffered.length < MAX_CLIENT_HELLO_BYTES + 1024) return;
    finish(read.kind === 'hello' ? read.info : null);
  };
  const onClose = () => {
    finished = true;
    clearTimeout(timer);
  };
  socket.on('data', onData);
  socket.once('close', onClose);
}
