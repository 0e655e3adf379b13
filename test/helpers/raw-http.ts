/**
 * Byte-level HTTP for tests that must send what no well-behaved client would (smuggling, malformed
 * heads, slow clients), from a chosen loopback source address.
 */
import net from 'node:net';

export interface RawResult {
  /** Everything the server sent before closing (or before the idle timeout). */
  readonly text: string;
  /** Status code of the first response, 0 if none. */
  readonly status: number;
  /** Whether the server closed the connection. */
  readonly closed: boolean;
}

/** Sends `payload` and collects the answer until the server closes or `idleMs` pass without data. */
export function rawExchange(port: number, payload: string | Buffer, options: { host?: string; localAddress?: string; idleMs?: number } = {}): Promise<RawResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: options.host ?? '127.0.0.1', localAddress: options.localAddress });
    let closed = false;
    let timer: NodeJS.Timeout;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ text, status: m ? Number(m[1]) : 0, closed });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(done, options.idleMs ?? 1500);
    };
    socket.on('connect', () => {
      socket.write(payload);
      arm();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      arm();
    });
    socket.on('end', () => {
      closed = true;
      done();
    });
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.on('error', () => {
      closed = true;
      done();
    });
  });
}
