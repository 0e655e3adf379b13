/**
 * Byte-level HTTP/1.1 exchanges over raw sockets: send exactly the bytes given (malformed requests,
 * smuggling attempts, partial heads) and read what comes back until the server closes, a deadline passes,
 * or enough bytes arrived. Nothing here parses leniently on the caller's behalf: the status line is read
 * as written.
 */
import { connectRaw } from './source-pool.ts';

/** Options of {@link exchangeRaw}. */
export interface RawExchangeOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  /** Bytes to send; an array is sent as separate writes (with `gapMs` between them). */
  readonly payload: Buffer | string | ReadonlyArray<Buffer | string>;
  readonly gapMs?: number;
  /** Stop reading after this long without the server closing. Default 2000 ms. */
  readonly readTimeoutMs?: number;
  /** Stop reading after this many bytes. Default 64 KiB. */
  readonly maxBytes?: number;
  /** Half-close our side after sending (some servers then answer or close). Default false. */
  readonly endAfterSend?: boolean;
  /**
   * Once a status line arrived, keep reading only this much longer (to catch a close or a second,
   * smuggled answer) instead of waiting for the full deadline on a kept-alive connection. Default: no limit.
   */
  readonly afterAnswerMs?: number;
}

/** What came back. */
export interface RawAnswer {
  /** Status of the first response, if a status line arrived. */
  readonly status?: number;
  /** Every status line seen in the bytes read (pipelined or smuggled answers show up as several). */
  readonly statuses: readonly number[];
  /** The first line of the answer, for reports. */
  readonly firstLine: string;
  readonly bytes: Buffer;
  /** The server closed (FIN or RST) before our deadline. */
  readonly closedByServer: boolean;
  readonly reset: boolean;
  /** The deadline passed with the connection still open (not set when `afterAnswerMs` ended the read). */
  readonly timedOut: boolean;
  readonly connectError?: string;
  readonly elapsedMs: number;
}

/** Sends raw bytes to a loopback server and collects the answer. Never throws for network errors. */
export async function exchangeRaw(options: RawExchangeOptions): Promise<RawAnswer> {
  const started = performance.now();
  let socket;
  try {
    socket = await connectRaw({ host: options.host, port: options.port, localAddress: options.localAddress });
  } catch (err) {
    return { statuses: [], firstLine: '', bytes: Buffer.alloc(0), closedByServer: false, reset: false, timedOut: false, connectError: String(err), elapsedMs: performance.now() - started };
  }
  const s = socket;
  const maxBytes = options.maxBytes ?? 65536;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let reset = false;
    let done = false;
    let answerTimer: NodeJS.Timeout | undefined;
    const finish = (how: 'closed' | 'timeout' | 'full' | 'answered'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(answerTimer);
      s.destroy();
      const bytes = Buffer.concat(chunks);
      const statuses = statusesIn(bytes);
      resolve({
        status: statuses[0],
        statuses,
        firstLine: bytes.subarray(0, Math.max(0, bytes.indexOf('\r\n'))).toString('latin1').slice(0, 200),
        bytes,
        closedByServer: how === 'closed',
        reset,
        timedOut: how === 'timeout',
        elapsedMs: performance.now() - started,
      });
    };
    const timer = setTimeout(() => finish('timeout'), options.readTimeoutMs ?? 2000);
    s.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= maxBytes) finish('full');
      else if (answerTimer === undefined && options.afterAnswerMs !== undefined && statusesIn(Buffer.concat(chunks)).length > 0) {
        answerTimer = setTimeout(() => finish('answered'), options.afterAnswerMs);
      }
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') reset = true;
    });
    s.on('close', () => finish('closed'));
    void sendAll(s, options);
  });
}

async function sendAll(socket: import('node:net').Socket, options: RawExchangeOptions): Promise<void> {
  const parts = Array.isArray(options.payload) ? options.payload : [options.payload as Buffer | string];
  for (let i = 0; i < parts.length; i++) {
    if (socket.destroyed) return;
    if (i > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
    if (socket.destroyed) return;
    socket.write(parts[i]);
  }
  if (options.endAfterSend && !socket.destroyed) socket.end();
}

/** Status codes of every `HTTP/1.x NNN` status line at a line start in `bytes`. */
export function statusesIn(bytes: Buffer): number[] {
  const text = bytes.toString('latin1');
  const out: number[] = [];
  const re = /(?:^|\r?\n)HTTP\/1\.[01] (\d{3})/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(Number(m[1]));
  return out;
}
