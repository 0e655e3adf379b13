/**
 * The wait of a graceful stop: once the listeners stopped accepting, requests in flight get until the
 * drain deadline (`connections.drain_timeout`) to finish, while keep-alive connections that fall idle
 * are closed as they do (so the wait ends when the work does, not when every client's keep-alive timer
 * runs out).
 */
import type { Logger } from 'pino';
import type { ProxyServers } from './types.ts';

/**
 * Waits, polling every 50 ms, until `inFlight()` is 0 or `deadlineMs` has passed; returns the requests
 * still unfinished (logged as a warning when not 0: the caller then cuts their connections).
 */
export async function drainInFlight(servers: ProxyServers, inFlight: () => number, deadlineMs: number, logger: Logger): Promise<number> {
  const until = Date.now() + deadlineMs;
  while (inFlight() > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    servers.http?.closeIdle();
    servers.https?.closeIdle();
  }
  const unfinished = inFlight();
  if (unfinished > 0) logger.warn({ unfinished, code: 'BULWARK_WARN_DRAIN_DEADLINE' }, 'drain deadline passed; closing remaining connections');
  return unfinished;
}
